#!/usr/bin/env python3
"""Deliberate bugs for tests/mutation/run.sh: each one is a literal
replacement in one source file. Every one must make the fast suite (unit,
golden, cli) fail. When the code moves and a pattern no longer matches,
run.sh says so and fails: update the pattern, never drop the mutation.

  mutations.py list            ids, one a line
  mutations.py apply ID ROOT   applies mutation ID to the tree at ROOT
  mutations.py describe ID     what the bug is
"""
import sys

MUTATIONS = [
    # -- the three the issue found surviving the suite --
    ("i386-kmsg-header-size", "src/format/abi.cpp",
     "a.kmsg_header_size = 28;", "a.kmsg_header_size = 32;",
     "format: i386 psz_kmsg_header taken as 32 bytes (it is 28)"),
    ("salvaged-mode-0644", "src/cli/cmd_read.cpp",
     "f.commit(name, 0600, sec, t ? t->nsec : 0, force)",
     'f.commit(name, name.ends_with(".salvaged") ? 0644 : 0600, sec, t ? t->nsec : 0, force)',
     "cli: extract writes .salvaged files mode 0644"),
    ("mtime-whole-seconds", "src/format/policy.cpp",
     "(r.kmsg->tv_nsec >= 0 && r.kmsg->tv_nsec < 1000000000) ? r.kmsg->tv_nsec : 0;",
     "0;",
     "format: dmesg mtimes cut to the second"),
    # -- format --
    ("ring-order-swapped", "src/format/record.cpp",
     "{ByteRange{start, len - start}, ByteRange{0, start}}",
     "{ByteRange{0, start}, ByteRange{start, len - start}}",
     "format: pmsg/console ring linearised newest part first"),
    ("ftrace-cpu-shift", "src/format/ftrace.cpp",
     "kTsCpuShift = 8;", "kTsCpuShift = 7;",
     "format: TS_CPU_SHIFT 7 instead of 8"),
    ("arm-long-8-bytes", "src/format/abi.cpp",
     'a.name = "arm";\n  a.long_bytes = 4;', 'a.name = "arm";\n  a.long_bytes = 8;',
     "format: 32-bit ARM ftrace records read as 24 bytes"),
    ("ppc64-little-endian", "src/format/abi.cpp",
     'a.name = "ppc64";\n  a.endian = Endian::kBig;', 'a.name = "ppc64";\n  a.endian = Endian::kLittle;',
     "format: ppc64 read little-endian"),
    ("total-times-line", "src/format/record.cpp",
     '": Total "', '": total "',
     "format: the kernel's 'Oops: Total N times' line misspelt"),
    ("enc-z-name-dropped", "src/format/record.cpp",
     "r.name = record_name(r.type, r.id, true, r.erased);",
     "r.name = record_name(r.type, r.id, false, r.erased);",
     "format: a record that does not inflate loses the kernel's .enc.z suffix"),
    # -- io --
    ("erased-never-included", "src/format/record.cpp",
     "(erased && opts.include_erased)",
     "(erased && false)",
     "format: --include-erased ignored by the decoder"),
    # -- crash parser --
    ("caller-id-prefix", "src/oops/text.cpp",
     "(id[0] == 'T' || id[0] == 'C')", "(id[0] == 'C')",
     "oops: CONFIG_PRINTK_CALLER's [T123] prefix left on the message"),
    ("signature-two-frames", "include/pstore_blk/oops/oops.hpp",
     "kSignatureFrames = 3;", "kSignatureFrames = 2;",
     "oops: crash signature built from two call-trace frames instead of three"),
    # -- cli --
    ("summary-erased-state", "src/cli/summary_source.cpp",
     "            : r.erased                          ? \"erased\"\n",
     "            : false                             ? \"erased\"\n",
     "cli: summary reports erased records as compressed"),
    ("summary-jobs-order", "src/cli/summary_source.cpp",
     "finished_.wait(lock, [&] { return done_[i].has_value(); });\n    InputResult r = std::move(*done_[i]);\n    done_[i].reset();",
     "finished_.wait(lock, [&] { return std::any_of(done_.begin(), done_.end(), [](auto& d) { return d.has_value(); }); });\n"
     "    auto it = std::find_if(done_.begin(), done_.end(), [](auto& d) { return d.has_value(); });\n"
     "    InputResult r = std::move(**it);\n    it->reset();",
     "cli: summary --jobs merges results in completion order, not argument order"),
]


def find(mid):
    for m in MUTATIONS:
        if m[0] == mid:
            return m
    sys.exit(f"unknown mutation {mid}")


def main():
    if sys.argv[1] == "list":
        for m in MUTATIONS:
            print(m[0])
    elif sys.argv[1] == "describe":
        print(find(sys.argv[2])[4])
    elif sys.argv[1] == "apply":
        mid, path, old, new, _ = find(sys.argv[2])
        f = f"{sys.argv[3]}/{path}"
        text = open(f).read()
        if text.count(old) != 1:
            sys.exit(f"mutation {mid}: pattern found {text.count(old)} times in {path}, expected once")
        open(f, "w").write(text.replace(old, new))


if __name__ == "__main__":
    main()

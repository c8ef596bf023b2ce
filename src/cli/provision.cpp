#include "cli/provision.hpp"

#include <fmt/core.h>

#include <cctype>
#include <cerrno>
#include <iostream>

#include "pstore_blk/cli/app.hpp"

namespace psb::cli {

using namespace sysconf;

Result<std::uint64_t> parse_size(const std::string& s) {
  const auto bad = [&](const std::string& why) {
    return make_error(Errc::kInvalidArgument,
                      "--size '" + s + "': " + why +
                          "; give whole bytes or a whole number of K, M or G (e.g. 8M, 8704K)");
  };
  std::size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == 0) return bad("does not start with a number");
  if (i > 15) return bad("too large");
  std::uint64_t v = std::stoull(s.substr(0, i));
  std::string unit = s.substr(i);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit == "" || unit == "B") return v;
  if (unit == "K" || unit == "KIB" || unit == "KB") return v << 10;
  if (unit == "M" || unit == "MIB" || unit == "MB") return v << 20;
  if (unit == "G" || unit == "GIB" || unit == "GB") return v << 30;
  return bad("'" + s.substr(i) + "' after " + s.substr(0, i) + " is not a unit");
}

namespace {

std::string module_line(const ModuleFacts& m) {
  std::string s = build_name(m.build);
  if (m.build == Build::kModule) {
    s += m.ko_path.empty() ? " (no .ko found)" : " (" + m.ko_path + ")";
    s += m.loaded ? ", loaded" : ", not loaded";
  }
  if (!m.params.empty()) {
    s += "; parameters:";
    for (const auto& [k, v] : m.params) s += " " + k + "=" + v;
  }
  if (!m.unreadable_params.empty()) s += "; parameters not readable (run as root)";
  return s;
}

}  // namespace

nlohmann::ordered_json kernel_from_name(KernelFrom f) {
  switch (f) {
    case KernelFrom::kRunning:
      return "running";
    case KernelFrom::kOption:
      return "option";
    case KernelFrom::kInstalled:
      return "installed";
    case KernelFrom::kUnknown:
      break;
  }
  return nullptr;
}

std::string kernel_release_text(const SystemFacts& sf) {
  switch (sf.kernel_from) {
    case KernelFrom::kRunning:
      return sf.kernel_release + " (running)";
    case KernelFrom::kOption:
      return sf.kernel_release + " (--kernel)";
    case KernelFrom::kInstalled:
      return sf.kernel_release + fmt::format(
                                     " (no /proc: newest of {} installed in /lib/modules "
                                     "with a /boot/config-*; choose with --kernel)",
                                     sf.installed_kernels.size());
    case KernelFrom::kUnknown:
      break;
  }
  return "unknown (no /proc/sys/kernel/osrelease, no /lib/modules/* with a /boot/config-*; "
         "name it with --kernel)";
}

namespace {

// The kexec crash slot as check shows it: loaded or not, by whom, the
// reservation, and the kernel support a capture kernel needs.
std::string crash_kernel_line(const CrashKernelFacts& c) {
  std::string s;
  if (!c.loaded)
    s = "no kexec crash slot (/sys/kernel/kexec_crash_loaded absent)";
  else if (*c.loaded)
    s = c.ours ? "loaded by pstore-blk capture-load, writes to " + c.ours_device
               : std::string("loaded, not by pstore-blk") + (c.kdump_tools ? " (kdump-tools)" : "");
  else
    s = "none loaded";
  s += c.reserved ? fmt::format("; {} MiB reserved", c.reserved >> 20) : "; no memory reserved";
  if (!c.crashkernel.empty()) s += " by " + c.crashkernel;
  if (c.kdump_tools && !c.ours) s += "; kdump-tools enabled (USE_KDUMP=1)";
  s += fmt::format("; KEXEC_FILE {}, CRASH_DUMP {}", c.kexec_file ? "y" : "n",
                   c.crash_dump ? "y" : "n");
  return s;
}

void row(const std::string& key, const std::string& value) {
  std::cout << fmt::format("  {:<16}{}\n", key + ":", value);
}

}  // namespace

void print_facts(const SystemFacts& sf) {
  std::cout << "Kernel\n";
  row("release", kernel_release_text(sf));
  row("config", sf.config_source.empty() ? "not found" : sf.config_source);
  row("pstore", module_line(sf.pstore));
  row("pstore_zone", module_line(sf.pstore_zone));
  row("pstore_blk", module_line(sf.pstore_blk));
  row("front-ends", fmt::format("pmsg {}, console {}, ftrace {}; compression {}",
                                sf.has_pmsg ? "yes" : "no", sf.has_console ? "yes" : "no",
                                sf.has_ftrace ? "yes" : "no", sf.has_compress ? "yes" : "no"));
  if (sf.panic_on_oops) row("panic_on_oops", "1 (an oops becomes a panic)");
  std::cout << "Backend\n";
  row("registered", sf.active_backend().empty() ? "none" : sf.active_backend());
  if (sf.refusal)
    row("refused", fmt::format("{} ({}): {}", sf.refusal->refused,
                               sf.refusal->error == EBUSY ? "EBUSY" : "EPERM", sf.refusal->line));
  if (!sf.compress.empty()) row("compress", sf.compress);
  for (const auto& r : sf.rivals)
    row(r.module,
        fmt::format("{}{}; {} register: {}", build_name(r.build), r.loaded ? ", loaded" : "",
                    r.will_register ? "will" : "will not", r.why));
  row("/sys/fs/pstore",
      sf.pstore_mounted ? fmt::format("mounted on {}; {} record(s) waiting", sf.pstore_mountpoint,
                                      sf.records.size())
                        : "not mounted: pstore/zone writes nothing until it has been mounted once");
  row("systemd-pstore", sf.systemd_pstore
                            ? "installed: archives records to /var/lib/systemd/pstore and "
                              "deletes them from /sys/fs/pstore"
                            : "not installed");
  row("EFI firmware", sf.efi_firmware ? "yes" : "no");
  row("boot loader", std::string(bootloader_name(sf.bootloader)) + " (" + sf.bootloader_why + ")");
  row("crash kernel", crash_kernel_line(sf.crash));
  if (!sf.log_lines.empty()) {
    std::cout << "Kernel log (pstore lines)\n";
    for (const auto& l : sf.log_lines) std::cout << "  " << l << "\n";
  }
}

void print_device(const DeviceReport& d) {
  std::cout << "Device " << d.facts.path << "\n";
  std::string what;
  if (d.whole_disk)
    what = d.facts.is_block ? "whole disk" : "disk image file";
  else if (d.exists_as_partition)
    what = "partition " + std::to_string(d.partno) + " of " + d.disk;
  else
    what = "partition " + std::to_string(d.partno) + " of " + d.disk +
           " (does not exist yet; setup creates it)";
  row("kind", what);
  if (d.partition)
    row("size", fmt::format("{} bytes ({} KiB) at byte {}", d.partition->size,
                            d.partition->size >> 10, d.partition->start));
  else
    row("size", fmt::format("{} bytes", d.facts.size));
  row("table", d.layout.label.empty() ? "none" : d.layout.label);
  if (d.partition && !d.partition->uuid.empty()) row("PARTUUID", d.partition->uuid);
  if (d.whole_disk) row("free space", fmt::format("{} KiB (largest range)", d.free_bytes >> 10));
  if (d.signatures.empty()) row("signatures", "none");
  for (const auto& s : d.signatures)
    row("signature",
        fmt::format("{} ({}) at byte {}", s.type, s.usage.empty() ? "other" : s.usage, s.offset));
  if (!d.facts.mounted_at.empty()) {
    row("mounted", d.facts.mounted_at.front());
  } else if (!d.facts.partitions_mounted.empty()) {
    std::string parts;
    for (const auto& p : d.facts.partitions_mounted) parts += (parts.empty() ? "" : ", ") + p;
    row("mounted",
        "partitions in use: " + parts + " (setup adds a partition without re-reading the table)");
  } else {
    row("mounted", "no");
  }
  row("held", d.facts.holders.empty() ? "no" : d.facts.holders.front());
  if (d.partition && d.partition->size > (128ull << 20))
    row("note", "pstore/zone uses at most 128 MiB; the rest stays unused");
  for (const auto& p : d.problems)
    if (!p.forceable()) row("problem", p.text);
  for (const auto& p : d.problems)
    if (p.forceable()) row("problem", p.text + " (setup --force overrides)");
}

void print_verdicts(const std::vector<Verdict>& v) {
  std::cout << "Verdict\n";
  for (const auto& x : v)
    std::cout << fmt::format("  {:<8} {} — {}\n", x.kind + ":", x.yes ? "YES" : "NO", x.reason);
}

nlohmann::ordered_json facts_json(const SystemFacts& sf) {
  auto mod = [](const ModuleFacts& m) {
    nlohmann::ordered_json j;
    j["build"] = build_name(m.build);
    j["config_symbol"] = m.config_symbol;
    j["ko_path"] =
        m.ko_path.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(m.ko_path);
    j["loaded"] = m.loaded;
    j["parameters"] = m.params;
    j["unreadable_parameters"] = m.unreadable_params;
    return j;
  };
  nlohmann::ordered_json j;
  j["root"] = sf.root;
  j["kernel_release"] = sf.kernel_release.empty() ? nlohmann::ordered_json(nullptr)
                                                  : nlohmann::ordered_json(sf.kernel_release);
  j["kernel_release_from"] = kernel_from_name(sf.kernel_from);
  j["config_source"] = sf.config_source.empty() ? nlohmann::ordered_json(nullptr)
                                                : nlohmann::ordered_json(sf.config_source);
  j["pstore"] = mod(sf.pstore);
  j["pstore_zone"] = mod(sf.pstore_zone);
  j["pstore_blk"] = mod(sf.pstore_blk);
  j["config_pmsg"] = sf.has_pmsg;
  j["config_console"] = sf.has_console;
  j["config_ftrace"] = sf.has_ftrace;
  j["config_compress"] = sf.has_compress;
  j["panic_on_oops"] = sf.panic_on_oops;
  j["backend"] = sf.active_backend().empty() ? nlohmann::ordered_json(nullptr)
                                             : nlohmann::ordered_json(sf.active_backend());
  j["compress"] = sf.compress;
  j["rivals"] = nlohmann::ordered_json::array();
  for (const auto& r : sf.rivals)
    j["rivals"].push_back({{"module", r.module},
                           {"backend_name", r.backend_name},
                           {"build", build_name(r.build)},
                           {"loaded", r.loaded},
                           {"will_register", r.will_register},
                           {"disabled", r.disabled},
                           {"runtime_switch", r.runtime_switch},
                           {"why", r.why}});
  j["refusal"] = nlohmann::ordered_json(nullptr);
  if (sf.refusal)
    j["refusal"] = {{"refused", sf.refusal->refused},
                    {"holder", sf.refusal->holder},
                    {"errno", sf.refusal->error == EBUSY ? "EBUSY" : "EPERM"},
                    {"line", sf.refusal->line}};
  j["efi_firmware"] = sf.efi_firmware;
  j["pstore_mounted"] = sf.pstore_mounted;
  j["pstore_mountpoint"] = sf.pstore_mountpoint;
  j["records"] = sf.records;
  j["systemd_pstore"] = sf.systemd_pstore;
  j["bootloader"] = bootloader_name(sf.bootloader);
  j["cmdline"] = sf.cmdline;
  j["log_lines"] = sf.log_lines;
  return j;
}

nlohmann::ordered_json device_json(const DeviceReport& d) {
  nlohmann::ordered_json j;
  j["path"] = d.facts.path;
  j["disk"] = d.disk;
  j["whole_disk"] = d.whole_disk;
  j["block_device"] = d.facts.is_block;
  j["partition_exists"] = d.exists_as_partition;
  j["partno"] = d.partno;
  j["pttype"] = d.layout.label;
  if (d.partition) {
    j["start"] = d.partition->start;
    j["size"] = d.partition->size;
    j["partuuid"] = d.partition->uuid;
  } else {
    j["size"] = d.facts.size;
  }
  j["free_bytes"] = d.free_bytes;
  j["signatures"] = nlohmann::ordered_json::array();
  for (const auto& s : d.signatures)
    j["signatures"].push_back({{"type", s.type}, {"usage", s.usage}, {"offset", s.offset}});
  j["mounted_at"] = d.facts.mounted_at;
  j["partitions_mounted"] = d.facts.partitions_mounted;
  j["holders"] = d.facts.holders;
  j["read_only"] = d.facts.read_only;
  j["problems"] = nlohmann::ordered_json::array();
  j["forceable_problems"] = nlohmann::ordered_json::array();
  for (const auto& p : d.problems)
    j[p.forceable() ? "forceable_problems" : "problems"].push_back(p.text);
  return j;
}

nlohmann::ordered_json verdicts_json(const std::vector<Verdict>& v) {
  nlohmann::ordered_json j;
  for (const auto& x : v) j[x.kind] = {{"captured", x.yes}, {"reason", x.reason}};
  return j;
}

void add_kernel_option(CLI::App& sub, std::string& kernel) {
  sub.add_option("--kernel", kernel,
                 "read the config and modules of kernel RELEASE (default: the running one; "
                 "without /proc the newest installed)")
      ->type_name("RELEASE");
}

bool confirm(const std::string& question) {
  std::cout << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

int report(const Error& e) {
  warn(e.message());
  return e.code == Errc::kInvalidArgument ? kExitUsage : kExitFailure;
}

}  // namespace psb::cli

// capture-load (issue 15): the newc serializer, gzip, module order from
// modules.dep, the sysfs driver chain, the /init script, the capture command
// line, the static-busybox check, the initramfs of a built-up system tree,
// and the load with a fake KexecLoader.
#include "pstore_blk/sysconf/capture_load.hpp"

#include <lzma.h>
#include <stdlib.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "psb_catch.hpp"
#include "temp_dir.hpp"

using namespace psb::sysconf;
namespace fs = std::filesystem;

namespace {

struct Member {
  std::string name;
  unsigned mode = 0, nlink = 0, namesize = 0;
  std::string data;
};

unsigned hex8(const std::string& s, std::size_t off) {
  return static_cast<unsigned>(std::stoul(s.substr(off, 8), nullptr, 16));
}

// An independent newc reader: checks magic, hex fields, NUL and alignment.
std::vector<Member> parse_newc(const std::string& a) {
  std::vector<Member> out;
  std::size_t off = 0;
  for (;;) {
    REQUIRE(off % 4 == 0);
    REQUIRE(off + 110 <= a.size());
    REQUIRE(a.substr(off, 6) == "070701");
    for (std::size_t i = 6; i < 110; ++i)
      REQUIRE(std::isxdigit(static_cast<unsigned char>(a[off + i])));
    Member m;
    m.mode = hex8(a, off + 14);
    m.nlink = hex8(a, off + 38);
    const unsigned size = hex8(a, off + 54);
    m.namesize = hex8(a, off + 94);
    REQUIRE(hex8(a, off + 22) == 0);  // uid
    REQUIRE(hex8(a, off + 46) == 0);  // mtime
    m.name = a.substr(off + 110, m.namesize - 1);
    REQUIRE(a[off + 110 + m.namesize - 1] == '\0');
    off = (off + 110 + m.namesize + 3) & ~std::size_t(3);
    m.data = a.substr(off, size);
    off = (off + size + 3) & ~std::size_t(3);
    const bool last = m.name == "TRAILER!!!";
    out.push_back(std::move(m));
    if (last) break;
  }
  REQUIRE(off == a.size());
  return out;
}

std::string gunzip(const std::string& gz) {
  z_stream zs{};
  REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
  std::string out(1 << 20, '\0'), all;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    all.append(out.data(), out.size() - zs.avail_out);
  }
  inflateEnd(&zs);
  REQUIRE(rc == Z_STREAM_END);
  return all;
}

std::string xz(const std::string& s) {
  std::string out(s.size() + 1024, '\0');
  std::size_t n = 0;
  REQUIRE(lzma_easy_buffer_encode(
              6, LZMA_CHECK_CRC64, nullptr, reinterpret_cast<const std::uint8_t*>(s.data()),
              s.size(), reinterpret_cast<std::uint8_t*>(out.data()), &n, out.size()) == LZMA_OK);
  out.resize(n);
  return out;
}

// A minimal little-endian ELF64: header, and with `interp` one PT_INTERP.
std::string make_elf(const std::string& interp, unsigned type = 2) {
  std::string e(64, '\0');
  auto put = [&e](std::size_t off, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) e[off + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  e[0] = 0x7f, e[1] = 'E', e[2] = 'L', e[3] = 'F', e[4] = 2, e[5] = 1, e[6] = 1;
  put(16, type, 2);
  put(32, 64, 8);
  put(54, 56, 2);
  if (interp.empty()) return e;
  put(56, 1, 2);
  e.resize(120, '\0');
  put(64, 3, 4);
  put(72, 120, 8);
  put(96, interp.size() + 1, 8);
  return e + interp + '\0';
}

struct TempTree {
  psb::test::TempDir tmp{"psb-capload"};
  fs::path dir = tmp.path();
  void file(const std::string& abs, const std::string& data) {
    fs::create_directories((dir / abs.substr(1)).parent_path());
    std::ofstream(dir / abs.substr(1), std::ios::binary) << data;
  }
  void mkdir(const std::string& abs) { fs::create_directories(dir / abs.substr(1)); }
  // A relative symlink at `abs` to the tree path `target`, as sysfs has them.
  void link(const std::string& abs, const std::string& target) {
    const fs::path at = dir / abs.substr(1);
    fs::create_directories(at.parent_path());
    fs::create_symlink(fs::relative(dir / target.substr(1), at.parent_path()), at);
  }
};

// sysfs of a virtio disk vda with partition vda2, virtio_pci and virtio_blk
// as modules.
void virtio_sysfs(TempTree& t) {
  const std::string pci = "/sys/devices/pci0000:00/0000:00:04.0", vio = pci + "/virtio1";
  t.mkdir(vio + "/block/vda/vda2");
  t.link("/sys/class/block/vda2", vio + "/block/vda/vda2");
  t.link("/sys/class/block/vda", vio + "/block/vda");
  t.link(vio + "/block/vda/device", vio);
  t.mkdir("/sys/module/virtio_pci");
  t.mkdir("/sys/module/virtio_blk");
  t.link("/sys/bus/pci/drivers/virtio-pci/module", "/sys/module/virtio_pci");
  t.link("/sys/bus/virtio/drivers/virtio_blk/module", "/sys/module/virtio_blk");
  t.link(pci + "/driver", "/sys/bus/pci/drivers/virtio-pci");
  t.link(vio + "/driver", "/sys/bus/virtio/drivers/virtio_blk");
}

const char* kModulesDep =
    "kernel/drivers/block/virtio_blk.ko.xz: kernel/drivers/virtio/virtio_ring.ko.xz "
    "kernel/drivers/virtio/virtio.ko.xz\n"
    "kernel/drivers/virtio/virtio_pci.ko.xz: kernel/drivers/virtio/virtio_pci_modern_dev.ko.xz "
    "kernel/drivers/virtio/virtio_pci_legacy_dev.ko.xz kernel/drivers/virtio/virtio_ring.ko.xz "
    "kernel/drivers/virtio/virtio.ko.xz\n"
    "kernel/drivers/virtio/virtio.ko.xz:\n"
    "kernel/drivers/virtio/virtio_ring.ko.xz: kernel/drivers/virtio/virtio.ko.xz\n"
    "kernel/drivers/virtio/virtio_pci_modern_dev.ko.xz:\n"
    "kernel/drivers/virtio/virtio_pci_legacy_dev.ko.xz:\n"
    "kernel/drivers/nvme/host/nvme.ko: kernel/drivers/nvme/host/nvme-core.ko\n"
    "kernel/drivers/nvme/host/nvme-core.ko:\n"
    "kernel/fs/pstore/pstore_blk.ko.xz: kernel/fs/pstore/pstore_zone.ko.xz\n"
    "kernel/fs/pstore/pstore_zone.ko.xz:\n";

}  // namespace

TEST_CASE("render_newc: headers, names, padding, trailer", "[sysconf][capture-load]") {
  const std::string a = render_newc({{CpioEntry::Kind::kDir, "/bin", 0755, {}},
                                     {CpioEntry::Kind::kFile, "/bin/hello", 0644, "hello"},
                                     {CpioEntry::Kind::kSymlink, "/bin/sh", 0777, "busybox"}});
  // The first member byte for byte: 110-byte header, "bin\0", padded to 116.
  REQUIRE(a.substr(0, 110) ==
          "070701"
          "00000001"
          "000041ED"
          "00000000"
          "00000000"
          "00000002"
          "00000000"
          "00000000"
          "00000000"
          "00000000"
          "00000000"
          "00000000"
          "00000004"
          "00000000");
  REQUIRE(a.substr(110, 6) == std::string("bin\0\0\0", 6));
  const auto m = parse_newc(a);
  REQUIRE(m.size() == 4);
  CHECK(m[1].name == "bin/hello");
  CHECK(m[1].mode == 0100644);
  CHECK(m[1].data == "hello");
  CHECK(m[1].nlink == 1);
  CHECK(m[2].mode == 0120777);
  CHECK(m[2].data == "busybox");
  CHECK(m[3].name == "TRAILER!!!");
  CHECK(m[3].data.empty());
  CHECK(a.size() % 4 == 0);
}

TEST_CASE("gzip_bytes round-trips through zlib's gzip reader", "[sysconf][capture-load]") {
  std::string big;
  for (int i = 0; i < 10000; ++i) big += "line " + std::to_string(i) + "\n";
  auto gz = gzip_bytes(big);
  REQUIRE(gz);
  REQUIRE(gz->size() > 10);
  CHECK(static_cast<unsigned char>((*gz)[0]) == 0x1f);
  CHECK(static_cast<unsigned char>((*gz)[1]) == 0x8b);
  CHECK(gunzip(*gz) == big);
}

TEST_CASE("order_modules: dependencies first, builtin and pstore left out",
          "[sysconf][capture-load]") {
  auto o = order_modules(kModulesDep, "kernel/drivers/virtio/virtio.ko\n",
                         {"virtio_pci", "virtio_blk"}, {"pstore_blk"});
  REQUIRE(o);
  CHECK(*o == std::vector<std::string>{"kernel/drivers/virtio/virtio_pci_modern_dev.ko.xz",
                                       "kernel/drivers/virtio/virtio_pci_legacy_dev.ko.xz",
                                       "kernel/drivers/virtio/virtio_ring.ko.xz",
                                       "kernel/drivers/virtio/virtio_pci.ko.xz",
                                       "kernel/drivers/block/virtio_blk.ko.xz"});
  auto n = order_modules(kModulesDep, "", {"nvme"}, {});
  REQUIRE(n);
  CHECK(*n == std::vector<std::string>{"kernel/drivers/nvme/host/nvme-core.ko",
                                       "kernel/drivers/nvme/host/nvme.ko"});
  auto p = order_modules(kModulesDep, "", {"pstore_blk"}, {"pstore_blk", "pstore_zone"});
  REQUIRE(p);
  CHECK(p->empty());
  auto missing = order_modules(kModulesDep, "", {"ahci"}, {});
  REQUIRE(!missing);
  CHECK(missing.error().code == psb::Errc::kNotFound);
  CHECK(module_name("kernel/drivers/nvme/host/nvme-core.ko.xz") == "nvme_core");
}

TEST_CASE("block_driver_modules walks the sysfs device chain", "[sysconf][capture-load]") {
  TempTree t;
  virtio_sysfs(t);
  psb::io::RootFs fs(t.dir.string());
  auto m = block_driver_modules(fs, "vda2");
  REQUIRE(m);
  CHECK(*m == std::vector<std::string>{"virtio_pci", "virtio_blk"});
  CHECK(!block_driver_modules(fs, "sdz1"));
}

TEST_CASE("render_init_script: mounts, watchdog, modules, capture, reboot",
          "[sysconf][capture-load]") {
  InitScriptParams p;
  p.device = "/dev/vda2";
  p.modules = {"/lib/modules/psb/10-virtio_pci.ko", "/lib/modules/psb/11-virtio_blk.ko"};
  p.lib_dirs = {"/usr/lib/x86_64-linux-gnu"};
  const std::string s = render_init_script(p);
  auto at = [&s](const std::string& needle) {
    INFO(needle);
    const auto pos = s.find(needle);
    REQUIRE(pos != std::string::npos);
    return pos;
  };
  CHECK(s.rfind("#!/bin/sh\n", 0) == 0);
  const auto proc = at("mount -t proc proc /proc"), sys = at("mount -t sysfs sysfs /sys");
  const auto dev = at("mount -t devtmpfs devtmpfs /dev");
  const auto dog = at("sleep 120; say 'watchdog: rebooting'; \"$bb\" reboot -f) &");
  const auto m1 = at("insmod '/lib/modules/psb/10-virtio_pci.ko'");
  const auto m2 = at("insmod '/lib/modules/psb/11-virtio_blk.ko'");
  const auto wait = at("while [ ! -b '/dev/vda2' ] && [ $i -lt 30 ]");
  const auto cap = at("/bin/pstore-blk capture-panic '/dev/vda2' --vmcore /proc/vmcore");
  const auto sync = at("$bb sync\n"), reboot = s.rfind("$bb reboot -f\n");
  CHECK(proc < sys);
  CHECK(sys < dev);
  CHECK(dev < dog);
  CHECK(dog < m1);
  CHECK(m1 < m2);
  CHECK(m2 < wait);
  CHECK(wait < cap);
  CHECK(cap < sync);
  CHECK(sync < reboot);
  at("export LD_LIBRARY_PATH='/usr/lib/x86_64-linux-gnu'");
}

TEST_CASE("render_init_script: with a PARTUUID, capture-panic finds the partition by it",
          "[sysconf][capture-load]") {
  InitScriptParams p;
  p.device = "/dev/nvme0n1p9";
  p.partuuid = "0fc63daf-8483-4772-8e79-3d69d8477de4";
  p.capture_args = {"--kmsg-size", "64"};
  const std::string s = render_init_script(p);
  INFO(s);
  // capture-panic waits for the disk that holds the PARTUUID; the kernel name
  // is not waited for, nor given (the capture kernel may name it otherwise).
  CHECK(s.find("while [ ! -b") == std::string::npos);
  CHECK(s.find("elif [ ! -b") == std::string::npos);
  CHECK(
      s.find("elif /bin/pstore-blk capture-panic --partuuid '0fc63daf-8483-4772-8e79-3d69d8477de4' "
             "--wait-seconds 30 --vmcore /proc/vmcore '--kmsg-size' '64'; then") !=
      std::string::npos);
  CHECK(s.find("capture-panic '/dev/nvme0n1p9'") == std::string::npos);
}

TEST_CASE("build_capture_cmdline keeps the console and adds the capture words",
          "[sysconf][capture-load]") {
  CHECK(build_capture_cmdline("BOOT_IMAGE=/vmlinuz-6.1.0-56-amd64 root=UUID=1 ro console=tty0 "
                              "console=ttyS0,115200n8 quiet crashkernel=256M\n",
                              {"loglevel=7 foo", "bar"}) ==
        "console=tty0 console=ttyS0,115200n8 reset_devices nr_cpus=1 irqpoll nousb panic=10 "
        "loglevel=7 foo bar");
  CHECK(build_capture_cmdline("", {}) == "reset_devices nr_cpus=1 irqpoll nousb panic=10");
}

TEST_CASE("check_static_busybox and elf_interpreter", "[sysconf][capture-load]") {
  CHECK(check_static_busybox("/bin/busybox", make_elf("")));
  auto dyn = check_static_busybox("/bin/busybox", make_elf("/lib64/ld-linux-x86-64.so.2"));
  REQUIRE(!dyn);
  CHECK(dyn.error().what.find("dynamically linked") != std::string::npos);
  CHECK(dyn.error().what.find("/lib64/ld-linux-x86-64.so.2") != std::string::npos);
  CHECK(dyn.error().what.find("busybox-static") != std::string::npos);
  auto none = check_static_busybox("/bin/busybox", std::nullopt);
  REQUIRE(!none);
  CHECK(none.error().code == psb::Errc::kNotFound);
  CHECK(none.error().what.find("busybox-static") != std::string::npos);
  auto text = check_static_busybox("/bin/busybox", std::string("#!/bin/sh\necho hi\n"));
  REQUIRE(!text);
  CHECK(text.error().what.find("busybox-static") != std::string::npos);
  auto interp = elf_interpreter(make_elf("/lib/ld.so"));
  REQUIRE(interp);
  CHECK(*interp == std::optional<std::string>("/lib/ld.so"));
  std::string cut = make_elf("/lib/ld.so");
  cut.resize(100);
  CHECK(!elf_interpreter(cut));
  CHECK(is_elf_shared_object(make_elf("", 3)));
  CHECK(!is_elf_shared_object(make_elf("", 2)));
}

TEST_CASE("mapped_files: file-backed mappings once each", "[sysconf][capture-load]") {
  const char* maps =
      "55d0 r--p 00000000 fe:01 1 /usr/sbin/pstore-blk\n"
      "55d1 r-xp 00001000 fe:01 1 /usr/sbin/pstore-blk\n"
      "7f00 rw-p 00000000 00:00 0 \n"
      "7f01 r--p 00000000 fe:01 2 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
      "7f02 rw-p 00000000 00:00 0 [heap]\n"
      "7f03 r--p 00000000 fe:01 3 /tmp/gone (deleted)\n"
      "7f04 r--p 00000000 fe:01 2 /usr/lib/x86_64-linux-gnu/libc.so.6\n";
  CHECK(mapped_files(maps) ==
        std::vector<std::string>{"/usr/sbin/pstore-blk", "/usr/lib/x86_64-linux-gnu/libc.so.6"});
}

TEST_CASE("build_capture_initramfs on a built-up system tree", "[sysconf][capture-load]") {
  TempTree t;
  virtio_sysfs(t);
  const std::string rel = "6.12.99-amd64", dir = "/lib/modules/" + rel + "/";
  t.file("/proc/sys/kernel/osrelease", rel + "\n");
  t.file("/proc/cmdline", "root=/dev/vda1 console=ttyS0 crashkernel=192M\n");
  t.file("/bin/busybox", make_elf(""));
  t.file(dir + "modules.dep", kModulesDep);
  t.file(dir + "modules.builtin", "kernel/drivers/virtio/virtio.ko\n");
  for (const char* m :
       {"virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_ring", "virtio_pci"})
    t.file(dir + "kernel/drivers/virtio/" + m + ".ko.xz", xz(std::string("ELF ") + m));
  t.file(dir + "kernel/drivers/block/virtio_blk.ko.xz", xz("ELF virtio_blk"));
  psb::io::RootFs root(t.dir.string()), self("/");
  CaptureLoadOptions o;
  o.device = "/dev/vda2";
  o.append = {"loglevel=7"};
  auto img = build_capture_initramfs(root, self, o);
  REQUIRE(img);
  CHECK(img->release == rel);
  CHECK(img->kname == "vda2");
  CHECK(img->kernel_image == t.dir.string() + "/boot/vmlinuz-" + rel);
  CHECK(img->cmdline == "console=ttyS0 reset_devices nr_cpus=1 irqpoll nousb panic=10 loglevel=7");
  CHECK(img->modules == std::vector<std::string>{"/lib/modules/psb/10-virtio_pci_modern_dev.ko",
                                                 "/lib/modules/psb/11-virtio_pci_legacy_dev.ko",
                                                 "/lib/modules/psb/12-virtio_ring.ko",
                                                 "/lib/modules/psb/13-virtio_pci.ko",
                                                 "/lib/modules/psb/14-virtio_blk.ko"});
  const std::string raw = gunzip(img->archive);
  CHECK(raw.size() == img->uncompressed);
  std::map<std::string, Member> by_name;
  for (auto& m : parse_newc(raw)) by_name[m.name] = m;
  for (const char* n : {"init", "bin/busybox", "bin/sh", "bin/pstore-blk", "proc", "sys", "dev"})
    CHECK(by_name.count(n) == 1);
  CHECK(by_name["lib/modules/psb/14-virtio_blk.ko"].data == "ELF virtio_blk");
  CHECK(by_name["init"].data.find("capture-panic '/dev/vda2' --vmcore /proc/vmcore") !=
        std::string::npos);
  CHECK(by_name["init"].mode == 0100755);
  CHECK(img->layout_args.empty());  // pstore_blk is not loaded in this tree

  // pstore_blk attached to this partition: its zone sizes go to capture-panic.
  const std::string par = "/sys/module/pstore_blk/parameters/";
  t.file(par + "blkdev", "/dev/vda2\n");
  for (const char* k : {"kmsg_size", "pmsg_size", "console_size"}) t.file(par + k, "64\n");
  t.file(par + "ftrace_size", "0\n");
  auto live = build_capture_initramfs(root, self, o);
  REQUIRE(live);
  CHECK(live->layout_args == std::vector<std::string>{"--kmsg-size", "64", "--pmsg-size", "64",
                                                      "--console-size", "64", "--ftrace-size", "0",
                                                      "--allow-empty"});
  std::map<std::string, Member> live_names;
  for (auto& m : parse_newc(gunzip(live->archive))) live_names[m.name] = m;
  CHECK(live_names["init"].data.find("--vmcore /proc/vmcore '--kmsg-size' '64' '--pmsg-size' "
                                     "'64' '--console-size' '64' '--ftrace-size' '0' "
                                     "'--allow-empty'; then") != std::string::npos);
  t.file(par + "blkdev", "/dev/vdb1\n");  // attached elsewhere
  auto other = build_capture_initramfs(root, self, o);
  REQUIRE(other);
  CHECK(other->layout_args.empty());
  t.file(par + "blkdev", "/dev/vda2\n");
  t.file(par + "kmsg_size", "64 KiB\n");  // not a number
  auto odd = build_capture_initramfs(root, self, o);
  REQUIRE(odd);
  CHECK(odd->layout_args.empty());
  for (const auto& [name, m] : by_name) CHECK(name.find("pstore_") == std::string::npos);
}

TEST_CASE("build_capture_initramfs refuses a dynamic busybox and .ko.zst",
          "[sysconf][capture-load]") {
  TempTree t;
  virtio_sysfs(t);
  t.file("/proc/sys/kernel/osrelease", "6.1.0-1-amd64\n");
  t.file("/bin/busybox", make_elf("/lib64/ld-linux-x86-64.so.2"));
  psb::io::RootFs root(t.dir.string()), self("/");
  CaptureLoadOptions o;
  o.device = "/dev/vda2";
  auto img = build_capture_initramfs(root, self, o);
  REQUIRE(!img);
  CHECK(img.error().what.find("busybox-static") != std::string::npos);
  t.file("/bin/busybox", make_elf(""));
  t.file("/lib/modules/6.1.0-1-amd64/modules.dep",
         "kernel/virtio_pci.ko.zst:\nkernel/virtio_blk.ko.zst:\n");
  auto zst = build_capture_initramfs(root, self, o);
  REQUIRE(!zst);
  CHECK(zst.error().code == psb::Errc::kUnsupported);
  CHECK(!xz_decompress("not xz", 100));
}

namespace {

struct FakeLoader : KexecLoader {
  TempTree* tree = nullptr;
  std::optional<psb::Error> fail;
  int calls = 0;
  std::string kernel, cmdline;
  std::size_t initrd = 0;
  psb::Result<void> load_crash(const std::string& k, std::string_view i,
                               const std::string& c) override {
    ++calls;
    kernel = k, cmdline = c, initrd = i.size();
    if (fail) return *fail;
    tree->file("/sys/kernel/kexec_crash_loaded", "1\n");
    return {};
  }
};

}  // namespace

TEST_CASE("load_capture_kernel: reservation, load, confirmation", "[sysconf][capture-load]") {
  TempTree t;
  psb::io::RootFs root(t.dir.string());
  CaptureInitramfs img;
  img.kernel_image = "/boot/vmlinuz";
  img.archive = "xyz";
  img.cmdline = "console=ttyS0 panic=10";
  FakeLoader fake;
  fake.tree = &t;
  auto none = load_capture_kernel(root, fake, img);
  REQUIRE(!none);
  CHECK(none.error().code == psb::Errc::kUnsupported);
  t.file("/sys/kernel/kexec_crash_size", "0\n");
  t.file("/sys/kernel/kexec_crash_loaded", "0\n");
  auto zero = load_capture_kernel(root, fake, img);
  REQUIRE(!zero);
  CHECK(zero.error().what.find("crashkernel=") != std::string::npos);
  CHECK(fake.calls == 0);
  t.file("/sys/kernel/kexec_crash_size", "201326592\n");
  fake.fail = psb::make_sys_error("kexec_file_load of /boot/vmlinuz", EPERM);
  CHECK(!load_capture_kernel(root, fake, img));
  fake.fail.reset();
  auto ok = load_capture_kernel(root, fake, img);
  REQUIRE(ok);
  CHECK(ok->reserved == 201326592);
  CHECK(ok->loaded == true);
  CHECK_FALSE(ok->ours);  // the marker is the CLI's to write, after this
  // Loaded now, and no marker: someone else's crash kernel, never replaced.
  fake.calls = 0;
  auto taken = load_capture_kernel(root, fake, img);
  REQUIRE(!taken);
  CHECK(taken.error().code == psb::Errc::kConflict);
  CHECK(taken.error().what.find("not by pstore-blk") != std::string::npos);
  CHECK(fake.calls == 0);
  // pstore-blk's own (the unit restarted): loaded again.
  t.file(kCaptureMarker, "/dev/vda2\n");
  auto again = load_capture_kernel(root, fake, img);
  REQUIRE(again);
  CHECK(again->ours);
  CHECK(again->ours_device == "/dev/vda2");
  CHECK(fake.calls == 1);
  CHECK(fake.kernel == "/boot/vmlinuz");
  CHECK(fake.cmdline == "console=ttyS0 panic=10");
  CHECK(fake.initrd == 3);
  // An initramfs the capture kernel could not unpack in the reservation.
  fake.calls = 0;
  img.uncompressed = 150ull << 20;
  auto big = load_capture_kernel(root, fake, img);
  REQUIRE(!big);
  CHECK(big.error().what.find("150 MiB unpacked") != std::string::npos);
  CHECK(big.error().what.find("about 222 MiB of the 192 MiB crashkernel=") != std::string::npos);
  CHECK(big.error().what.find("(crashkernel=238M)") != std::string::npos);
  CHECK(fake.calls == 0);
  // Measured: a 4.8 MiB initramfs (10.9 MiB unpacked) worked with 96M, not 80M.
  img.archive.assign(4900u << 10, 'x');
  img.uncompressed = 10950u << 10;
  t.file("/sys/kernel/kexec_crash_size", std::to_string(80u << 20) + "\n");
  CHECK(!load_capture_kernel(root, fake, img));
  CHECK(fake.calls == 0);
  t.file("/sys/kernel/kexec_crash_size", std::to_string(96u << 20) + "\n");
  CHECK(load_capture_kernel(root, fake, img));
  CHECK(fake.calls == 1);
}

TEST_CASE("elf_loaded_part: what the loader maps, the section headers dropped",
          "[sysconf][capture-load]") {
  const std::string small = make_elf("/lib/ld.so");
  auto same = elf_loaded_part(small);
  REQUIRE(same);
  CHECK(*same == small);
  auto cut = elf_loaded_part(small + std::string(4096, 'D'));
  REQUIRE(cut);
  CHECK(*cut == small);
  CHECK(!elf_loaded_part(make_elf("")));  // no program headers
  CHECK(!elf_loaded_part(small.substr(0, 100)));
  std::string outside = small;
  outside[96] = 100;  // PT_INTERP's p_filesz past the end
  CHECK(!elf_loaded_part(outside));

  // This test binary, cut the same way, still runs.
  std::ifstream in("/proc/self/exe", std::ios::binary);
  const std::string self((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto loaded = elf_loaded_part(self);
  REQUIRE(loaded);
  REQUIRE(loaded->size() <= self.size());
  CHECK(loaded->compare(0, 40, self, 0, 40) == 0);  // up to e_shoff
  CHECK(loaded->substr(40, 8) == std::string(8, '\0'));
  CHECK(loaded->substr(60, 4) == std::string(4, '\0'));  // e_shnum, e_shstrndx
  TempTree t;
  t.file("/exe", *loaded);
  fs::permissions(t.dir / "exe", fs::perms::owner_all);
  CHECK(std::system(((t.dir / "exe").string() + " --help >/dev/null 2>&1").c_str()) == 0);
}

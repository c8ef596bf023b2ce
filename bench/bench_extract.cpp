// Benchmark (a program, not a timed test): `pstore-blk extract` on a full
// 128 MiB pstore partition against the floor, and partition lookup on a
// 1 TiB sparse disk against the bare partition.
//
// The image is made from kernel-written zones: the kmsg zones of a fixture
// partition (fixtures/kernel/*/image.bin.xz, decompressed and cut out by
// bench/run_bench.sh) are repeated into all 2048 64 KiB zones.
//
// Floors, in the same run: list's = one read of each zone + inflate of its
// payload with the tool's inflater (libdeflate, whole buffer); extract's =
// the same + writing each record to its own file. Each floor is a program of
// its own (this binary, run as `psb_bench_extract floor|floor-write IMAGE
// [DIR]`), so floor and tool alike pay exec and start-up, and every figure
// comes the same way: list, extract and the floors run as children, in turn
// (best of REPEAT), their CPU time (user + system) and peak RSS from wait4().
// Both wall and CPU ratios are printed, with one PASS/FAIL line per target
// (list and extract <= 1.2x their floors, peak RSS <= 16 MiB); the exit
// status is 3 when a target fails.
//
// usage: psb_bench_extract PSTORE_BLK PARTITION_IMAGE WORKDIR [REPEAT]
//        psb_bench_extract floor IMAGE | floor-write IMAGE DIR   (the floors)
#include <fcntl.h>
#include <libdeflate.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kZone = 64 * 1024;
constexpr std::size_t kZones = 2048;

std::vector<char> read_all(const std::string& path) {
  std::vector<char> d;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    std::perror(path.c_str());
    std::exit(1);
  }
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) d.insert(d.end(), buf, buf + n);
  std::fclose(f);
  return d;
}

std::uint32_t u32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

double cpu_of(const struct rusage& ru) {
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Wall and CPU (user + system) seconds of one run.
struct Time {
  double wall = 1e9, cpu = 1e9;
  void best_of(const Time& t) {
    wall = std::min(wall, t.wall);
    cpu = std::min(cpu, t.cpu);
  }
};

struct Child {
  Time t;
  long maxrss_kib;
  int status;
};

Child run(const std::vector<std::string>& argv) {
  auto t0 = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  int status = 0;
  struct rusage ru = {};
  wait4(pid, &status, 0, &ru);
  return {
      {std::chrono::duration<double>(Clock::now() - t0).count(), cpu_of(ru)}, ru.ru_maxrss, status};
}

// The floor's inflate: the tool inflates a whole record with libdeflate.
std::size_t inflate(libdeflate_decompressor* d, const char* in, std::size_t n,
                    std::vector<char>& out) {
  std::size_t got = 0;
  if (libdeflate_deflate_decompress(d, in, n, out.data(), out.size(), &got) != LIBDEFLATE_SUCCESS)
    std::exit(1);
  return got;
}

// Floor of list: reads each zone and inflates its payload; returns the
// bytes inflated.
std::size_t floor_list(const std::string& image) {
  std::size_t inflated = 0;
  int fd = open(image.c_str(), O_RDONLY);
  std::vector<char> buf(kZone);
  std::vector<char> out(3 * kZone);
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  for (std::size_t z = 0; z < kZones; ++z) {
    if (pread(fd, buf.data(), kZone, static_cast<off_t>(z * kZone)) != static_cast<ssize_t>(kZone))
      std::exit(1);
    const std::uint32_t datalen = u32(buf.data() + 4);
    inflated += inflate(d, buf.data() + 52, datalen - 40, out);
  }
  libdeflate_free_decompressor(d);
  close(fd);
  return inflated;
}

// Floor of extract: the same read and inflate, each record written to its
// own file (open, write, close) like extract does.
void floor_write(const std::string& image, const std::string& dir) {
  int fd = open(image.c_str(), O_RDONLY);
  std::vector<char> buf(kZone);
  std::vector<char> out(3 * kZone);
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  for (std::size_t z = 0; z < kZones; ++z) {
    if (pread(fd, buf.data(), kZone, static_cast<off_t>(z * kZone)) != static_cast<ssize_t>(kZone))
      std::exit(1);
    const std::uint32_t datalen = u32(buf.data() + 4);
    const std::size_t n = inflate(d, buf.data() + 52, datalen - 40, out);
    const std::string name = dir + "/dmesg-pstore_blk-" + std::to_string(z);
    int o = open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (o < 0 || write(o, out.data(), n) != static_cast<ssize_t>(n)) std::exit(1);
    close(o);
  }
  libdeflate_free_decompressor(d);
  close(fd);
}

// One target's verdict line.
bool verdict(const char* what, double ratio, double target) {
  const bool ok = ratio <= target;
  std::printf("%s: %s (%.2fx, target <= %.1fx)\n", ok ? "PASS" : "FAIL", what, ratio, target);
  return ok;
}

// Runs a child that must succeed.
Child must_run(const char* what, const std::vector<std::string>& argv) {
  Child c = run(argv);
  if (!WIFEXITED(c.status) || WEXITSTATUS(c.status) != 0) {
    std::fprintf(stderr, "%s failed (status %d)\n", what, c.status);
    std::exit(1);
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "floor") return floor_list(argv[2]) ? 0 : 1;
  if (argc == 4 && std::string(argv[1]) == "floor-write") {
    floor_write(argv[2], argv[3]);
    return 0;
  }
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s PSTORE_BLK PARTITION_IMAGE WORKDIR [REPEAT]\n", argv[0]);
    return 2;
  }
  const std::string bin = argv[1], part = argv[2], work = argv[3];
  const int repeat = argc > 4 ? std::atoi(argv[4]) : 5;

  // Collect the compressed kernel-written kmsg zones of the fixture.
  std::vector<char> src = read_all(part);
  std::vector<std::vector<char>> zones;
  for (std::size_t off = 0; off + kZone <= src.size(); off += kZone)
    if (u32(src.data() + off) == 0x43474244u && u32(src.data() + off + 12) == 0x4dfc3ae5u &&
        src[off + 12 + 24] == 1)
      zones.emplace_back(src.begin() + static_cast<long>(off),
                         src.begin() + static_cast<long>(off + kZone));
  if (zones.empty()) {
    std::fprintf(stderr, "no compressed kmsg zone in %s\n", part.c_str());
    return 1;
  }

  const std::string image = work + "/part-128M.img";
  {
    FILE* f = std::fopen(image.c_str(), "wb");
    for (std::size_t z = 0; z < kZones; ++z)
      std::fwrite(zones[z % zones.size()].data(), 1, kZone, f);
    std::fclose(f);
  }
  std::printf("image: %s, %zu zones of 64 KiB from %zu kernel-written zone(s)\n", image.c_str(),
              kZones, zones.size());

  Time best_floor, best_extract, best_wfloor, best_list;
  long max_rss = 0, list_rss = 0;
  const std::size_t inflated = floor_list(image);  // untimed: warms the page cache
  const std::string self = "/proc/self/exe";
  const std::string outdir = work + "/out";
  auto fresh_outdir = [&] { std::system(("rm -rf '" + outdir + "'").c_str()); };
  for (int i = 0; i < repeat; ++i) {
    best_floor.best_of(must_run("the list floor", {self, "floor", image}).t);
    fresh_outdir();
    std::system(("mkdir -p '" + outdir + "'").c_str());
    best_wfloor.best_of(must_run("the extract floor", {self, "floor-write", image, outdir}).t);
    Child l = must_run("list", {bin, "list", image});
    best_list.best_of(l.t);
    list_rss = std::max(list_rss, l.maxrss_kib);
    fresh_outdir();
    Child c = must_run("extract", {bin, "extract", image, "--output-dir", outdir});
    best_extract.best_of(c.t);
    max_rss = std::max(max_rss, c.maxrss_kib);
  }
  std::printf("best of %d; wall time, and CPU time (user + system)\n", repeat);
  std::printf("floor: read + inflate %zu MiB of text:     wall %.3f s  cpu %.3f s\n",
              inflated >> 20, best_floor.wall, best_floor.cpu);
  std::printf("floor: read + inflate + write %zu files:  wall %.3f s  cpu %.3f s\n", kZones,
              best_wfloor.wall, best_wfloor.cpu);
  std::printf(
      "pstore-blk list:    wall %.3f s = %.2fx  cpu %.3f s = %.2fx its floor, peak RSS %ld KiB\n",
      best_list.wall, best_list.wall / best_floor.wall, best_list.cpu,
      best_list.cpu / best_floor.cpu, list_rss);
  std::printf(
      "pstore-blk extract: wall %.3f s = %.2fx  cpu %.3f s = %.2fx its floor, peak RSS %ld KiB\n",
      best_extract.wall, best_extract.wall / best_wfloor.wall, best_extract.cpu,
      best_extract.cpu / best_wfloor.cpu, max_rss);
  bool ok = verdict("list wall time vs its floor", best_list.wall / best_floor.wall, 1.2);
  ok &= verdict("list CPU time vs its floor", best_list.cpu / best_floor.cpu, 1.2);
  ok &= verdict("extract wall time vs its floor", best_extract.wall / best_wfloor.wall, 1.2);
  ok &= verdict("extract CPU time vs its floor", best_extract.cpu / best_wfloor.cpu, 1.2);
  const long rss = std::max(list_rss, max_rss);
  std::printf("%s: list and extract peak RSS %.1f MiB (target <= 16 MiB)\n",
              rss <= 16 * 1024 ? "PASS" : "FAIL", static_cast<double>(rss) / 1024);
  ok &= rss <= 16 * 1024;
  std::fflush(stdout);

  // Partition lookup must not depend on the disk size: a 1 TiB sparse disk
  // with the pstore partition at its end.
  const std::string disk = work + "/disk-1T.img";
  std::system(("rm -f '" + disk + "' && truncate -s 1T '" + disk + "'").c_str());
  const std::string script =
      "label: gpt\nstart=2048, size=2097152, type=linux, name=data\n"
      "start=2147219456, size=262144, type=linux, name=pstore\n";
  std::string cmd = "printf '" + script + "' | sfdisk -q '" + disk + "' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "sfdisk failed\n");
    return 1;
  }
  cmd = "dd if='" + image + "' of='" + disk +
        "' bs=1M seek=$((2147219456 * 512 / 1048576)) conv=notrunc,sparse status=none";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "dd failed\n");
    return 1;
  }
  double best_part = 1e9, best_disk = 1e9;
  long rss_disk = 0;
  for (int i = 0; i < repeat; ++i) {
    best_part = std::min(best_part, run({bin, "list", image}).t.wall);
    Child c = run({bin, "list", disk});
    if (!WIFEXITED(c.status) || WEXITSTATUS(c.status) != 0) {
      std::fprintf(stderr, "list on the 1 TiB disk failed\n");
      return 1;
    }
    best_disk = std::min(best_disk, c.t.wall);
    rss_disk = std::max(rss_disk, c.maxrss_kib);
  }
  std::printf("list on the bare 128 MiB partition:          %.3f s\n", best_part);
  std::printf("list on a 1 TiB sparse GPT disk (part at end): %.3f s  = %.2fx, peak RSS %ld KiB\n",
              best_disk, best_disk / best_part, rss_disk);
  std::printf("%s: list on a 1 TiB disk peak RSS %.1f MiB (target <= 16 MiB)\n",
              rss_disk <= 16 * 1024 ? "PASS" : "FAIL", static_cast<double>(rss_disk) / 1024);
  ok &= rss_disk <= 16 * 1024;
  std::remove(disk.c_str());
  return ok ? 0 : 3;
}

// Benchmark (a program, not a timed test): `pstore-blk summary` over a
// fleet of partitions on 1 job and on every online CPU, with the speed-up and
// a byte-for-byte comparison of the two outputs (they must be identical).
//
// The fleet is made from kernel-written zones: the valid kmsg zones of a
// fixture partition (cut out by bench/run_bench_summary.sh) are repeated into
// every zone of a 16 MiB partition (256 records of 64 KiB), and SOURCES
// hard links to it stand for SOURCES machines' pulled partitions (the page
// cache holds one copy, so the figure measures pstore-blk, not the disk).
//
// Prints wall and CPU time (user + system, from wait4()) of both, and one
// PASS/FAIL line per target: speed-up >= 1.6x (wall), identical output, peak
// RSS <= 16 MiB; the exit status is 3 when a target fails. The speed-up is a
// wall-clock figure: on a machine busy with other work it measures the load
// too, which the CPU times show (jobs N should cost about the CPU of jobs 1)
// and a calibration shows: how many CPUs N busy threads got just before.
//
// usage: psb_bench_summary PSTORE_BLK PARTITION_IMAGE WORKDIR [SOURCES] [REPEAT]
#include <fcntl.h>
#include <spawn.h>
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
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kZone = 64 * 1024;       // the fixture's kmsg_size
constexpr std::size_t kPartition = 16u << 20;  // 256 zones
constexpr std::uint32_t kPszSig = 0x43474244;  // fs/pstore/zone.c PSZ_SIG (dmesg: ^ 0)

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::uint32_t le32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);  // x86_64 fixture, little-endian host
  return v;
}

// Runs `argv` with stdout to `out`; returns wall and CPU seconds and peak
// RSS (KiB).
bool run(const std::vector<std::string>& argv, const std::string& out, double& secs, double& cpu,
         long& rss) {
  std::vector<char*> a;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  // posix_spawn (vfork-like): the child's peak RSS is pstore-blk's, not a
  // copy of this process's.
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const std::string err = out + ".err";
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const auto t0 = std::chrono::steady_clock::now();
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, a[0], &fa, nullptr, a.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return false;
  int status = 0;
  struct rusage ru = {};
  if (wait4(pid, &status, 0, &ru) != pid) return false;
  secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rss = ru.ru_maxrss;
  cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
        static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// CPUs that `n` busy threads get for 0.3 s now: n on an idle machine, less
// when other work takes the CPUs (then no speed-up can reach n).
double cpus_available(unsigned n) {
  struct rusage r0 = {}, r1 = {};
  getrusage(RUSAGE_SELF, &r0);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> busy;
  for (unsigned i = 0; i < n; ++i)
    busy.emplace_back([t0] {
      // Reading the clock is the work (the loop cannot be optimised away).
      for (;;)
        if (std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(300)) break;
    });
  for (auto& t : busy) t.join();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  getrusage(RUSAGE_SELF, &r1);
  auto secs = [](const struct rusage& r) {
    return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
           static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
  };
  return (secs(r1) - secs(r0)) / wall;
}

struct Timing {
  double median = 0, cpu = 0;  // medians of wall and CPU seconds
  long rss = 0;
};

bool time_summary(const std::string& psb, const std::string& fleet, unsigned jobs, int repeat,
                  const std::string& out, Timing& t) {
  std::vector<double> runs, cpus;
  for (int i = 0; i < repeat; ++i) {
    double s = 0, c = 0;
    long rss = 0;
    if (!run({psb, "summary", "--jobs", std::to_string(jobs), fleet}, out, s, c, rss)) return false;
    runs.push_back(s);
    cpus.push_back(c);
    t.rss = std::max(t.rss, rss);
  }
  std::sort(runs.begin(), runs.end());
  std::sort(cpus.begin(), cpus.end());
  t.median = runs[runs.size() / 2];
  t.cpu = cpus[cpus.size() / 2];
  return true;
}

// Writes the fleet: one partition of repeated kernel-written kmsg zones and
// `sources` hard links to it.
bool make_fleet(const std::string& partition, const std::string& work, int sources) {
  const std::string part = read_file(partition);
  std::vector<std::string> zones;
  for (std::size_t off = 0; off + kZone <= part.size(); off += kZone)
    if (le32(part.data() + off) == kPszSig && le32(part.data() + off + 4) != 0)
      zones.push_back(part.substr(off, kZone));
  if (zones.empty()) {
    std::fprintf(stderr, "no kmsg zones in %s\n", partition.c_str());
    return false;
  }
  std::string image;
  for (std::size_t i = 0; image.size() < kPartition; ++i) image += zones[i % zones.size()];
  const std::string fleet = work + "/fleet", one = work + "/partition.img";
  std::ofstream(one, std::ios::binary) << image;
  mkdir(fleet.c_str(), 0700);
  for (int i = 0; i < sources; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "/machine-%03d.img", i);
    if (link(one.c_str(), (fleet + name).c_str()) != 0) {
      std::perror("link");
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s PSTORE_BLK PARTITION_IMAGE WORKDIR [SOURCES] [REPEAT]\n",
                 argv[0]);
    return 2;
  }
  const std::string psb = argv[1], work = argv[3];
  const int sources = argc > 4 ? std::atoi(argv[4]) : 64;
  const int repeat = argc > 5 ? std::atoi(argv[5]) : 5;
  // In a child process: a spawned child shares this process's memory until
  // exec, and its peak RSS would count this process's peak (the image).
  const pid_t maker = fork();
  if (maker == 0) _exit(make_fleet(argv[2], work, sources) ? 0 : 1);
  int made = 1;
  if (maker < 0 || waitpid(maker, &made, 0) != maker || !WIFEXITED(made) || WEXITSTATUS(made))
    return 1;
  const std::string fleet = work + "/fleet";
  const unsigned cpus = static_cast<unsigned>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  const double avail_before = cpus_available(cpus);
  Timing t1, tn;
  const std::string out1 = work + "/summary-1.txt", outn = work + "/summary-n.txt";
  if (!time_summary(psb, fleet, 1, repeat, out1, t1) ||
      !time_summary(psb, fleet, cpus, repeat, outn, tn)) {
    std::fprintf(stderr, "pstore-blk summary failed\n");
    return 1;
  }
  const double avail_after = cpus_available(cpus);
  // stdout (the table) and stderr (warnings, totals) must both be identical.
  const bool same =
      read_file(out1) == read_file(outn) && read_file(out1 + ".err") == read_file(outn + ".err");
  std::printf("summary: %d sources x %zu MiB (%zu records each), median of %d\n", sources,
              kPartition >> 20, kPartition / kZone, repeat);
  std::printf("  --jobs 1   wall %7.3f s  cpu %7.3f s  peak RSS %5.1f MiB\n", t1.median, t1.cpu,
              t1.rss / 1024.0);
  std::printf("  --jobs %-3u wall %7.3f s  cpu %7.3f s  peak RSS %5.1f MiB\n", cpus, tn.median,
              tn.cpu, tn.rss / 1024.0);
  const double speedup = t1.median / tn.median;
  std::printf("  speed-up   %.2fx on %u CPUs; CPU time of --jobs %u is %.2fx that of --jobs 1\n",
              speedup, cpus, cpus, tn.cpu / t1.cpu);
  const double avail = std::min(avail_before, avail_after);
  std::printf(
      "  %u busy threads got %.2f CPUs before and %.2f after the runs (%u when idle)%s\n", cpus,
      avail_before, avail_after, cpus,
      avail < 0.9 * cpus ? ": the machine is busy, the speed-up measures the load too" : "");
  const bool fast = speedup >= 1.6, small = std::max(t1.rss, tn.rss) <= 16 * 1024;
  std::printf("%s: summary speed-up %.2fx with %u jobs (target >= 1.6x on 2 CPUs)\n",
              fast ? "PASS" : "FAIL", speedup, cpus);
  std::printf("%s: outputs of --jobs 1 and --jobs %u identical\n", same ? "PASS" : "FAIL", cpus);
  std::printf("%s: summary peak RSS %.1f MiB (target <= 16 MiB)\n", small ? "PASS" : "FAIL",
              static_cast<double>(std::max(t1.rss, tn.rss)) / 1024.0);
  if (!same) return 1;
  return fast && small ? 0 : 3;
}

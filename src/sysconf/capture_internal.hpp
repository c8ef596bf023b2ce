// Private to the capture model (capture.cpp, capture_advice.cpp): reading
// one setting the way the next boot's kernel and modprobe will see it.
#pragma once

#include <string>
#include <vector>

#include "pstore_blk/sysconf/capture.hpp"

namespace psb::sysconf::capture_detail {

bool truthy(const std::string& v);
/// Kernel release >= major.minor (an unknown release counts as current).
bool at_least(const SystemFacts& sf, int major, int minor);
Build config_build(const SystemFacts& sf, const std::string& sym);
/// "64 KiB", or "1000 bytes" when not a whole number of KiB.
std::string kib(long bytes);

struct Setting {
  std::string value, where;
  bool found = false;
};
/// Whether `w` is on the command line the next boot uses.
bool next_cmdline_word(const CaptureFacts& cf, const ConfigWord& w);
/// `key` ("pstore_blk.blkdev") for the next boot: its command line, and for
/// a module modprobe.d too (which wins, as modprobe appends it last).
Setting next_setting(const CaptureFacts& cf, const std::string& key, bool module);
/// A sysctl (sysctl.d, sysctl.conf, sysctl.KEY= on the command line).
Setting sysctl_setting(const CaptureFacts& cf, const std::string& key);
bool listed(const std::vector<std::string>& v, const std::string& name);
/// Bytes pstore hands a backend per crash (kmsg_bytes).
long kmsg_bytes(const SystemFacts& sf, const CaptureFacts& cf);
/// kernel.panic_on_oops=1 now or from the next boot (sysctl, oops=panic).
bool panic_on_oops(const SystemFacts& sf, const CaptureFacts& cf);

std::vector<Trap> find_traps(const SystemFacts& sf, const CaptureFacts& cf);
RamoopsAdvice ramoops_advice(const SystemFacts& sf, const CaptureFacts& cf);
std::vector<std::string> recommend(const SystemFacts& sf, const CaptureTable& t);

}  // namespace psb::sysconf::capture_detail

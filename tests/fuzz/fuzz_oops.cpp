// libFuzzer target: the crash parser of `summary` (psb_oops). Any text must
// give a signature (kind kNone at worst) without crashing, and grouping the
// same text twice must land in one group.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pstore_blk/oops/oops.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto sig = psb::oops::parse_crash(text);
  if (sig.frames.size() > psb::oops::kSignatureFrames) std::abort();
  if (sig.kind != psb::oops::CrashKind::kNone && sig.reports == 0) std::abort();
  psb::oops::CrashGroups groups;
  const std::string a = groups.add(sig, "a", 1, "compressed");
  const std::string b = groups.add(psb::oops::parse_crash(text), "b", 2, "erased");
  if (a != b || groups.sorted().size() != 1) std::abort();
  (void)psb::oops::kind_title(sig.kind);
  if (sig.function) (void)sig.function->display();
  return 0;
}

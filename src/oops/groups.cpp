// Crash kinds' names, the signature hash and CrashGroups.
#include <algorithm>
#include <cstdio>
#include <limits>
#include <tuple>

#include "pstore_blk/oops/oops.hpp"

namespace psb::oops {

std::string_view kind_name(CrashKind k) {
  switch (k) {
    case CrashKind::kNone:
      return "none";
    case CrashKind::kNullDeref:
      return "null-deref";
    case CrashKind::kPageFault:
      return "page-fault";
    case CrashKind::kGeneralProtection:
      return "gpf";
    case CrashKind::kBug:
      return "bug";
    case CrashKind::kWarning:
      return "warning";
    case CrashKind::kOops:
      return "oops";
    case CrashKind::kSoftLockup:
      return "soft-lockup";
    case CrashKind::kHardLockup:
      return "hard-lockup";
    case CrashKind::kHungTask:
      return "hung-task";
    case CrashKind::kPanic:
      return "panic";
  }
  return "none";
}

std::string_view kind_title(CrashKind k) {
  switch (k) {
    case CrashKind::kNone:
      return "no crash report";
    case CrashKind::kNullDeref:
      return "NULL pointer dereference";
    case CrashKind::kPageFault:
      return "page fault";
    case CrashKind::kGeneralProtection:
      return "general protection fault";
    case CrashKind::kBug:
      return "BUG";
    case CrashKind::kWarning:
      return "WARNING";
    case CrashKind::kOops:
      return "Oops";
    case CrashKind::kSoftLockup:
      return "soft lockup";
    case CrashKind::kHardLockup:
      return "hard lockup";
    case CrashKind::kHungTask:
      return "hung task";
    case CrashKind::kPanic:
      return "Kernel panic";
  }
  return "no crash report";
}

std::string short_hex(std::uint64_t hash) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash));
  return std::string(buf, 12);
}

std::string CrashSignature::group_id() const { return short_hex(hash); }

const std::string& CrashGroups::add(const CrashSignature& sig, std::string_view source,
                                    std::optional<std::int64_t> time, std::string_view state) {
  auto [it, fresh] = groups_.try_emplace(sig.signature);
  CrashGroup& g = it->second;
  if (fresh) {
    g.id = sig.group_id();
    g.example = sig;
  }
  ++g.count;
  ++records_;
  if (time) {
    if (!g.first_time || *time < *g.first_time) g.first_time = time;
    if (!g.last_time || *time > *g.last_time) g.last_time = time;
  }
  if (!sig.release.empty()) g.releases.insert(sig.release);
  std::string src(source);
  if (!g.sources.count(src)) {
    // Past the cap, sources are counted but not kept; callers feed one source
    // at a time, so a source is new when it differs from the previous one.
    if (g.sources.size() < kMaxGroupSources) {
      g.sources.insert(src);
      ++g.source_count;
    } else if (src != g.last_source) {
      ++g.source_count;
    }
  }
  g.last_source = std::move(src);
  ++g.states[std::string(state)];
  return g.id;
}

std::vector<const CrashGroup*> CrashGroups::sorted() const {
  std::vector<const CrashGroup*> out;
  out.reserve(groups_.size());
  for (const auto& [key, g] : groups_) out.push_back(&g);
  std::sort(out.begin(), out.end(), [](const CrashGroup* a, const CrashGroup* b) {
    const auto at = a->first_time.value_or(std::numeric_limits<std::int64_t>::max()),
               bt = b->first_time.value_or(std::numeric_limits<std::int64_t>::max());
    return std::tie(b->count, at, a->id) < std::tie(a->count, bt, b->id);
  });
  return out;
}

}  // namespace psb::oops

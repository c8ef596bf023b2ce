#include "pstore_blk/format/layout.hpp"

#include <algorithm>

namespace psb::format {

std::string_view type_name(RecordType t) {
  switch (t) {
    case RecordType::kDmesg:
      return "dmesg";
    case RecordType::kConsole:
      return "console";
    case RecordType::kFtrace:
      return "ftrace";
    case RecordType::kPmsg:
      return "pmsg";
  }
  return "unknown";
}

namespace {

// blk.c: check_size(name, alignsize): `_##name_ = name > 0 ? name : 0;
// _##name_ *= SZ_1K; if (_##name_ & (alignsize - 1)) { pr_info("... must align
// to %d\n"); _##name_ = ALIGN(name, alignsize); }`. Note ALIGN() is applied
// to the KiB value, not the byte value.
std::uint64_t normalise_kib(long kib) {
  if (kib <= 0) return 0;
  std::uint64_t bytes = static_cast<std::uint64_t>(kib) * 1024;
  if (bytes % 4096 != 0) bytes = (static_cast<std::uint64_t>(kib) + 4095) / 4096 * 4096;
  return bytes;
}

std::string human(std::uint64_t v) {
  if (v != 0 && v % (1 << 20) == 0) return std::to_string(v >> 20) + "M";
  if (v != 0 && v % 1024 == 0) return std::to_string(v >> 10) + "K";
  return std::to_string(v);
}

}  // namespace

ZoneLayout ZoneLayout::from_kib(std::uint64_t total_size, long kmsg_kib, long pmsg_kib,
                                long console_kib, long ftrace_kib, unsigned nr_cpus) {
  ZoneLayout l;
  l.total_size = total_size;
  l.kmsg_size = normalise_kib(kmsg_kib);
  l.pmsg_size = normalise_kib(pmsg_kib);
  l.console_size = normalise_kib(console_kib);
  l.ftrace_size = normalise_kib(ftrace_kib);
  l.nr_cpus = nr_cpus == 0 ? 1 : nr_cpus;
  return l;
}

std::string ZoneLayout::describe() const {
  return "kmsg=" + human(kmsg_size) + " pmsg=" + human(pmsg_size) +
         " console=" + human(console_size) + " ftrace=" + human(ftrace_size) +
         " cpus=" + std::to_string(nr_cpus) + " total=" + human(total_size);
}

Result<std::vector<ZoneSlot>> compute_slots(const ZoneLayout& layout) {
  std::uint64_t total = std::min(layout.total_size, kMaxTotalSize);
  if (total < 4096) return make_error(Errc::kFormat, "total_size must be >= 4096");
  if (total % 4096 != 0) return make_error(Errc::kFormat, "total_size must be a multiple of 4096");
  if (layout.kmsg_size == 0 && layout.pmsg_size == 0 && layout.console_size == 0 &&
      layout.ftrace_size == 0)
    return make_error(Errc::kInvalidArgument, "no frontend enabled (all zone sizes are 0)");
  for (std::uint64_t s :
       {layout.kmsg_size, layout.pmsg_size, layout.console_size, layout.ftrace_size})
    if (s != 0 && s < 512)
      return make_error(Errc::kInvalidArgument, "zone sizes must be at least 512 bytes");

  std::vector<ZoneSlot> slots;
  std::uint64_t off = 0;
  auto room = [&](std::uint64_t size, std::string_view name) -> Result<void> {
    if (size > total || off > total - size)
      return make_error(Errc::kFormat, "no room for " + std::string(name) + " zone(s)");
    return {};
  };
  if (layout.pmsg_size) {
    if (auto r = room(layout.pmsg_size, "pmsg"); !r) return r.error();
    slots.push_back({RecordType::kPmsg, 0, off, layout.pmsg_size});
    off += layout.pmsg_size;
  }
  if (layout.console_size) {
    if (auto r = room(layout.console_size, "console"); !r) return r.error();
    slots.push_back({RecordType::kConsole, 0, off, layout.console_size});
    off += layout.console_size;
  }
  if (layout.ftrace_size) {
    if (auto r = room(layout.ftrace_size, "ftrace"); !r) return r.error();
    const unsigned cpus = layout.nr_cpus == 0 ? 1 : layout.nr_cpus;
    const std::uint64_t f = layout.ftrace_size / cpus;
    if (f != 0) {
      // psz_init_zones() checks the room for the nominal F, then places F/f zones.
      const std::uint64_t cnt = layout.ftrace_size / f;
      if (f < 12) return make_error(Errc::kFormat, "ftrace zones smaller than their header");
      for (std::uint64_t i = 0; i < cnt; ++i) {
        slots.push_back({RecordType::kFtrace, static_cast<unsigned>(i), off, f});
        off += f;
      }
    }
  }
  if (layout.kmsg_size) {
    // The kmsg count uses the nominal sizes (off_size), the base the real offset.
    const std::uint64_t front = layout.pmsg_size + layout.console_size + layout.ftrace_size;
    if (front > total) return make_error(Errc::kFormat, "no room for dmesg zones");
    const std::uint64_t avail = total - front;
    if (off > total - avail) return make_error(Errc::kFormat, "no room for dmesg zones");
    const std::uint64_t cnt = avail / layout.kmsg_size;
    if (cnt == 0) return make_error(Errc::kFormat, "zone dmesg total_size too small");
    for (std::uint64_t j = 0; j < cnt; ++j) {
      slots.push_back({RecordType::kDmesg, static_cast<unsigned>(j), off, layout.kmsg_size});
      off += layout.kmsg_size;
    }
  }
  return slots;
}

}  // namespace psb::format

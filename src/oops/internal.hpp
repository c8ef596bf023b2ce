// Helpers shared by the crash parser's files (src/oops); not installed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pstore_blk/oops/oops.hpp"

namespace psb::oops::detail {

inline bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}
inline bool contains(std::string_view s, std::string_view p) {
  return s.find(p) != std::string_view::npos;
}
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/// Drops blanks (and a trailing CR or NUL) at both ends.
std::string_view trim(std::string_view s);
/// Leading decimal number of `s`, if any; advances `s` past it.
std::optional<long> take_number(std::string_view& s);
/// The number right after the first `key` in `s`.
std::optional<long> number_after(std::string_view s, std::string_view key);

/// One log line without its printk prefix.
struct LogLine {
  std::string_view msg;
  std::optional<double> uptime;
};
LogLine strip_prefix(std::string_view line);

bool is_pstore_banner(std::string_view m);
bool is_die_line(std::string_view m);
bool panic_follows_report(std::string_view msg, CrashKind report);
std::string normalize_message(std::string_view s);
void parse_taint_release(std::string_view s, std::optional<std::string>& taint,
                         std::string& release);

/// Frames that only show how a report was printed (dump_stack, panic, ...).
bool is_report_frame(const Frame& f);
/// Where a blocked task sleeps (schedule, mutex_lock, ...).
bool is_sleep_frame(const Frame& f);
/// The exception entry path an ORC unwinder prints as "? " frames.
bool is_exception_entry(const Frame& f);

}  // namespace psb::oops::detail

// Call-trace frames: parsing "%pS" symbols, clone suffixes, and the frames
// that say how a report was printed rather than where it came from.
#include <algorithm>
#include <cctype>
#include <iterator>

#include "internal.hpp"

namespace psb::oops {

namespace detail {

namespace {

// Frames that only show how the report was printed, never where it came from.
constexpr std::string_view kReportFrames[] = {
    "dump_stack",
    "dump_stack_lvl",
    "show_stack",
    "dump_backtrace",
    "show_trace_log_lvl",
    "panic",
    "vpanic",
    "nmi_panic",
    "__warn",
    "warn_slowpath_fmt",
    "__warn_printk",
    "report_bug",
    "handle_bug",
    "exc_invalid_op",
    "asm_exc_invalid_op",
    "__might_resched",
    "__might_sleep",
    "__schedule_bug",
    "check_panic_on_warn",
    "print_report",
    "kasan_report",
    "print_address_description",
    "die",
    "bug_handler",
    "call_break_hook",
    "brk_handler",
    "do_debug_exception",
    "el1_dbg",
    "el1h_64_sync_handler",
    "el1h_64_sync",
};

// Where a blocked task sleeps; a hung task's own code is below these.
constexpr std::string_view kSleepFrames[] = {
    "__schedule",
    "schedule",
    "schedule_timeout",
    "schedule_preempt_disabled",
    "schedule_hrtimeout_range_clock",
    "schedule_hrtimeout_range",
    "io_schedule",
    "io_schedule_timeout",
    "__switch_to",
    "__switch_to_asm",
    "context_switch",
    "__mutex_lock",
    "__mutex_lock_slowpath",
    "mutex_lock",
    "mutex_lock_interruptible",
    "rwsem_down_read_slowpath",
    "rwsem_down_write_slowpath",
    "down_read",
    "down_write",
    "down",
    "__down",
    "__down_common",
    "down_interruptible",
    "wait_for_completion",
    "wait_for_completion_timeout",
    "wait_for_completion_interruptible",
    "__wait_for_common",
    "do_wait_for_common",
    "wait_for_common",
    "bit_wait_io",
    "__wait_on_bit",
    "out_of_line_wait_on_bit",
    "folio_wait_bit_common",
    "msleep",
    "usleep_range_state",
    "schedule_timeout_uninterruptible",
};

// The exception entry path: "? " frames an ORC unwinder prints above the

template <std::size_t N>
bool in_list(const std::string_view (&list)[N], const Frame& f) {
  std::string name = strip_clone_suffix(f.function);
  return std::find(std::begin(list), std::end(list), std::string_view(name)) != std::end(list);
}

}  // namespace

bool is_report_frame(const Frame& f) { return in_list(kReportFrames, f); }
bool is_sleep_frame(const Frame& f) { return in_list(kSleepFrames, f); }

// The exception entry path: "? " frames an ORC unwinder prints above the
// faulting code (asm_exc_page_fault, exc_page_fault, page_fault_oops, __die).
bool is_exception_entry(const Frame& f) {
  std::string_view n = f.function;
  constexpr std::string_view kEntry[] = {"__die",
                                         "__die_body",
                                         "die",
                                         "die_addr",
                                         "do_trap",
                                         "do_error_trap",
                                         "page_fault_oops",
                                         "handle_page_fault",
                                         "do_user_addr_fault",
                                         "kernelmode_fixup_or_oops",
                                         "show_regs",
                                         "__show_regs",
                                         "oops_end"};
  if (starts_with(n, "asm_exc_") || starts_with(n, "exc_") || starts_with(n, "asm_sysvec_"))
    return true;
  std::string base = strip_clone_suffix(n);
  return std::find(std::begin(kEntry), std::end(kEntry), std::string_view(base)) !=
         std::end(kEntry);
}

}  // namespace detail

using detail::is_digit;
using detail::is_hex;
using detail::starts_with;
using detail::trim;

std::string strip_clone_suffix(std::string_view function) {
  // GCC: f.cold, f.isra.0, f.constprop.0, f.part.0 (chained: f.isra.0.cold);
  // LLVM ThinLTO: f.llvm.1234567.
  auto p = function.find('.');
  if (p == 0 || p == std::string_view::npos) return std::string(function);
  std::string_view rest = function.substr(p);
  for (std::string_view known : {".cold", ".isra", ".constprop", ".part", ".llvm", ".lto_priv"}) {
    if (starts_with(rest, known)) return std::string(function.substr(0, p));
  }
  return std::string(function);
}

std::string Frame::display() const {
  std::string s = function + offset;
  if (!module.empty()) s += " [" + module + "]";
  return s;
}

std::string Frame::normalized() const {
  std::string s = strip_clone_suffix(function);
  if (!module.empty()) s += " [" + module + "]";
  return s;
}

std::optional<Frame> parse_frame(std::string_view s) {
  s = trim(s);
  auto sym_ok = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '$';
  };
  std::size_t i = 0;
  while (i < s.size() && sym_ok(s[i])) ++i;
  if (i == 0) return std::nullopt;
  Frame f;
  f.function = std::string(s.substr(0, i));
  // A raw address ("0x47b7a0", "ffffffffc0a01000") is not a symbol.
  if (starts_with(f.function, "0x") || is_digit(f.function[0])) return std::nullopt;
  if (f.function.size() >= 8 && std::all_of(f.function.begin(), f.function.end(), is_hex))
    return std::nullopt;
  std::string_view rest = s.substr(i);
  if (starts_with(rest, "+0x")) {
    std::size_t j = 3;
    while (j < rest.size() && is_hex(rest[j])) ++j;
    if (j + 2 < rest.size() && rest[j] == '/' && rest[j + 1] == '0' && rest[j + 2] == 'x') {
      j += 3;
      while (j < rest.size() && is_hex(rest[j])) ++j;
    }
    f.offset = std::string(rest.substr(0, j));
    rest.remove_prefix(j);
  }
  rest = trim(rest);
  if (starts_with(rest, "[")) {
    auto close = rest.find(']');
    std::string_view mod =
        rest.substr(1, close == std::string_view::npos ? rest.size() - 1 : close - 1);
    mod = mod.substr(0, mod.find(' '));  // "[mod buildid]" (CONFIG_STACKTRACE_BUILD_ID)
    f.module = std::string(trim(mod));
  } else if (!rest.empty()) {
    return std::nullopt;  // prose, not a frame
  }
  return f;
}

}  // namespace psb::oops

// Crash headline and signature from kernel log text (see oops.hpp for the
// lines recognised and the kernel functions that print them).
//
// The text is walked once, line by line. Each headline line starts a new
// "report"; detail lines (CPU/Comm, RIP/pc, Call Trace) fill the current
// report, first one wins, because later copies belong to the panic that
// follows or to the register re-dump after "---[ end trace". A die() line
// ("Oops: 0002 [#1]") right after a BUG/page-fault headline belongs to that
// headline. A "Kernel panic" caused by the report (Fatal exception, hung
// tasks, ...) is noted on it and seals it; any other panic is a report of
// its own. The last report in the text is the one that triggered the dump.
#include "pstore_blk/format/oops.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iterator>
#include <limits>
#include <tuple>

namespace psb::format {

namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool contains(std::string_view s, std::string_view p) {
  return s.find(p) != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\0'))
    s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Leading decimal number of `s`, if any; advances `s` past it.
std::optional<long> take_number(std::string_view& s) {
  std::size_t i = 0;
  long v = 0;
  while (i < s.size() && is_digit(s[i]) && i < 12) v = v * 10 + (s[i++] - '0');
  if (i == 0) return std::nullopt;
  s.remove_prefix(i);
  return v;
}

std::optional<long> number_after(std::string_view s, std::string_view key) {
  auto p = s.find(key);
  if (p == std::string_view::npos) return std::nullopt;
  s.remove_prefix(p + key.size());
  return take_number(s);
}

struct LogLine {
  std::string_view msg;
  std::optional<double> uptime;
};

// Strips "<N>" (syslog level), "[    1.234567]" (timestamp) and "[  T123]"
// (caller id), then the one space printk puts before the message.
LogLine strip_prefix(std::string_view line) {
  LogLine out;
  std::string_view s = line;
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  if (s.size() > 2 && s[0] == '<') {
    std::size_t i = 1;
    while (i < s.size() && i < 5 && is_digit(s[i])) ++i;
    if (i > 1 && i < s.size() && s[i] == '>') s.remove_prefix(i + 1);
  }
  if (!s.empty() && s[0] == '[') {
    auto close = s.find(']');
    if (close != std::string_view::npos && close < 24) {
      std::string_view ts = trim(s.substr(1, close - 1));
      std::string_view t = ts;
      auto sec = take_number(t);
      if (sec && !t.empty() && t[0] == '.') {
        t.remove_prefix(1);
        std::string_view frac = t;
        auto us = take_number(t);
        if (us && t.empty()) {
          double d = static_cast<double>(*sec);
          double scale = 1.0;
          for (std::size_t k = 0; k < frac.size(); ++k) scale *= 10.0;
          out.uptime = d + static_cast<double>(*us) / scale;
          s.remove_prefix(close + 1);
          // CONFIG_PRINTK_CALLER: "[  T123]" or "[    C1]".
          if (!s.empty() && s[0] == '[') {
            auto c2 = s.find(']');
            if (c2 != std::string_view::npos && c2 < 12) {
              std::string_view id = trim(s.substr(1, c2 - 1));
              if (!id.empty() && (id[0] == 'T' || id[0] == 'C')) s.remove_prefix(c2 + 1);
            }
          }
          if (!s.empty() && s[0] == ' ') s.remove_prefix(1);
        }
      }
    }
  }
  out.msg = s;
  return out;
}

// pstore's own first lines: "Oops: Total 3 times", "Panic#1 Part1".
bool is_pstore_banner(std::string_view m) {
  auto sp = m.find(' ');
  if (sp == std::string_view::npos) return false;
  std::string_view rest = m.substr(sp + 1);
  if (starts_with(rest, "Total ") && m.size() > 6 && m.substr(m.size() - 6) == " times")
    return true;
  auto hash = m.find('#');
  return hash != std::string_view::npos && hash < sp && starts_with(rest, "Part");
}

// A die() header: "<str>: <hex> [#<n>]..." (x86 __die_header(), arm64 die()).
bool is_die_line(std::string_view m) {
  auto p = m.find(" [#");
  if (p == std::string_view::npos || p < 3) return false;
  std::size_t i = p;
  while (i > 0 && is_hex(m[i - 1])) --i;
  if (i == p || i < 2 || m[i - 1] != ' ' || m[i - 2] != ':') return false;
  return p + 3 < m.size() && is_digit(m[p + 3]);
}

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

template <std::size_t N>
bool in_list(const std::string_view (&list)[N], const Frame& f) {
  std::string name = strip_clone_suffix(f.function);
  return std::find(std::begin(list), std::end(list), std::string_view(name)) != std::end(list);
}

// Panic messages that are the consequence of the report before them
// (kernel/panic.c, arch/x86/kernel/dumpstack.c oops_end(), kernel/exit.c,
// kernel/hung_task.c, kernel/watchdog.c, kernel/watchdog_hld.c).
bool panic_follows_report(std::string_view msg, CrashKind report) {
  if (report == CrashKind::kNone || report == CrashKind::kPanic) return false;
  if (report == CrashKind::kWarning) return contains(msg, "panic_on_warn");
  constexpr std::string_view kCaused[] = {
      "Fatal exception",
      "Aiee, killing interrupt handler",
      "Attempted to kill init",
      "Attempted to kill the idle task",
      "softlockup: hung tasks",
      "hung_task: blocked tasks",
      "Hard LOCKUP",
      "Watchdog detected hard LOCKUP",
      "panic_on_oops",
      "Oops - BUG",
      "Fatal Machine check",
      "kernel: panic_on_warn set",
  };
  return std::any_of(std::begin(kCaused), std::end(kCaused),
                     [&](std::string_view c) { return contains(msg, c); });
}

// Replaces hex numbers ("0x1f", long bare hex runs) so that addresses do not
// split groups; other text is kept.
std::string normalize_message(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '0' && i + 1 < s.size() && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
      std::size_t j = i + 2;
      while (j < s.size() && is_hex(s[j])) ++j;
      out += "0x?";
      i = j;
      continue;
    }
    if (is_hex(s[i]) && (i == 0 || !std::isalnum(static_cast<unsigned char>(s[i - 1])))) {
      std::size_t j = i;
      while (j < s.size() && is_hex(s[j])) ++j;
      if (j - i >= 8) {
        out += '?';
        i = j;
        continue;
      }
    }
    out += s[i++];
  }
  return std::string(trim(out));
}

// "Tainted: G      D    OE      6.1.0-56-amd64 #1 ..." or "Not tainted 6.1.0 #1"
// (print_tainted() and the release that follows it).
void parse_taint_release(std::string_view s, std::optional<std::string>& taint,
                         std::string& release) {
  std::string_view rest;
  std::string flags;
  if (auto p = s.find("Not tainted"); p != std::string_view::npos) {
    rest = s.substr(p + 11);
  } else if (auto q = s.find("Tainted:"); q != std::string_view::npos) {
    rest = s.substr(q + 8);
    // Flag letters and spaces, up to the release (which starts with a digit).
    while (true) {
      rest = trim(rest);
      auto sp = rest.find(' ');
      std::string_view tok = rest.substr(0, sp);
      if (tok.empty() || is_digit(tok[0])) break;
      if (!std::all_of(tok.begin(), tok.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) break;
      flags.append(tok);
      if (sp == std::string_view::npos) {
        rest = {};
        break;
      }
      rest.remove_prefix(sp);
    }
  } else {
    return;
  }
  taint = flags;
  rest = trim(rest);
  std::string_view tok = rest.substr(0, rest.find(' '));
  if (!tok.empty() && is_digit(tok[0]) && release.empty()) release = std::string(tok);
}

struct Report {
  CrashSignature sig;
  std::vector<Frame> trace;       // reliable frames of the first call trace, capped
  std::vector<Frame> unreliable;  // its "? " frames, used only if there is no reliable one
  bool in_trace = false;
  bool trace_done = false;
  bool sealed = false;       // a panic caused by this report followed
  bool irq_section = false;  // inside <IRQ> of the trace
  bool nmi_section = false;  // inside <NMI> of the trace
  bool from_die_line = false;
};

constexpr std::size_t kMaxTrace = 24;

class Parser {
 public:
  void line(std::string_view raw) {
    LogLine l = strip_prefix(raw);
    std::string_view m = l.msg;
    if (m.empty()) return;
    if (is_pstore_banner(m)) return;
    if (auto p = m.find("Linux version "); p == 0 || (p != std::string_view::npos && p < 4)) {
      std::string_view r = m.substr(p + 14);
      linux_version_ = std::string(r.substr(0, r.find(' ')));
      return;
    }
    if (headline(m, l.uptime)) return;
    if (!cur_ || cur_->sealed) return;
    detail(m);
  }

  CrashSignature finish() {
    CrashSignature out = finalize(cur_ ? std::move(*cur_) : Report{});
    out.reports = reports_;
    if (out.release.empty()) out.release = linux_version_;
    return out;
  }

 private:
  void start(CrashKind k, std::string_view headline, std::optional<double> uptime) {
    cur_.emplace();
    cur_->sig.kind = k;
    cur_->sig.headline = std::string(trim(headline));
    cur_->sig.uptime = uptime;
    ++reports_;
  }

  // Returns true if `m` was a headline (or a line that belongs to one).
  bool headline(std::string_view m, std::optional<double> uptime) {
    if (starts_with(m, "Kernel panic - not syncing")) {
      std::string_view msg =
          m.substr(m.find(':') == std::string_view::npos ? m.size() : m.find(':') + 1);
      msg = trim(msg);
      if (cur_ && !cur_->sealed && panic_follows_report(msg, cur_->sig.kind)) {
        cur_->sig.panic = std::string(msg);
        cur_->sealed = true;
        cur_->in_trace = false;
        return true;
      }
      if (cur_ && cur_->sealed && cur_->sig.panic == msg) return true;  // printed twice
      start(CrashKind::kPanic, m, uptime);
      cur_->sig.panic = std::string(msg);
      return true;
    }
    if (contains(m, "BUG: soft lockup")) {
      start(CrashKind::kSoftLockup, m, uptime);
      if (auto cpu = number_after(m, "CPU#")) cur_->sig.cpu = static_cast<int>(*cpu);
      // "... stuck for 22s! [comm:pid]"
      auto open = m.rfind('[');
      auto colon = m.rfind(':');
      auto close = m.rfind(']');
      if (open != std::string_view::npos && colon != std::string_view::npos &&
          close != std::string_view::npos && open < colon && colon < close) {
        cur_->sig.comm = std::string(m.substr(open + 1, colon - open - 1));
        std::string_view p = m.substr(colon + 1);
        cur_->sig.pid = take_number(p);
      }
      return true;
    }
    if (contains(m, "Watchdog detected hard LOCKUP")) {
      start(CrashKind::kHardLockup, m, uptime);
      if (auto cpu = number_after(m, "on cpu ")) cur_->sig.cpu = static_cast<int>(*cpu);
      return true;
    }
    if (starts_with(m, "INFO: task ") && contains(m, " blocked for more than ")) {
      start(CrashKind::kHungTask, m, uptime);
      // "INFO: task comm:pid blocked ..." (comm may hold ':' itself).
      std::string_view who = m.substr(11, m.find(" blocked for more than ") - 11);
      auto colon = who.rfind(':');
      if (colon != std::string_view::npos) {
        cur_->sig.comm = std::string(who.substr(0, colon));
        std::string_view p = who.substr(colon + 1);
        cur_->sig.pid = take_number(p);
      }
      return true;
    }
    if (starts_with(m, "BUG: ") || starts_with(m, "Unable to handle kernel ")) {
      CrashKind k = CrashKind::kBug;
      if (contains(m, "NULL pointer dereference"))
        k = CrashKind::kNullDeref;
      else if (contains(m, "unable to handle page fault") || contains(m, "paging request") ||
               starts_with(m, "Unable to handle kernel "))
        k = CrashKind::kPageFault;
      start(k, m, uptime);
      // KASAN/KFENCE/UBSAN name the function: "BUG: KASAN: use-after-free in f+0x1/0x2 [m]".
      if (k == CrashKind::kBug) {
        if (auto p = m.rfind(" in "); p != std::string_view::npos) {
          if (auto f = parse_frame(m.substr(p + 4))) cur_->sig.function = f;
        }
      }
      return true;
    }
    if (starts_with(m, "kernel BUG at ")) {
      start(CrashKind::kBug, m, uptime);
      return true;
    }
    if (starts_with(m, "WARNING: ")) {
      start(CrashKind::kWarning, m, uptime);
      if (auto cpu = number_after(m, "CPU: ")) cur_->sig.cpu = static_cast<int>(*cpu);
      if (auto pid = number_after(m, "PID: ")) cur_->sig.pid = *pid;
      // "... at file:line func+0x12/0x30 [mod]" or "... at func+0x12/0x30 [mod]".
      if (auto at = m.find(" at "); at != std::string_view::npos) {
        std::string_view rest = m.substr(at + 4);
        if (auto sp = rest.find(' ');
            sp != std::string_view::npos && !contains(rest.substr(0, sp), "+0x"))
          rest.remove_prefix(sp + 1);
        if (auto f = parse_frame(rest)) cur_->sig.function = f;
      }
      return true;
    }
    if (is_die_line(m)) {
      const bool gpf = starts_with(m, "general protection fault");
      // A die() line completes the headline just printed (BUG:, kernel BUG at,
      // Unable to handle ...) unless that report is already complete.
      if (!gpf && cur_ && !cur_->sealed && !cur_->from_die_line && !cur_->sig.function &&
          cur_->trace.empty() && !cur_->in_trace &&
          (cur_->sig.kind == CrashKind::kNullDeref || cur_->sig.kind == CrashKind::kPageFault ||
           cur_->sig.kind == CrashKind::kBug)) {
        cur_->from_die_line = true;
        return true;
      }
      start(gpf ? CrashKind::kGeneralProtection : CrashKind::kOops, m, uptime);
      cur_->from_die_line = true;
      return true;
    }
    return false;
  }

  void detail(std::string_view m) {
    Report& r = *cur_;
    if (r.in_trace) {
      if (!m.empty() && (m[0] == ' ' || m[0] == '\t')) {
        trace_line(trim(m));
        return;
      }
      r.in_trace = false;
      r.trace_done = true;
    }
    if (starts_with(m, "Call Trace:") || starts_with(m, "Call trace:")) {
      if (!r.trace_done) r.in_trace = true;
      return;
    }
    if (starts_with(m, "CPU: ") && contains(m, "Comm: ")) {
      cpu_line(m);
      return;
    }
    std::string_view t = trim(m);
    if (starts_with(t, "Tainted: ") || starts_with(t, "Not tainted ")) {
      // hung_task.c: "      Tainted: G  O  6.1.0 #1".
      if (!r.sig.taint) parse_taint_release(t, r.sig.taint, r.sig.release);
      return;
    }
    // x86_64 "RIP: 0010:f+0x1/0x2 [m]", i386 "EIP: f+..", arm64 "pc : f+..", arm "PC is at f+..".
    std::string_view pc;
    if (starts_with(m, "RIP: ") || starts_with(m, "EIP: ")) {
      pc = m.substr(5);
      if (pc.size() > 5 && pc[4] == ':' && std::all_of(pc.begin(), pc.begin() + 4, is_hex))
        pc.remove_prefix(5);
    } else if (starts_with(m, "pc : ")) {
      pc = m.substr(5);
    } else if (starts_with(m, "PC is at ")) {
      pc = m.substr(9);
    } else if (starts_with(m, "lr : ") || starts_with(m, "LR is at ")) {
      if (!r.sig.caller) r.sig.caller = parse_frame(m.substr(starts_with(m, "lr") ? 5 : 9));
      return;
    }
    if (!pc.empty() && !r.sig.function) {
      if (auto f = parse_frame(pc)) r.sig.function = f;
    }
  }

  void cpu_line(std::string_view m) {
    CrashSignature& s = cur_->sig;
    if (s.release.empty() || !s.taint) parse_taint_release(m, s.taint, s.release);
    if (!s.cpu) {
      if (auto cpu = number_after(m, "CPU: ")) s.cpu = static_cast<int>(*cpu);
    }
    // The hung-task and soft-lockup headlines name the task themselves.
    if (!s.comm.empty()) return;
    if (auto pid = number_after(m, "PID: ")) s.pid = *pid;
    std::string_view c = m.substr(m.find("Comm: ") + 6);
    std::size_t end = c.size();
    for (std::string_view stop : {" Not tainted", " Tainted:", " Kdump: loaded"})
      end = std::min(end, c.find(stop));
    s.comm = std::string(trim(c.substr(0, end)));
  }

  void trace_line(std::string_view t) {
    Report& r = *cur_;
    if (t.empty()) return;
    if (t[0] == '<') {
      // <TASK>, </TASK>, <IRQ>, </IRQ>, <NMI>, </NMI>, <SOFTIRQ>, <#DF>
      r.nmi_section = starts_with(t, "<NMI>");
      r.irq_section = starts_with(t, "<IRQ>") || starts_with(t, "<SOFTIRQ>");
      return;
    }
    // "? ": unreliable, maybe stale on the stack. Kept aside: kernels built
    // without frame pointers or ORC print nothing else.
    const bool unreliable = starts_with(t, "? ");
    if (unreliable) t.remove_prefix(2);
    if (starts_with(t, "[<")) {
      auto e = t.find(">] ");
      if (e == std::string_view::npos) return;
      t.remove_prefix(e + 3);
    }
    std::vector<Frame>& into = unreliable ? r.unreliable : r.trace;
    if (into.size() >= kMaxTrace) return;
    // The watchdogs' own contexts: the hrtimer interrupt for soft lockups,
    // the perf NMI for hard lockups. The locked-up code is outside them.
    if (r.sig.kind == CrashKind::kSoftLockup && r.irq_section) return;
    if ((r.sig.kind == CrashKind::kHardLockup || r.sig.kind == CrashKind::kSoftLockup) &&
        r.nmi_section)
      return;
    if (auto f = parse_frame(t)) {
      if (unreliable && is_exception_entry(*f)) return;
      into.push_back(std::move(*f));
    }
  }

  static CrashSignature finalize(Report r) {
    CrashSignature s = std::move(r.sig);
    const bool skip_sleep =
        s.kind == CrashKind::kHungTask || (s.kind == CrashKind::kBug && !s.function);
    std::vector<Frame> frames;
    if (r.trace.empty()) r.trace = std::move(r.unreliable);
    for (auto& f : r.trace) {
      if (in_list(kReportFrames, f)) continue;
      if (skip_sleep && frames.empty() && in_list(kSleepFrames, f)) continue;
      frames.push_back(std::move(f));
    }
    std::size_t i = 0;
    if (!s.function && !frames.empty()) s.function = frames[i++];
    // arm64 (and x86 after a WARNING) repeat the faulting function as frame 0.
    if (s.function && i < frames.size() && frames[i].normalized() == s.function->normalized()) ++i;
    for (; i < frames.size() && s.frames.size() < kSignatureFrames; ++i)
      s.frames.push_back(frames[i]);

    s.signature = std::string(kind_name(s.kind));
    s.signature += '|';
    if (s.function) s.signature += s.function->normalized();
    s.signature += '|';
    for (std::size_t k = 0; k < s.frames.size(); ++k) {
      if (k) s.signature += ',';
      s.signature += s.frames[k].normalized();
    }
    if (s.kind == CrashKind::kPanic) s.signature += '|' + normalize_message(s.panic);
    s.hash = fnv1a64(s.signature);
    return s;
  }

  std::optional<Report> cur_;
  std::string linux_version_;
  std::size_t reports_ = 0;
};

}  // namespace

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

std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string short_hex(std::uint64_t hash) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash));
  return std::string(buf, 12);
}

std::string CrashSignature::group_id() const { return short_hex(hash); }

CrashSignature parse_crash(std::string_view text) {
  Parser p;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    p.line(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return p.finish();
}

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

}  // namespace psb::format

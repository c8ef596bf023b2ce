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
#include <algorithm>
#include <optional>

#include "internal.hpp"
#include "pstore_blk/format/hash.hpp"
#include "pstore_blk/oops/oops.hpp"

namespace psb::oops {

namespace {

using namespace detail;

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
    if (starts_with(m, "Kernel panic - not syncing")) return panic_line(m, uptime);
    if (contains(m, "BUG: soft lockup")) return soft_lockup(m, uptime);
    if (contains(m, "Watchdog detected hard LOCKUP")) {
      start(CrashKind::kHardLockup, m, uptime);
      if (auto cpu = number_after(m, "on cpu ")) cur_->sig.cpu = static_cast<int>(*cpu);
      return true;
    }
    if (starts_with(m, "INFO: task ") && contains(m, " blocked for more than "))
      return hung_task(m, uptime);
    if (starts_with(m, "BUG: ") || starts_with(m, "Unable to handle kernel "))
      return bug_line(m, uptime);
    if (starts_with(m, "kernel BUG at ")) {
      start(CrashKind::kBug, m, uptime);
      return true;
    }
    if (starts_with(m, "WARNING: ")) return warning(m, uptime);
    if (is_die_line(m)) return die_line(m, uptime);
    return false;
  }

  bool panic_line(std::string_view m, std::optional<double> uptime) {
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

  bool soft_lockup(std::string_view m, std::optional<double> uptime) {
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

  bool hung_task(std::string_view m, std::optional<double> uptime) {
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

  bool bug_line(std::string_view m, std::optional<double> uptime) {
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

  bool warning(std::string_view m, std::optional<double> uptime) {
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

  bool die_line(std::string_view m, std::optional<double> uptime) {
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
      if (is_report_frame(f)) continue;
      if (skip_sleep && frames.empty() && is_sleep_frame(f)) continue;
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
    s.hash = format::fnv1a64(s.signature);
    return s;
  }

  std::optional<Report> cur_;
  std::string linux_version_;
  std::size_t reports_ = 0;
};

}  // namespace

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

}  // namespace psb::oops

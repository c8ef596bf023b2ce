// Log-line pieces of the crash parser: the printk prefix, pstore's banner
// lines, die() headers, taint flags, panic messages (see oops.hpp for the
// kernel functions that print them).
#include <algorithm>
#include <cctype>
#include <iterator>

#include "internal.hpp"

namespace psb::oops::detail {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\0'))
    s.remove_suffix(1);
  return s;
}

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

}  // namespace psb::oops::detail

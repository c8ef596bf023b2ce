#include "cli/capture_output.hpp"

#include <fmt/core.h>

#include <iostream>

namespace psb::cli {

using namespace sysconf;

namespace {

const char* yn(bool b) { return b ? "yes" : "no"; }

// How a "no" reads in the reason line under the table.
const char* column_words(const std::string& column) {
  if (column == "available") return "unavailable";
  if (column == "active") return "not now";
  if (column == "next_boot") return "not at next boot";
  if (column == "oops") return "no oopses";
  if (column == "panic") return "no panics";
  return "lost at power-off";
}

void print_rows(const CaptureTable& t) {
  std::cout << "Which crashes are saved (pstore has one backend slot)\n";
  std::cout << fmt::format("  {:<11} {:<5} {:<4} {:<5} {:<5} {:<6} {:<10} {:<13} {}\n", "BACKEND",
                           "AVAIL", "NOW", "NEXT", "OOPS", "PANIC", "POWER-OFF", "RECORD", "WHERE");
  for (const auto& r : t.rows)
    std::cout << fmt::format("  {:<11} {:<5} {:<4} {:<5} {:<5} {:<6} {:<10} {:<13} {}\n", r.name,
                             yn(r.available), yn(r.active), yn(r.next_boot), yn(r.oops),
                             yn(r.panic), r.survives_power_off ? "survives" : "lost", r.record_size,
                             r.location);
  for (const auto& r : t.rows) {
    std::string line;
    const std::string not_now = r.reason_for("active"), not_next = r.reason_for("next_boot");
    const bool same = !not_now.empty() && not_now == "not registered: " + not_next;
    for (const auto& n : r.no) {
      if (!r.available && n.column != "available") continue;  // the one reason that matters
      if (same && n.column == "active") continue;
      const std::string words =
          same && n.column == "next_boot" ? "not now nor at next boot" : column_words(n.column);
      line += (line.empty() ? "" : "; ") + words + ": " + n.reason;
    }
    if (!line.empty()) std::cout << fmt::format("  {}: {}\n", r.name, line);
  }
}

void print_panics(const CaptureTable& t) {
  std::cout << "Panics\n";
  const BackendRow* ram = t.row("ramoops");
  if (ram && ram->active) {
    std::cout << "  ramoops holds the slot: panics are saved in " << ram->location
              << "; they survive a warm reboot only: a power cycle clears the RAM.\n";
  } else if (t.ramoops.possible) {
    std::cout << "  ramoops saves panics in RAM; kernel parameters for this machine:\n"
              << "    " << t.ramoops.params << "\n"
              << "  it survives a warm reboot only: a power cycle clears the RAM.\n";
    if (!t.ramoops.module_note.empty()) std::cout << "  " << t.ramoops.module_note << "\n";
  } else {
    std::cout << "  ramoops: " << t.ramoops.why_not << "\n";
  }
  if (t.panic_timeout)
    std::cout << fmt::format(
        "  kernel.panic = {}{}\n", *t.panic_timeout,
        *t.panic_timeout == 0 ? (t.reboot_on_panic_configured
                                     ? " now; a reboot timeout is configured for the next boot"
                                     : ": after a panic the machine hangs until power-cycled")
        : *t.panic_timeout < 0
            ? std::string(": the machine reboots at once after a panic")  // kernel/panic.c
            : fmt::format(": the machine reboots {} s after a panic", *t.panic_timeout));
}

}  // namespace

void print_capture(const CaptureTable& t) {
  print_rows(t);
  if (!t.traps.empty()) {
    std::cout << "Traps\n";
    for (const auto& x : t.traps)
      std::cout << fmt::format("  {}: `{}`: {}; {}\n", x.where, x.text, x.problem, x.fix);
  }
  print_panics(t);
  std::cout << "Recommendation\n";
  for (const auto& s : t.recommendation) std::cout << "  " << s << "\n";
}

void add_capture_json(nlohmann::ordered_json& j, const CaptureTable& t) {
  auto null_or = [](const std::string& s) {
    return s.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s);
  };
  j["backends"] = nlohmann::ordered_json::array();
  for (const auto& r : t.rows) {
    nlohmann::ordered_json reasons = nlohmann::ordered_json::object();
    for (const auto& n : r.no) reasons[n.column] = n.reason;
    j["backends"].push_back({{"name", r.name},
                             {"available", r.available},
                             {"active", r.active},
                             {"next_boot", r.next_boot},
                             {"oops", r.oops},
                             {"panic", r.panic},
                             {"survives_power_off", r.survives_power_off},
                             {"reason", null_or(r.reason())},
                             {"reasons", reasons},
                             {"registers_as", r.registers_as},
                             {"build", build_name(r.build)},
                             {"record_bytes", r.record_bytes},
                             {"record_size", r.record_size},
                             {"location", r.location}});
  }
  auto state = [&](const CaptureState& s) {
    return nlohmann::ordered_json{
        {"oops_by", null_or(s.oops_by)}, {"panic_by", null_or(s.panic_by)}, {"text", describe(s)}};
  };
  j["capture"] = {{"now", state(t.now)}, {"next_boot", state(t.next)}};
  j["traps"] = nlohmann::ordered_json::array();
  for (const auto& x : t.traps)
    j["traps"].push_back({{"id", x.id},
                          {"where", x.where},
                          {"text", x.text},
                          {"problem", x.problem},
                          {"fix", x.fix}});
  j["ramoops"] = {{"possible", t.ramoops.possible},
                  {"params", null_or(t.ramoops.params)},
                  {"note", null_or(t.ramoops.possible ? t.ramoops.module_note : t.ramoops.why_not)},
                  {"survives_power_off", false}};
  j["panic_timeout"] =
      t.panic_timeout ? nlohmann::ordered_json(*t.panic_timeout) : nlohmann::ordered_json(nullptr);
  j["recommendation"] = t.recommendation;
}

}  // namespace psb::cli

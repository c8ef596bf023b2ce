#include "pstore_blk/cli/app.hpp"

#include <CLI/CLI.hpp>
#include <cstring>
#include <iostream>
#include <string_view>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "pstore_blk/format/abi.hpp"

#ifndef PSB_VERSION
#define PSB_VERSION "0.0.0"
#endif

namespace psb::cli {

void warn(const std::string& msg) {
  flush_stdout();
  std::cerr << "pstore-blk: " << msg << "\n";
}

int usage_error(const std::string& msg, const std::string& command) {
  warn(msg);
  const std::string cmd = command.empty() ? "pstore-blk" : "pstore-blk " + command;
  std::cerr << "Try '" << cmd << " --help' for more information.\n";
  return kExitUsage;
}

namespace {

const Command kCommands[] = {
    {"list", "list the records stored in a pstore/blk partition or disk image", attach_list},
    {"show", "print one record, byte-identical to the kernel's file", attach_show},
    {"extract", "write every record to a directory as the kernel names them", attach_extract},
    {"summary", "one line per distinct crash across records, images and machines", attach_summary},
    {"check", "tell which crashes pstore_blk will record on this system", attach_check},
    {"setup", "create or adopt a pstore partition and configure pstore_blk", attach_setup},
    {"status", "show what setup configured and what the kernel runs now", attach_status},
    {"undo", "remove what setup wrote and restore what it replaced", attach_undo},
    {"capture-panic", "write a panic record into the pstore partition (capture kernel)",
     attach_capture_panic},
    {"capture-load", "load a capture kernel that saves panics into the pstore partition",
     attach_capture_load},
};

class UtilLinuxFormatter : public CLI::Formatter {
 public:
  UtilLinuxFormatter() { column_width(34); }
};

bool is_command(std::string_view name) {
  for (const auto& c : kCommands)
    if (name == c.name) return true;
  return false;
}

// What argv asks for before CLI11 sees it: the command name (empty for none)
// or a usage error that names the word that is not a command.
struct Invocation {
  std::vector<std::string> args;  // argv as CLI11 should parse it
  std::string command;
};

// `pstore-blk help [COMMAND]` is `pstore-blk [COMMAND] --help`; anything
// else is passed on unchanged.
Invocation normalize(int argc, char** argv) {
  Invocation inv;
  inv.args.assign(argv, argv + argc);
  if (argc >= 2 && std::string_view(argv[1]) == "help") {
    inv.args.erase(inv.args.begin() + 1);
    inv.args.push_back("--help");
  }
  if (inv.args.size() >= 2 && is_command(inv.args[1])) inv.command = inv.args[1];
  return inv;
}

// The argv[1] problems CLI11 would report as "A subcommand is required".
std::optional<int> check_command_word(const Invocation& inv) {
  if (!inv.command.empty()) return std::nullopt;
  if (inv.args.size() < 2) return usage_error("no command specified", "");
  const std::string& w = inv.args[1];
  if (w == "-h" || w == "--help" || w == "-V" || w == "--version") return std::nullopt;
  if (!w.empty() && w[0] == '-') return usage_error("unrecognized option '" + w + "'", "");
  return usage_error("unknown command '" + w + "'", "");
}

}  // namespace

CLI::Option* expect_abi(CLI::Option* opt) {
  return opt->check(CLI::Validator(
      [](std::string& v) -> std::string {
        if (format::Abi::by_name(v)) return {};
        std::string valid;
        for (const auto& a : format::Abi::presets())
          valid += (valid.empty() ? "" : ", ") + std::string(a.name);
        return "unknown ABI '" + v + "'; valid: " + valid;
      },
      "ABI"));
}

CLI::Option* expect_whole_number(CLI::Option* opt) {
  return opt->check(CLI::Validator(
      [](std::string& v) -> std::string {
        const bool digits =
            !v.empty() && v.size() <= 9 && v.find_first_not_of("0123456789") == std::string::npos;
        return digits ? std::string() : "'" + v + "' is not a whole number";
      },
      "N"));
}

const Command* commands(std::size_t& count) {
  count = sizeof kCommands / sizeof kCommands[0];
  return kCommands;
}

int run(int argc, char** argv) {
  CLI::App app{"Read pstore/blk crash records offline and set up pstore_blk.", "pstore-blk"};
  app.formatter(std::make_shared<UtilLinuxFormatter>());
  app.set_version_flag("-V,--version", std::string("pstore-blk ") + PSB_VERSION);
  app.require_subcommand(1);
  app.footer(
      "'pstore-blk help COMMAND' shows a command's options.\nSee pstore-blk(8) for details.");

  std::function<int()> action;
  std::size_t n = 0;
  const Command* cmds = commands(n);
  for (std::size_t i = 0; i < n; ++i) {
    CLI::App* sub = app.add_subcommand(cmds[i].name, cmds[i].description);
    sub->footer("See pstore-blk(8) for details.");
    cmds[i].attach(*sub, action);
    // Every count and size option (shown as N or KiB) takes a whole number
    // and says so by name: "--partition: 'abc' is not a whole number".
    for (CLI::Option* o : sub->get_options())
      if (o->get_type_name() == "N" || o->get_type_name() == "KiB") expect_whole_number(o);
  }
  Invocation inv = normalize(argc, argv);
  if (auto rc = check_command_word(inv)) return *rc;
  try {
    std::vector<std::string> rev(inv.args.rbegin(), inv.args.rend() - 1);
    app.parse(rev);
  } catch (const CLI::Success& e) {
    app.exit(e);
    return close_stdout(kExitOk);
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what(), inv.command);
  }
  if (!action) return usage_error("no command specified", "");
  return close_stdout(action());
}

}  // namespace psb::cli

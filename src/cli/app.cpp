#include "pstore_blk/cli/app.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.hpp"

#ifndef PSB_VERSION
#define PSB_VERSION "0.0.0"
#endif

namespace psb::cli {

void warn(const std::string& msg) { std::cerr << "pstore-blk: " << msg << "\n"; }

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
};

class UtilLinuxFormatter : public CLI::Formatter {
 public:
  UtilLinuxFormatter() { column_width(34); }
};

}  // namespace

const Command* commands(std::size_t& count) {
  count = sizeof kCommands / sizeof kCommands[0];
  return kCommands;
}

int run(int argc, char** argv) {
  CLI::App app{"Read pstore/blk crash records offline and set up pstore_blk.", "pstore-blk"};
  app.formatter(std::make_shared<UtilLinuxFormatter>());
  app.set_version_flag("-V,--version", std::string("pstore-blk ") + PSB_VERSION);
  app.require_subcommand(1);
  app.footer("See pstore-blk(8) for details.");

  std::function<int()> action;
  std::size_t n = 0;
  const Command* cmds = commands(n);
  for (std::size_t i = 0; i < n; ++i) {
    CLI::App* sub = app.add_subcommand(cmds[i].name, cmds[i].description);
    sub->footer("See pstore-blk(8) for details.");
    cmds[i].attach(*sub, action);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e) == 0 ? kExitOk : kExitOk;
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (!action) return kExitUsage;
  return action();
}

}  // namespace psb::cli

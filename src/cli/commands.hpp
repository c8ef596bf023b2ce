// Private to the cli layer: the subcommands' attach functions.
#pragma once

#include <functional>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace psb::cli {

void attach_list(CLI::App& sub, std::function<int()>& action);
void attach_show(CLI::App& sub, std::function<int()>& action);
void attach_extract(CLI::App& sub, std::function<int()>& action);
void attach_check(CLI::App& sub, std::function<int()>& action);
void attach_setup(CLI::App& sub, std::function<int()>& action);
void attach_status(CLI::App& sub, std::function<int()>& action);
void attach_undo(CLI::App& sub, std::function<int()>& action);
void attach_summary(CLI::App& sub, std::function<int()>& action);
void attach_capture_panic(CLI::App& sub, std::function<int()>& action);
void attach_capture_load(CLI::App& sub, std::function<int()>& action);

/// Option checks that name the option, the value and what is valid
/// ("--abi: unknown ABI 'vax'; valid: x86_64, i386, ..."). Returns `opt`.
/// run() applies expect_whole_number() to every option shown as N or KiB.
CLI::Option* expect_abi(CLI::Option* opt);
CLI::Option* expect_whole_number(CLI::Option* opt);

}  // namespace psb::cli

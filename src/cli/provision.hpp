// Private to the cli layer: what check, setup, status and undo share —
// printing facts and verdicts, size parsing, the confirmation prompt.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pstore_blk/sysconf/check.hpp"
#include "pstore_blk/sysconf/facts.hpp"

namespace psb::cli {

/// "8M", "8MiB", "8192K", "1G", "8388608" -> bytes; the error says what did not parse.
Result<std::uint64_t> parse_size(const std::string& s);

/// "6.12.48+deb13-amd64 (running)": the kernel whose facts were read, and how
/// it was chosen (sysconf::KernelFrom); kernel_from_name is its JSON value.
std::string kernel_release_text(const sysconf::SystemFacts& sf);
nlohmann::ordered_json kernel_from_name(sysconf::KernelFrom f);

/// The facts block of `check` (also printed by status).
void print_facts(const sysconf::SystemFacts& sf);
void print_device(const sysconf::DeviceReport& d);
void print_verdicts(const std::vector<sysconf::Verdict>& v);

nlohmann::ordered_json facts_json(const sysconf::SystemFacts& sf);
nlohmann::ordered_json device_json(const sysconf::DeviceReport& d);
nlohmann::ordered_json verdicts_json(const std::vector<sysconf::Verdict>& v);

/// --kernel RELEASE: the kernel whose config and modules check/setup/status
/// read, for a tree whose running kernel is another one or that has no /proc.
void add_kernel_option(CLI::App& sub, std::string& kernel);

/// Asks "question [y/N]" on the terminal; false on anything but y/yes.
bool confirm(const std::string& question);

/// Reports an Error once; returns the exit code for it.
int report(const Error& e);

}  // namespace psb::cli

// Private to the cli layer: the capture table of `check` (which backend saves
// which crashes), as text and as the `backends` part of `check --json`.
#pragma once

#include <nlohmann/json.hpp>

#include "pstore_blk/sysconf/capture.hpp"

namespace psb::cli {

/// "Which crashes are saved", traps, the ramoops alternative, kernel.panic,
/// then the recommendation.
void print_capture(const sysconf::CaptureTable& t);

/// Adds "backends", "capture", "traps", "ramoops", "panic_timeout" and
/// "recommendation" to a check --json document.
void add_capture_json(nlohmann::ordered_json& j, const sysconf::CaptureTable& t);

}  // namespace psb::cli

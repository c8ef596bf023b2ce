// Private to the cli layer: small formatting helpers shared by the commands.
#pragma once

#include <cstdint>
#include <string>

namespace psb::cli {

/// "2026-11-26T16:55:57Z": seconds since the epoch as UTC ISO 8601.
std::string iso_time(std::int64_t sec);

}  // namespace psb::cli

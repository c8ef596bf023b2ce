#include "cli/output.hpp"

#include <ctime>

namespace psb::cli {

std::string iso_time(std::int64_t sec) {
  std::time_t t = static_cast<std::time_t>(sec);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace psb::cli

#include "pstore_blk/error.hpp"

#include <cstring>

namespace psb {

std::string Error::message() const {
  std::string m = what;
  if (offset) m += " at offset " + std::to_string(*offset);
  if (sys_errno != 0) {
    m += ": ";
    m += std::strerror(sys_errno);
  }
  return m;
}

Error make_error(Errc code, std::string what) { return Error{code, std::move(what), {}, 0}; }

Error make_sys_error(std::string what, int err) {
  return Error{Errc::kIo, std::move(what), {}, err};
}

Error make_format_error(std::string what, std::uint64_t offset) {
  return Error{Errc::kFormat, std::move(what), offset, 0};
}

}  // namespace psb

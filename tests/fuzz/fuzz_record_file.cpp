// libFuzzer target: a record file read the way `summary` reads one
// (dmesg-* from /sys/fs/pstore or systemd-pstore, or a ".enc.z" the kernel
// could not inflate): the text is taken (inflated, or salvaged as far as it
// inflates) and parsed by the crash parser.
//
// Input: byte 0 bit 0 says whether the file is named ".enc.z"; the rest is
// the file's content.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "cli/summary_source.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool enc_z = data[0] & 1;
  std::string content(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto t = psb::cli::record_file_text(
      enc_z ? "dmesg-pstore_blk-1.enc.z" : "dmesg-pstore_blk-1", std::move(content));
  // The kernel caps a record's inflated size; so does the reader's inflater.
  if (t.text.size() > 4 * (size - 1) + (1u << 20)) std::abort();
  if (!enc_z && t.state != "extracted") std::abort();
  (void)psb::oops::parse_crash(t.text);
  return 0;
}

// A ByteSource that counts what is read through it: the reads, the bytes
// they asked for and the bytes they got (reader tests: how often a scan
// reads the partition).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "pstore_blk/io/byte_source.hpp"

namespace psb::test {

class CountingSource final : public io::ByteSource {
 public:
  explicit CountingSource(const io::ByteSource& base) : base_(base) {}
  std::uint64_t size() const override { return base_.size(); }
  std::string name() const override { return base_.name(); }
  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::byte> buf) const override {
    ++reads;
    bytes += buf.size();
    auto n = base_.read_at(offset, buf);
    if (n) got += *n;
    return n;
  }
  mutable std::uint64_t reads = 0, bytes = 0, got = 0;

 private:
  const io::ByteSource& base_;
};

}  // namespace psb::test

// PartitionPlan on image files: plan in memory, commit once, other partitions
// untouched; signature probe and wipe. No root needed.
#include "pstore_blk/device/partition.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "psb_catch.hpp"

using namespace psb::device;

namespace {

struct TempImage {
  std::string path;
  explicit TempImage(std::uint64_t size) {
    char tmpl[] = "/tmp/psb-part-XXXXXX";
    int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    REQUIRE(ftruncate(fd, static_cast<off_t>(size)) == 0);
    close(fd);
    path = tmpl;
  }
  ~TempImage() { unlink(path.c_str()); }
  void sfdisk(const std::string& script) const {
    std::string cmd = "printf '" + script + "' | sfdisk -q " + path + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
  std::string bytes(std::uint64_t off, std::size_t n) const {
    std::ifstream in(path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(off));
    std::string s(n, '\0');
    in.read(s.data(), static_cast<std::streamsize>(n));
    return s;
  }
  void write(std::uint64_t off, const std::string& data) const {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(off));
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
  }
};

}  // namespace

TEST_CASE("read_layout of a blank image has no label", "[device]") {
  TempImage img(16 << 20);
  auto l = read_layout(img.path);
  REQUIRE(l);
  CHECK(l->label.empty());
  CHECK(l->size == (16u << 20));
  CHECK_FALSE(l->is_block_device);
}

TEST_CASE("PartitionPlan creates a GPT partition in free space and keeps the others", "[device]") {
  TempImage img(64 << 20);
  img.sfdisk("label: gpt\\nsize=16MiB, type=linux\\n");
  auto before = read_layout(img.path);
  REQUIRE(before);
  REQUIRE(before->partitions.size() == 1);
  img.write(before->partitions[0].start + 4096, "keep me");

  auto plan = PartitionPlan::create(img.path, NewPartition{});
  REQUIRE(plan);
  CHECK(plan->partition().number == 2);
  CHECK(plan->partition().size == (8u << 20));
  CHECK(plan->partition().name == "pstore");
  CHECK(plan->partition().uuid.size() == 36);
  CHECK(plan->partition().uuid[14] == '4');  // version 4 shape
  // A second plan (what a real run after --dry-run does) names the same PARTUUID.
  auto again = PartitionPlan::create(img.path, NewPartition{});
  REQUIRE(again);
  CHECK(again->partition().uuid == plan->partition().uuid);
  CHECK(plan->script().find("name=\"pstore\"") != std::string::npos);
  // Planning wrote nothing.
  auto still = read_layout(img.path);
  REQUIRE(still);
  CHECK(still->partitions.size() == 1);

  REQUIRE(plan->commit());
  auto after = read_layout(img.path);
  REQUIRE(after);
  REQUIRE(after->partitions.size() == 2);
  CHECK(after->partitions[0].start == before->partitions[0].start);
  CHECK(after->partitions[0].uuid == before->partitions[0].uuid);
  CHECK(after->partitions[1].uuid == plan->partition().uuid);
  CHECK(after->partitions[1].name == "pstore");
  CHECK(after->partitions[1].start == plan->partition().start);
  CHECK(img.bytes(before->partitions[0].start + 4096, 7) == "keep me");

  SECTION("a plan made before a table change is refused at commit") {
    auto p2 = PartitionPlan::create(img.path, NewPartition{});
    REQUIRE(p2);
    img.sfdisk("label: gpt\\nsize=20MiB\\n");
    auto r = p2->commit();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == psb::Errc::kConflict);
  }
  SECTION("delete_partition checks the PARTUUID") {
    CHECK_FALSE(delete_partition(img.path, 2, "00000000-0000-0000-0000-000000000000"));
    REQUIRE(delete_partition(img.path, 2, plan->partition().uuid));
    auto gone = read_layout(img.path);
    REQUIRE(gone);
    CHECK(gone->partitions.size() == 1);
  }
}

TEST_CASE("PartitionPlan on MBR: primary partition, PARTUUID from the disk id", "[device]") {
  TempImage img(64 << 20);
  img.sfdisk("label: dos\\nlabel-id: 0x1234abcd\\nsize=16MiB, type=83\\n");
  NewPartition req;
  req.number = 3;
  auto plan = PartitionPlan::create(img.path, req);
  REQUIRE(plan);
  CHECK(plan->partition().uuid == "1234abcd-03");
  REQUIRE(plan->commit());
  auto after = read_layout(img.path);
  REQUIRE(after);
  REQUIRE(after->partitions.size() == 2);
  CHECK(after->partitions[1].number == 3);
  CHECK(after->partitions[1].type == "0xda");
  CHECK(after->partitions[1].uuid == "1234abcd-03");
}

TEST_CASE("PartitionPlan refusals", "[device]") {
  TempImage img(32 << 20);
  SECTION("no free space") {
    img.sfdisk("label: gpt\\nsize=+, type=linux\\n");
    auto plan = PartitionPlan::create(img.path, NewPartition{});
    REQUIRE_FALSE(plan);
    CHECK(plan.error().code == psb::Errc::kConflict);
  }
  SECTION("number already used") {
    img.sfdisk("label: gpt\\nsize=4MiB\\n");
    NewPartition req;
    req.number = 1;
    auto plan = PartitionPlan::create(img.path, req);
    REQUIRE_FALSE(plan);
    CHECK(plan.error().code == psb::Errc::kConflict);
  }
  SECTION("blank disk without permission to create a label") {
    auto plan = PartitionPlan::create(img.path, NewPartition{});
    REQUIRE_FALSE(plan);
  }
  SECTION("blank disk gets a GPT label when allowed") {
    NewPartition req;
    req.create_gpt_if_blank = true;
    auto plan = PartitionPlan::create(img.path, req);
    REQUIRE(plan);
    CHECK(plan->creates_label());
    REQUIRE(plan->commit());
    auto after = read_layout(img.path);
    REQUIRE(after);
    CHECK(after->label == "gpt");
    REQUIRE(after->partitions.size() == 1);
    CHECK(after->partitions[0].uuid == plan->partition().uuid);
  }
  SECTION("missing disk") {
    auto plan = PartitionPlan::create("/nonexistent/disk.img", NewPartition{});
    REQUIRE_FALSE(plan);
  }
}

TEST_CASE("probe_signatures and wipe_range", "[device]") {
  TempImage img(8 << 20);
  REQUIRE(std::system(("mkswap -q " + img.path + " >/dev/null 2>&1").c_str()) == 0);
  img.write(1 << 20, "stale bytes");
  auto sigs = probe_signatures(img.path, 0, 8 << 20);
  REQUIRE(sigs);
  REQUIRE(sigs->size() == 1);
  CHECK(sigs->front().type == "swap");
  auto wiped = wipe_range(img.path, 0, 8 << 20, 8 << 20);
  REQUIRE(wiped);
  CHECK(wiped->size() == 1);
  auto again = probe_signatures(img.path, 0, 8 << 20);
  REQUIRE(again);
  CHECK(again->empty());
  CHECK(img.bytes(1 << 20, 11) == std::string(11, '\0'));
}

TEST_CASE("PARTUUID spellings: normalised, MBR, derived", "[device]") {
  CHECK(normalize_partuuid("6E8BD9C8-7C4F-4C5A-9D21-3F0E5B2A1C77") ==
        "6e8bd9c8-7c4f-4c5a-9d21-3f0e5b2a1c77");
  CHECK(normalize_partuuid("1234abcd-03") == "1234abcd-03");
  CHECK(mbr_partuuid("0x1234ABCD", 3) == "1234abcd-03");
  CHECK(mbr_partuuid("0xabcd", 12) == "0000abcd-0c");
  // Pinned: a changed derivation would hand a re-run after an upgrade a
  // different PARTUUID than the dry run showed. The disk GUID's case does
  // not matter.
  CHECK(derived_partuuid("6E8BD9C8-7C4F-4C5A-9D21-3F0E5B2A1C77", 2, 17825792) ==
        "60422b51-74c2-4eda-823c-a24432256de5");
  CHECK(derived_partuuid("6e8bd9c8-7c4f-4c5a-9d21-3f0e5b2a1c77", 2, 17825792) ==
        "60422b51-74c2-4eda-823c-a24432256de5");
}

TEST_CASE("libblkid and libfdisk fill the same PartitionTable", "[device]") {
  TempImage img(64 << 20);
  SECTION("MBR") { img.sfdisk("label: dos\\nlabel-id: 0x1234ABCD\\nsize=16MiB, type=83\\n"); }
  SECTION("GPT") {
    img.sfdisk(
        "label: gpt\\nlabel-id: 6E8BD9C8-7C4F-4C5A-9D21-3F0E5B2A1C77\\nsize=16MiB, "
        "type=linux\\n");
  }
  auto blk = probe_partitions(img.path);
  auto fd = read_layout(img.path);
  REQUIRE(blk);
  REQUIRE(fd);
  CHECK(blk->label == fd->label);
  CHECK(blk->disk_id == fd->disk_id);
  CHECK((fd->disk_id == "0x1234abcd" || fd->disk_id == "6e8bd9c8-7c4f-4c5a-9d21-3f0e5b2a1c77"));
  REQUIRE(blk->partitions.size() == fd->partitions.size());
  for (std::size_t i = 0; i < blk->partitions.size(); ++i) {
    CHECK(blk->partitions[i].number == fd->partitions[i].number);
    CHECK(blk->partitions[i].start == fd->partitions[i].start);
    CHECK(blk->partitions[i].size == fd->partitions[i].size);
    CHECK(blk->partitions[i].uuid == fd->partitions[i].uuid);
  }
}

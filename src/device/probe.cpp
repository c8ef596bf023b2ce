#include "pstore_blk/device/probe.hpp"

#include <blkid/blkid.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "pstore_blk/device/partition.hpp"
#include "pstore_blk/format/discover.hpp"
#include "pstore_blk/io/diagnose.hpp"

namespace psb::device {

namespace {

// RAII owner of a libblkid probe; never handed out.
struct BlkidProbe {
  blkid_probe pr = nullptr;
  ~BlkidProbe() {
    if (pr) blkid_free_probe(pr);
  }
};

std::string str_or_empty(const char* s) { return s ? std::string(s) : std::string(); }

struct FdCloser {
  int fd = -1;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

// True when the first bytes of the range hold any pstore/zone signature.
bool looks_like_pstore(const io::ByteSource& src) {
  // The first zones may be unwritten (an idle pmsg zone): look at 1 MiB.
  std::vector<std::byte> buf(1 << 20);
  auto n = src.read_at(0, std::span(buf));
  if (!n || *n < format::kProbeBytes) return false;
  std::vector<format::SigHit> hits;
  for (auto e : {format::Endian::kLittle, format::Endian::kBig}) {
    format::find_signatures(format::Bytes(buf.data(), *n), 0, *n, e, hits, 1);
    if (!hits.empty()) return true;
  }
  return false;
}

// The disk size a GPT header at LBA 1 records (its backup header sits on the
// last LBA), for 512- and 4096-byte sectors: UEFI 2.10 5.3.2, GPT header
// "EFI PART" with AlternateLBA at byte 32, little-endian. nullopt when there
// is no GPT header.
std::optional<std::uint64_t> gpt_disk_size(const io::ByteSource& src) {
  for (std::uint64_t sector : {512u, 4096u}) {
    std::array<std::byte, 40> h{};
    auto n = src.read_at(sector, h);
    if (!n || *n < h.size() || std::memcmp(h.data(), "EFI PART", 8) != 0) continue;
    std::uint64_t alt = 0;
    for (int i = 7; i >= 0; --i) alt = (alt << 8) | static_cast<std::uint8_t>(h[32 + i]);
    if (alt == 0 || alt > (std::uint64_t{1} << 40)) return std::nullopt;
    return (alt + 1) * sector;
  }
  return std::nullopt;
}

// Entries that libfdisk reads from the table but libblkid leaves out, as the
// kernel's own parser does (block/partitions/efi.c is_pte_valid: an entry
// that starts or ends past the last LBA is skipped): "; partition 2
// ("pstore", bytes 20971520-102400511) is in the gpt table but libblkid and
// the kernel ignore it: it ends past the end of the disk (67108864 bytes)".
// "" when there are none or libfdisk cannot read the table either.
std::string ignored_entries(const std::string& path, const PartitionTable& seen) {
  auto layout = read_layout(path);
  if (!layout) return "";
  std::string out;
  for (const auto& p : layout->partitions) {
    if (std::any_of(seen.partitions.begin(), seen.partitions.end(),
                    [&](const PartitionInfo& q) { return q.number == p.number; }))
      continue;
    const std::uint64_t end = p.start + p.size;
    out += "; partition " + std::to_string(p.number) +
           (p.name.empty() ? "" : " (\"" + p.name + "\")") + ", bytes " + std::to_string(p.start) +
           "-" + std::to_string(end - 1) + ", is in the " + layout->label +
           " table but libblkid and the kernel ignore it: " +
           (end > layout->size
                ? "it ends past the end of the disk (" + std::to_string(layout->size) + " bytes)"
                : std::string("it lies outside the area its table header allows"));
  }
  return out;
}

}  // namespace

Result<PartitionTable> probe_partitions(const std::string& path,
                                        std::optional<std::uint64_t> size) {
  BlkidProbe p;
  FdCloser fd;
  if (size) {
    // libblkid refuses to probe past the end of a file, so it probes a
    // sparse in-memory copy of the table area (the first 1 MiB) that is
    // `size` bytes long: the primary GPT is read, the missing end is zeros.
    auto src = io::FileSource::open(path);
    if (!src) return src.error();
    std::vector<std::byte> head(static_cast<std::size_t>(
        std::min<std::uint64_t>({(*src)->size(), *size, std::uint64_t{1} << 20})));
    auto n = (*src)->read_at(0, head);
    if (!n) return n.error();
    fd.fd = ::memfd_create("pstore-blk-table", MFD_CLOEXEC);
    if (fd.fd < 0) return make_sys_error("Failed to probe '" + path + "'", errno);
    if (::pwrite(fd.fd, head.data(), *n, 0) != static_cast<ssize_t>(*n) ||
        ::ftruncate(fd.fd, static_cast<off_t>(*size)) != 0)
      return make_sys_error("Failed to probe '" + path + "'", errno);
    p.pr = blkid_new_probe();
    if (p.pr && blkid_probe_set_device(p.pr, fd.fd, 0, 0) != 0)
      return make_error(Errc::kIo, "Failed to probe '" + path + "'");
  } else {
    p.pr = blkid_new_probe_from_filename(path.c_str());
  }
  if (!p.pr) {
    int err = errno ? errno : EIO;
    return make_sys_error("Failed to probe '" + path + "'", err);
  }
  blkid_probe_enable_superblocks(p.pr, 0);
  blkid_probe_enable_partitions(p.pr, 1);
  blkid_probe_set_partitions_flags(p.pr, BLKID_PARTS_ENTRY_DETAILS);
  PartitionTable info;
  blkid_partlist ls = blkid_probe_get_partitions(p.pr);
  if (!ls) return info;  // no partition table
  blkid_parttable root = blkid_partlist_get_table(ls);
  if (!root) return info;
  info.label = str_or_empty(blkid_parttable_get_type(root));
  info.disk_id = normalize_partuuid(str_or_empty(blkid_parttable_get_id(root)));
  // libblkid spells an MBR identifier "1234abcd", libfdisk "0x1234abcd".
  if (info.label == "dos" && !info.disk_id.empty()) info.disk_id = "0x" + info.disk_id;
  const int n = blkid_partlist_numof_partitions(ls);
  for (int i = 0; i < n; ++i) {
    blkid_partition par = blkid_partlist_get_partition(ls, i);
    if (!par) continue;
    PartitionInfo pi;
    pi.number = blkid_partition_get_partno(par);
    pi.start = static_cast<std::uint64_t>(blkid_partition_get_start(par)) * 512;
    pi.size = static_cast<std::uint64_t>(blkid_partition_get_size(par)) * 512;
    pi.name = str_or_empty(blkid_partition_get_name(par));
    pi.uuid = str_or_empty(blkid_partition_get_uuid(par));
    if (const char* t = blkid_partition_get_type_string(par)) {
      pi.type = t;
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%x", blkid_partition_get_type(par));
      pi.type = hex;
    }
    // An MBR extended-partition container is not a candidate.
    if (blkid_partition_is_extended(par)) continue;
    info.partitions.push_back(std::move(pi));
  }
  return info;
}

namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

Result<PartitionLocation> find_partition_by_uuid(const io::RootFs& root, const std::string& uuid) {
  const std::string want = normalize_partuuid(uuid);
  std::vector<PartitionLocation> found;
  std::vector<std::string> looked, unreadable;
  for (const std::string& name : root.list("/sys/block")) {
    const auto sectors = root.read_line("/sys/block/" + name + "/size");
    if (sectors && *sectors == "0") continue;  // no medium, unused loop or ram disk
    const std::string dev = "/dev/" + name;
    auto table = probe_partitions(root.host_path(dev));
    if (!table) {
      unreadable.push_back(name + " (" + table.error().message() + ")");
      continue;
    }
    looked.push_back(name);
    for (const PartitionInfo& p : table->partitions)
      if (!want.empty() && normalize_partuuid(p.uuid) == want) found.push_back({dev, p});
  }
  if (found.size() == 1) return found.front();
  if (found.empty()) {
    std::string msg = "no partition has PARTUUID " + uuid +
                      " (disks read: " + (looked.empty() ? "none" : joined(looked)) + ")";
    if (!unreadable.empty()) msg += "; not readable: " + joined(unreadable);
    return make_error(Errc::kNotFound, msg);
  }
  std::vector<std::string> where;
  for (const auto& f : found)
    where.push_back(f.disk + " partition " + std::to_string(f.partition.number));
  return make_error(Errc::kConflict, "PARTUUID " + uuid + " is on " + std::to_string(found.size()) +
                                         " partitions (" + joined(where) +
                                         "): a cloned disk? refusing to choose");
}

Result<PstoreArea> open_pstore_area(const std::string& path, std::optional<int> partition) {
  PstoreArea area;
  auto f = io::FileSource::open(path);
  if (!f) return f.error();
  area.file = std::move(*f);
  // What the file is, before any partition or layout reasoning.
  if (area.file->size() == 0)
    return make_error(Errc::kFormat, "'" + path + "' is empty (0 bytes): nothing to read");
  auto comp = io::sniff_compression(*area.file);
  if (!comp) return comp.error();
  if (*comp)
    return make_error(Errc::kUnsupported, "'" + path + "' is " + std::string((*comp)->name) +
                                              "-compressed: decompress it first (" +
                                              std::string((*comp)->command) + " " + path + ")");
  auto disk = probe_partitions(path);
  if (!disk) return disk.error();
  if (disk->label.empty()) {
    // libblkid refuses a GPT whose disk is larger than the file: an image
    // cut short. Probe it at the size its header records and read what is
    // there.
    if (auto claimed = gpt_disk_size(*area.file); claimed && *claimed > area.file->size()) {
      disk = probe_partitions(path, *claimed);
      if (!disk) return disk.error();
      if (!disk->label.empty()) area.disk_size = *claimed;
    }
  }
  area.pttype = disk->label;

  auto use = [&](const PartitionInfo& p, std::string how) -> Result<PstoreArea> {
    if (p.start >= area.file->size())
      return make_error(Errc::kFormat, "'" + path + "' is truncated: it ends at byte " +
                                           std::to_string(area.file->size()) +
                                           ", before partition " + std::to_string(p.number) +
                                           " starts (byte " + std::to_string(p.start) + ")");
    area.partition = p;
    area.slice = std::make_unique<io::SliceSource>(*area.file, p.start, p.size,
                                                   path + " partition " + std::to_string(p.number));
    area.how = std::move(how);
    return std::move(area);
  };

  if (disk->label.empty() || disk->partitions.empty()) {
    if (partition)
      return make_error(Errc::kNotFound,
                        "'" + path + "' has no partition table; --partition cannot be used");
    area.how = "no partition table: reading the source as the pstore partition";
    return area;
  }
  if (partition) {
    for (const auto& p : disk->partitions)
      if (p.number == *partition)
        return use(p, "partition " + std::to_string(p.number) + " as requested");
    std::string have;
    for (const auto& p : disk->partitions)
      have += (have.empty() ? "" : ", ") + std::to_string(p.number);
    return make_error(Errc::kNotFound, "'" + path + "' has no partition " +
                                           std::to_string(*partition) + "; its partitions are " +
                                           have + ignored_entries(path, *disk));
  }
  for (const auto& p : disk->partitions)
    if (p.name == "pstore") return use(p, "GPT partition named \"pstore\"");
  std::vector<const PartitionInfo*> with_sig;
  for (const auto& p : disk->partitions) {
    io::SliceSource s(*area.file, p.start, p.size, path);
    if (looks_like_pstore(s)) with_sig.push_back(&p);
  }
  if (with_sig.size() == 1)
    return use(*with_sig.front(), "the only partition starting with a pstore/zone signature");
  std::string cut;  // partitions the image does not hold in full
  for (const auto& p : disk->partitions)
    if (p.start + p.size > area.file->size())
      cut += (cut.empty() ? "" : ", ") + std::to_string(p.number);
  if (with_sig.empty() && !cut.empty())
    return make_error(Errc::kNotFound, "'" + path + "' is truncated: it ends at byte " +
                                           std::to_string(area.file->size()) +
                                           ", short of partition(s) " + cut +
                                           "; no partition is named \"pstore\" or starts with a "
                                           "pstore/zone signature in what is there");
  if (with_sig.empty())
    return make_error(Errc::kNotFound,
                      "'" + path +
                          "': no partition is named \"pstore\" or starts with a pstore/zone "
                          "signature; pick one with --partition N" +
                          ignored_entries(path, *disk));
  std::string nums;
  for (auto* p : with_sig) nums += (nums.empty() ? "" : ", ") + std::to_string(p->number);
  return make_error(Errc::kInvalidArgument, "'" + path +
                                                "': several partitions carry pstore/zone "
                                                "signatures (" +
                                                nums + "); pick one with --partition N");
}

}  // namespace psb::device

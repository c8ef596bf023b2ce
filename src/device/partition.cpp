// libfdisk plan/commit and libblkid wipe. The sequence follows util-linux
// libfdisk/samples/mkpart.c and disk-utils/sfdisk.c write_changes(): assign
// the device, change the in-memory label, fdisk_write_disklabel once, then
// fdisk_reread_changes (BLKPG per partition, so a disk with a mounted root
// partition still learns about the new one).
#include "pstore_blk/device/partition.hpp"

#include <blkid/blkid.h>
#include <fcntl.h>
#include <libfdisk/libfdisk.h>
#include <linux/blkpg.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "pstore_blk/device/facts.hpp"
#include "pstore_blk/format/hash.hpp"

namespace psb::device {

namespace {

struct ContextDeleter {
  void operator()(fdisk_context* c) const { fdisk_unref_context(c); }
};
struct TableDeleter {
  void operator()(fdisk_table* t) const { fdisk_unref_table(t); }
};
struct PartitionDeleter {
  void operator()(fdisk_partition* p) const { fdisk_unref_partition(p); }
};
struct ScriptDeleter {
  void operator()(fdisk_script* s) const { fdisk_unref_script(s); }
};
struct ProbeDeleter {
  void operator()(blkid_struct_probe* p) const { blkid_free_probe(p); }
};
using TablePtr = std::unique_ptr<fdisk_table, TableDeleter>;
using PartPtr = std::unique_ptr<fdisk_partition, PartitionDeleter>;

// libfdisk talks through the ask callback; we collect what it says and never
// answer a question (every partition we add is fully specified).
int ask_cb(fdisk_context*, fdisk_ask* ask, void* data) {
  auto* msgs = static_cast<std::vector<std::string>*>(data);
  switch (fdisk_ask_get_type(ask)) {
    case FDISK_ASKTYPE_INFO:
    case FDISK_ASKTYPE_WARNX:
      if (const char* m = fdisk_ask_print_get_mesg(ask)) msgs->push_back(m);
      return 0;
    case FDISK_ASKTYPE_WARN: {
      std::string m = fdisk_ask_print_get_mesg(ask) ? fdisk_ask_print_get_mesg(ask) : "";
      int e = fdisk_ask_print_get_errno(ask);
      if (e) m += std::string(": ") + std::strerror(e);
      msgs->push_back(m);
      return 0;
    }
    default:
      return -EINVAL;
  }
}

/// RAII owner of a libfdisk context plus the message sink its ask callback
/// writes to. Never handed out.
class FdiskContext {
 public:
  static Result<std::unique_ptr<FdiskContext>> open(const std::string& path, bool readonly) {
    auto c = std::unique_ptr<FdiskContext>(new FdiskContext);
    c->cxt_.reset(fdisk_new_context());
    if (!c->cxt_) return make_sys_error("Failed to create a libfdisk context", ENOMEM);
    fdisk_set_ask(c->cxt_.get(), ask_cb, &c->messages);
    int rc = fdisk_assign_device(c->cxt_.get(), path.c_str(), readonly ? 1 : 0);
    if (rc != 0) {
      Error e = make_sys_error("Failed to open '" + path + "'", -rc);
      if (rc == -ENOENT) e.code = Errc::kNotFound;
      if (rc == -EACCES || rc == -EPERM || rc == -EROFS) e.code = Errc::kPermission;
      return e;
    }
    c->path_ = path;
    c->assigned_ = true;
    return c;
  }
  ~FdiskContext() {
    if (assigned_) fdisk_deassign_device(cxt_.get(), 1);
  }
  fdisk_context* get() const { return cxt_.get(); }
  /// Closes the device with fsync; returns its error.
  Result<void> close() {
    assigned_ = false;
    int rc = fdisk_deassign_device(cxt_.get(), 0);
    if (rc != 0) return make_sys_error("Failed to close '" + path_ + "'", -rc);
    return {};
  }
  std::vector<std::string> messages;

 private:
  FdiskContext() = default;
  std::unique_ptr<fdisk_context, ContextDeleter> cxt_;
  std::string path_;
  bool assigned_ = false;
};

// The label's disk GUID (GPT) or identifier (MBR "0x1234abcd"), lower case
// like libblkid's.
std::string disk_id_of(fdisk_context* cxt) {
  char* id = nullptr;
  if (fdisk_get_disklabel_id(cxt, &id) != 0 || !id) return "";
  std::string s(id);
  std::free(id);
  return normalize_partuuid(s);
}

Result<DiskLayout> layout_of(FdiskContext& c, const std::string& path) {
  fdisk_context* cxt = c.get();
  DiskLayout d;
  d.path = path;
  d.sector_size = fdisk_get_sector_size(cxt);
  d.size = static_cast<std::uint64_t>(fdisk_get_nsectors(cxt)) * d.sector_size;
  d.is_block_device = is_block_device(path);
  if (!fdisk_has_label(cxt)) return d;
  fdisk_label* lb = fdisk_get_label(cxt, nullptr);
  d.label = lb ? fdisk_label_get_name(lb) : "";
  d.disk_id = disk_id_of(cxt);
  const std::uint64_t ss = d.sector_size;
  fdisk_table* raw = nullptr;
  if (fdisk_get_partitions(cxt, &raw) != 0)
    return make_error(Errc::kFormat, "Failed to read the partition table of '" + path + "'");
  TablePtr tb(raw);
  for (std::size_t i = 0; i < fdisk_table_get_nents(tb.get()); ++i) {
    fdisk_partition* pa = fdisk_table_get_partition(tb.get(), i);
    if (!pa || fdisk_partition_is_container(pa) || !fdisk_partition_has_partno(pa)) continue;
    PartitionInfo pi;
    pi.number = static_cast<int>(fdisk_partition_get_partno(pa)) + 1;
    pi.start = static_cast<std::uint64_t>(fdisk_partition_get_start(pa)) * ss;
    pi.size = static_cast<std::uint64_t>(fdisk_partition_get_size(pa)) * ss;
    if (const char* n = fdisk_partition_get_name(pa)) pi.name = n;
    if (const char* u = fdisk_partition_get_uuid(pa)) pi.uuid = u;
    if (d.label == "dos") pi.uuid = mbr_partuuid(d.disk_id, pi.number);
    pi.uuid = normalize_partuuid(pi.uuid);
    if (fdisk_parttype* t = fdisk_partition_get_type(pa)) {
      if (const char* s = fdisk_parttype_get_string(t)) {
        pi.type = s;
      } else {
        char hex[16];
        std::snprintf(hex, sizeof hex, "0x%x", fdisk_parttype_get_code(t));
        pi.type = hex;
      }
    }
    d.partitions.push_back(pi);
  }
  raw = nullptr;
  if (fdisk_get_freespaces(cxt, &raw) == 0 && raw) {
    TablePtr fr(raw);
    for (std::size_t i = 0; i < fdisk_table_get_nents(fr.get()); ++i) {
      fdisk_partition* pa = fdisk_table_get_partition(fr.get(), i);
      if (!pa || !fdisk_partition_has_start(pa) || !fdisk_partition_has_size(pa)) continue;
      d.free.push_back({static_cast<std::uint64_t>(fdisk_partition_get_start(pa)) * ss,
                        static_cast<std::uint64_t>(fdisk_partition_get_size(pa)) * ss});
    }
  }
  d.messages = c.messages;
  return d;
}

bool same_table(const DiskLayout& a, const DiskLayout& b) {
  if (a.label != b.label || a.disk_id != b.disk_id || a.partitions.size() != b.partitions.size())
    return false;
  for (std::size_t i = 0; i < a.partitions.size(); ++i) {
    const auto &x = a.partitions[i], &y = b.partitions[i];
    if (x.number != y.number || x.start != y.start || x.size != y.size || x.uuid != y.uuid)
      return false;
  }
  return true;
}

// Adds `part` to the label in `cxt` (in memory). Returns the libfdisk rc.
int add_to_label(fdisk_context* cxt, const PartitionInfo& part, unsigned long ss, bool set_uuid) {
  PartPtr pa(fdisk_new_partition());
  if (!pa) return -ENOMEM;
  fdisk_label* lb = fdisk_get_label(cxt, nullptr);
  const bool gpt = fdisk_is_label(cxt, GPT);
  fdisk_partition_set_start(pa.get(), part.start / ss);
  fdisk_partition_set_size(pa.get(), part.size / ss);
  fdisk_partition_set_partno(pa.get(), static_cast<std::size_t>(part.number - 1));
  fdisk_parttype* type = gpt ? fdisk_label_get_parttype_from_string(lb, kGptPstoreType)
                             : fdisk_label_get_parttype_from_code(lb, kMbrPstoreType);
  if (type) {
    fdisk_partition_set_type(pa.get(), type);
    fdisk_unref_parttype(type);
  }
  if (gpt) {
    fdisk_partition_set_name(pa.get(), part.name.c_str());
    if (set_uuid) fdisk_partition_set_uuid(pa.get(), part.uuid.c_str());
  }
  std::size_t partno = 0;
  return fdisk_add_partition(cxt, pa.get(), &partno);
}

std::string dump_script(fdisk_context* cxt) {
  std::unique_ptr<fdisk_script, ScriptDeleter> dp(fdisk_new_script(cxt));
  if (!dp || fdisk_script_read_context(dp.get(), nullptr) != 0) return "";
  char* buf = nullptr;
  std::size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  if (!f) return "";
  fdisk_script_write_file(dp.get(), f);
  std::fclose(f);
  std::string s(buf, len);
  std::free(buf);
  return s;
}

}  // namespace

std::string derived_partuuid(const std::string& disk_id, std::size_t number, std::uint64_t start) {
  // Two FNV-1a 64 hashes (different offset bases) of "disk GUID/number/start"
  // (the GUID lower case), shaped as a random (version 4, RFC 4122 variant) UUID.
  const std::string key =
      normalize_partuuid(disk_id) + "/" + std::to_string(number) + "/" + std::to_string(start);
  const std::uint64_t hi = format::fnv1a64(key);
  const std::uint64_t lo = format::fnv1a64(key, 0x84222325cbf29ce4ULL);
  unsigned char b[16];
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<unsigned char>(hi >> (56 - 8 * i));
    b[8 + i] = static_cast<unsigned char>(lo >> (56 - 8 * i));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[40];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

std::string normalize_partuuid(std::string uuid) {
  for (auto& ch : uuid) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return uuid;
}

std::string mbr_partuuid(const std::string& disk_id, int number) {
  std::string id = disk_id;
  if (id.rfind("0x", 0) == 0) id = id.substr(2);
  id = normalize_partuuid(id);
  while (id.size() < 8) id.insert(id.begin(), '0');
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s-%02x", id.c_str(), number);
  return buf;
}

Result<DiskLayout> read_layout(const std::string& path) {
  auto c = FdiskContext::open(path, true);
  if (!c) return c.error();
  return layout_of(**c, path);
}

namespace {

// The label the new partition goes into: the disk's GPT or MBR, or a GPT
// created in memory on a blank disk when `req` allows it. Returns whether
// it creates the label.
Result<bool> prepare_label(fdisk_context* cxt, const std::string& disk, const DiskLayout& before,
                           const NewPartition& req) {
  if (before.label.empty()) {
    if (!req.create_gpt_if_blank)
      return make_error(Errc::kConflict, "'" + disk + "' has no partition table");
    if (fdisk_create_disklabel(cxt, "gpt") != 0)
      return make_error(Errc::kIo, "Failed to create a GPT label for '" + disk + "' in memory");
    return true;
  }
  if (before.label != "gpt" && before.label != "dos")
    return make_error(Errc::kUnsupported, "'" + disk + "' has a " + before.label +
                                              " partition table; only GPT and MBR are supported");
  return false;
}

// The requested partition number, checked against the label's range and
// used entries, or the first free one.
Result<std::size_t> choose_number(fdisk_context* cxt, const std::string& disk,
                                  const NewPartition& req) {
  const bool gpt = fdisk_is_label(cxt, GPT);
  const std::size_t max_parts = gpt ? fdisk_get_npartitions(cxt) : 4;
  if (req.number) {
    const std::size_t number = *req.number;
    if (number < 1 || number > max_parts)
      return make_error(Errc::kInvalidArgument, "'" + disk + "': partition number " +
                                                    std::to_string(number) + " is out of range 1-" +
                                                    std::to_string(max_parts) +
                                                    (gpt ? "" : " (primary MBR partitions)"));
    if (fdisk_is_partition_used(cxt, number - 1))
      return make_error(Errc::kConflict,
                        "'" + disk + "': partition " + std::to_string(number) + " already exists");
    return number;
  }
  for (std::size_t n = 1; n <= max_parts; ++n)
    if (!fdisk_is_partition_used(cxt, n - 1)) return n;
  return make_error(
      Errc::kConflict,
      "'" + disk + "': no free " + std::string(gpt ? "partition entry" : "primary partition slot"));
}

// Placement: first free range that holds `size` after aligning its start to
// libfdisk's grain (1 MiB by default), like sfdisk's default start.
Result<std::uint64_t> place(const std::vector<FreeRange>& free, std::uint64_t grain,
                            std::uint64_t size, const std::string& disk) {
  std::uint64_t largest = 0;
  for (const auto& r : free) {
    std::uint64_t s = (r.start + grain - 1) / grain * grain;
    if (s >= r.start + r.size) continue;
    largest = std::max(largest, r.start + r.size - s);
    if (s + size <= r.start + r.size) return s;
  }
  return make_error(
      Errc::kConflict,
      "'" + disk + "': no free space for a " + std::to_string(size >> 10) +
          " KiB partition (largest aligned free range: " + std::to_string(largest >> 10) + " KiB)");
}

// Reads the planned partition back from the in-memory label: libfdisk must
// have put it where the plan says. Returns its GPT PARTUUID ("" on MBR).
Result<std::string> read_back(fdisk_context* cxt, const PartitionInfo& part, unsigned long ss,
                              const std::string& disk) {
  fdisk_partition* raw = nullptr;
  if (fdisk_get_partition(cxt, static_cast<std::size_t>(part.number - 1), &raw) != 0 || !raw)
    return make_error(Errc::kIo, "Failed to read back the planned partition on '" + disk + "'");
  PartPtr got(raw);
  if (static_cast<std::uint64_t>(fdisk_partition_get_start(got.get())) * ss != part.start ||
      static_cast<std::uint64_t>(fdisk_partition_get_size(got.get())) * ss != part.size)
    return make_error(Errc::kConflict,
                      "'" + disk + "': libfdisk placed the partition differently than planned");
  const char* u = fdisk_partition_get_uuid(got.get());
  return std::string(u ? u : "");
}

}  // namespace

Result<PartitionPlan> PartitionPlan::create(const std::string& disk, const NewPartition& req) {
  auto c = FdiskContext::open(disk, true);
  if (!c) return c.error();
  fdisk_context* cxt = (*c)->get();
  auto before = layout_of(**c, disk);
  if (!before) return before.error();
  PartitionPlan plan;
  plan.disk_ = disk;
  plan.before_ = *before;
  const unsigned long ss = before->sector_size;
  if (req.size == 0 || req.size % 4096 != 0)
    return make_error(Errc::kInvalidArgument,
                      "partition size must be a non-zero multiple of 4 KiB");
  auto creates = prepare_label(cxt, disk, *before, req);
  if (!creates) return creates.error();
  plan.creates_label_ = *creates;
  const bool gpt = fdisk_is_label(cxt, GPT);
  auto number = choose_number(cxt, disk, req);
  if (!number) return number.error();
  std::vector<FreeRange> free = before->free;
  if (plan.creates_label_)
    if (auto l = layout_of(**c, disk)) free = l->free;
  const std::uint64_t grain = std::max<std::uint64_t>(fdisk_get_grain_size(cxt), ss);
  auto start = place(free, grain, req.size, disk);
  if (!start) return start.error();
  plan.part_.number = static_cast<int>(*number);
  plan.part_.start = *start;
  plan.part_.size = req.size;
  plan.part_.name = gpt ? req.name : "";
  // On an existing GPT the PARTUUID is derived from the disk GUID and the
  // partition's place, so `setup --dry-run` shows the PARTUUID that the real
  // run then writes (and puts into modprobe.d).
  const bool derive_uuid = gpt && !plan.creates_label_ && !plan.before_.disk_id.empty();
  if (derive_uuid) plan.part_.uuid = derived_partuuid(plan.before_.disk_id, *number, *start);
  if (int rc = add_to_label(cxt, plan.part_, ss, derive_uuid); rc != 0)
    return make_sys_error(
        "Failed to plan partition " + std::to_string(*number) + " on '" + disk + "'", -rc);
  auto uuid = read_back(cxt, plan.part_, ss, disk);
  if (!uuid) return uuid.error();
  if (gpt) {
    plan.part_.uuid = *uuid;
    plan.part_.type = kGptPstoreType;
    plan.before_.disk_id = plan.creates_label_ ? disk_id_of(cxt) : plan.before_.disk_id;
  } else {
    plan.part_.uuid = mbr_partuuid(before->disk_id, plan.part_.number);
    plan.part_.type = "0xda";
  }
  plan.part_.uuid = normalize_partuuid(plan.part_.uuid);
  plan.script_ = dump_script(cxt);
  if (plan.creates_label_) plan.before_.label.clear();
  return plan;
}

Result<void> PartitionPlan::commit(std::vector<std::string>* messages) const {
  auto c = FdiskContext::open(disk_, false);
  if (!c) return c.error();
  fdisk_context* cxt = (*c)->get();
  auto now = layout_of(**c, disk_);
  if (!now) return now.error();
  DiskLayout expect = before_;
  if (creates_label_) expect.disk_id.clear();
  if (!same_table(*now, expect))
    return make_error(Errc::kConflict,
                      "'" + disk_ + "': the partition table changed since it was planned");
  fdisk_table* raw = nullptr;
  fdisk_get_partitions(cxt, &raw);
  TablePtr org(raw);
  if (creates_label_) {
    if (fdisk_create_disklabel(cxt, "gpt") != 0 ||
        fdisk_set_disklabel_id_from_string(cxt, before_.disk_id.c_str()) != 0)
      return make_error(Errc::kIo, "Failed to create a GPT label on '" + disk_ + "'");
  }
  int rc = add_to_label(cxt, part_, now->sector_size, true);
  if (rc != 0)
    return make_sys_error(
        "Failed to add partition " + std::to_string(part_.number) + " to '" + disk_ + "'", -rc);
  rc = fdisk_write_disklabel(cxt);
  if (rc != 0) return make_sys_error("Failed to write the partition table of '" + disk_ + "'", -rc);
  if (now->is_block_device) {
    rc = fdisk_reread_changes(cxt, org.get());
    if (rc != 0) {
      if (messages) *messages = (*c)->messages;
      return make_sys_error("The partition table of '" + disk_ +
                                "' was written, but the kernel was not told (try `partx -a --nr " +
                                std::to_string(part_.number) + " " + disk_ + "`)",
                            -rc);
    }
  }
  auto closed = (*c)->close();
  if (messages) *messages = (*c)->messages;
  return closed;
}

namespace {

// fdisk_reread_changes() can return 0 and still leave the partition in the
// kernel: BLKPG_DEL_PARTITION fails with EBUSY while anyone has the partition
// open (udev's probe of it right after pstore_blk let go, in the OVMF e2e
// test). Ask again for up to 5 s; ENXIO means the kernel has no such
// partition any more, which is what we want.
Result<void> drop_from_kernel(int disk_fd, int number, const std::string& disk) {
  blkpg_partition part{};
  part.pno = number;
  blkpg_ioctl_arg arg{};
  arg.op = BLKPG_DEL_PARTITION;
  arg.datalen = sizeof part;
  arg.data = &part;
  int err = 0;
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (::ioctl(disk_fd, BLKPG, &arg) == 0 || errno == ENXIO) return {};
    err = errno;
    if (err != EBUSY) break;
    ::usleep(100000);
  }
  return make_sys_error("Partition " + std::to_string(number) + " was deleted from the table of '" +
                            disk + "', but the kernel still has it (in use?)",
                        err);
}

}  // namespace

Result<void> delete_partition(const std::string& disk, int number, const std::string& uuid) {
  auto c = FdiskContext::open(disk, false);
  if (!c) return c.error();
  fdisk_context* cxt = (*c)->get();
  auto now = layout_of(**c, disk);
  if (!now) return now.error();
  auto it = std::find_if(now->partitions.begin(), now->partitions.end(),
                         [&](const PartitionInfo& p) { return p.number == number; });
  if (it == now->partitions.end())
    return make_error(Errc::kNotFound, "'" + disk + "' has no partition " + std::to_string(number));
  if (strcasecmp(it->uuid.c_str(), uuid.c_str()) != 0)
    return make_error(Errc::kConflict, "'" + disk + "': partition " + std::to_string(number) +
                                           " has PARTUUID " + it->uuid + ", not " + uuid +
                                           "; not deleting it");
  fdisk_table* raw = nullptr;
  fdisk_get_partitions(cxt, &raw);
  TablePtr org(raw);
  int rc = fdisk_delete_partition(cxt, static_cast<std::size_t>(number - 1));
  if (rc == 0) rc = fdisk_write_disklabel(cxt);
  if (rc != 0)
    return make_sys_error(
        "Failed to delete partition " + std::to_string(number) + " of '" + disk + "'", -rc);
  if (now->is_block_device && (rc = fdisk_reread_changes(cxt, org.get())) != 0)
    return make_sys_error("Partition deleted from '" + disk + "', but the kernel was not told",
                          -rc);
  if (now->is_block_device)
    if (auto d = drop_from_kernel(fdisk_get_devfd(cxt), number, disk); !d) return d;
  return (*c)->close();
}

Result<void> rewrite_table(const std::string& disk) {
  auto c = FdiskContext::open(disk, false);
  if (!c) return c.error();
  fdisk_context* cxt = (*c)->get();
  if (!fdisk_has_label(cxt)) return (*c)->close();
  if (int rc = fdisk_write_disklabel(cxt); rc != 0)
    return make_sys_error("Failed to write the partition table of '" + disk + "'", -rc);
  return (*c)->close();
}

namespace {

Result<std::vector<Signature>> probe_range(const std::string& path, std::uint64_t offset,
                                           std::uint64_t size, bool wipe, int fd) {
  std::unique_ptr<blkid_struct_probe, ProbeDeleter> pr(blkid_new_probe());
  if (!pr) return make_sys_error("Failed to create a libblkid probe", ENOMEM);
  if (blkid_probe_set_device(pr.get(), fd, static_cast<blkid_loff_t>(offset),
                             static_cast<blkid_loff_t>(size)) != 0)
    return make_sys_error("Failed to probe '" + path + "'", errno ? errno : EIO);
  blkid_probe_enable_superblocks(pr.get(), 1);
  blkid_probe_set_superblocks_flags(
      pr.get(), BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE | BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_BADCSUM);
  blkid_probe_enable_partitions(pr.get(), 1);
  blkid_probe_set_partitions_flags(pr.get(), BLKID_PARTS_MAGIC);
  std::vector<Signature> out;
  while (blkid_do_probe(pr.get()) == 0) {
    Signature s;
    const char* v = nullptr;
    if (blkid_probe_lookup_value(pr.get(), "TYPE", &v, nullptr) == 0) {
      s.type = v;
      if (blkid_probe_lookup_value(pr.get(), "USAGE", &v, nullptr) == 0) s.usage = v;
      if (blkid_probe_lookup_value(pr.get(), "SBMAGIC_OFFSET", &v, nullptr) == 0)
        s.offset = std::strtoull(v, nullptr, 10);
    } else if (blkid_probe_lookup_value(pr.get(), "PTTYPE", &v, nullptr) == 0) {
      s.type = v;
      s.usage = "partition table";
      if (blkid_probe_lookup_value(pr.get(), "PTMAGIC_OFFSET", &v, nullptr) == 0)
        s.offset = std::strtoull(v, nullptr, 10);
    } else {
      continue;
    }
    out.push_back(s);
    if (wipe && blkid_do_wipe(pr.get(), 0) != 0)
      return make_sys_error("Failed to wipe the " + s.type + " signature in '" + path + "'",
                            errno ? errno : EIO);
  }
  return out;
}

}  // namespace

Result<std::vector<Signature>> probe_signatures(const std::string& path, std::uint64_t offset,
                                                std::uint64_t size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    Error e = make_sys_error("Failed to open '" + path + "'", errno);
    if (errno == ENOENT) e.code = Errc::kNotFound;
    return e;
  }
  auto r = probe_range(path, offset, size, false, fd);
  ::close(fd);
  return r;
}

Result<std::vector<Signature>> wipe_range(const std::string& path, std::uint64_t offset,
                                          std::uint64_t size, std::uint64_t zero_bytes,
                                          bool exclusive) {
  // O_EXCL on a block device fails with EBUSY while it is mounted or claimed.
  const int flags = O_RDWR | O_CLOEXEC | (exclusive && is_block_device(path) ? O_EXCL : 0);
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) {
    Error e = make_sys_error("Failed to open '" + path + "' for writing", errno);
    if (errno == EACCES || errno == EROFS || errno == EPERM) e.code = Errc::kPermission;
    return e;
  }
  auto r = probe_range(path, offset, size, true, fd);
  if (!r) {
    ::close(fd);
    return r;
  }
  std::vector<char> zeros(1 << 20, 0);
  zero_bytes = std::min(zero_bytes, size);
  for (std::uint64_t done = 0; done < zero_bytes;) {
    std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), zero_bytes - done));
    ssize_t w = ::pwrite(fd, zeros.data(), n, static_cast<off_t>(offset + done));
    if (w <= 0) {
      int err = w < 0 ? errno : EIO;
      ::close(fd);
      return make_sys_error(
          "Failed to clear '" + path + "' at byte " + std::to_string(offset + done), err);
    }
    done += static_cast<std::uint64_t>(w);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return make_sys_error("Failed to sync '" + path + "'", err);
  }
  ::close(fd);
  return r;
}

}  // namespace psb::device

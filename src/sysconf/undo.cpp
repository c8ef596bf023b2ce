// plan_undo / apply_undo: put back what setup replaced, remove what it
// created (files, directories, with --remove-partition the partition), and
// say what the running kernel keeps until the next boot.
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>

#include "pstore_blk/device/partition.hpp"
#include "pstore_blk/sysconf/setup.hpp"
#include "pstore_blk/sysconf/writer.hpp"

namespace psb::sysconf {

namespace {

std::string canonical(const std::string& p) {
  char buf[PATH_MAX];
  return realpath(p.c_str(), buf) ? std::string(buf) : p;
}

// Whether the running pstore_blk holds the partition setup made. It opens
// its device O_EXCL: while it does, the kernel cannot drop the partition
// (found by tests/vm/e2e-setup.sh: the table lost it, the kernel kept it, and
// oopses would have gone to free space).
bool holds_partition(const SystemFacts& sf, const State& s) {
  auto it = sf.pstore_blk.params.find("blkdev");
  if (it == sf.pstore_blk.params.end() || it->second.empty()) return false;
  const std::string uuid = device::normalize_partuuid(s.partuuid);
  return (!uuid.empty() &&
          device::normalize_partuuid(it->second).find(uuid) != std::string::npos) ||
         canonical(it->second) == canonical("/dev/disk/by-partuuid/" + uuid);
}

// What undo cannot take back from the running kernel (issue: a user who
// undoes expects the old behaviour now, but module state lives until reboot).
std::vector<std::string> still_live(const SystemFacts& sf, const State& s, bool unloading) {
  std::vector<std::string> out;
  if (holds_partition(sf, s) && !unloading) {
    if (sf.pstore_blk.build == Build::kBuiltin)
      out.push_back("pstore_blk (built in) stays attached to " + sf.pstore_blk.params.at("blkdev") +
                    " until the next boot; it cannot be detached at run time");
    else
      out.push_back("pstore_blk stays attached to " + sf.pstore_blk.params.at("blkdev") +
                    " until the next boot; `rmmod pstore_blk` detaches it now");
  }
  for (const auto& r : sf.rivals) {
    if (r.module != "efi_pstore" || !sf.efi_firmware || r.build != Build::kModule) continue;
    const std::string active = sf.active_backend();
    if (active == r.backend_name) continue;
    if (!r.loaded)
      out.push_back(
          "efi_pstore stays unloaded until the next boot; `modprobe efi_pstore` loads it now" +
          std::string(active.empty() ? "" : " (after `rmmod pstore_blk`: one backend at a time)"));
    else
      out.push_back(
          "efi_pstore is loaded but not registered until the next boot; `rmmod efi_pstore; "
          "modprobe efi_pstore` registers it now" +
          std::string(active.empty() ? "" : " (after `rmmod pstore_blk`: one backend at a time)"));
  }
  return out;
}

// Directories a killed write_atomic was building under their temporary
// name (io::AtomicWrite::make_parents): removed with what is inside.
void add_staged_dirs(const io::RootFs& root, const std::vector<std::string>& dirs,
                     std::vector<std::string>& leftovers) {
  for (const auto& d : dirs)
    if (root.is_dir(temp_path_for(d))) leftovers.push_back(temp_path_for(d));
}

// pstore-blk's own directories, then those setup created; sorted, so a
// reverse walk removes children before parents.
std::vector<std::string> dirs_to_remove(const State& s) {
  std::vector<std::string> dirs = s.created_dirs;
  for (const char* d : {kStateDir, kBackupDir})
    if (std::find(dirs.begin(), dirs.end(), d) == dirs.end()) dirs.push_back(d);
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

Result<void> plan_files(const State& s, const io::RootFs& root, UndoTransaction& tx) {
  for (auto it = s.files.rbegin(); it != s.files.rend(); ++it) {
    if (it->backup.empty()) {
      tx.remove.push_back(it->path);
      continue;
    }
    if (auto old = root.read(it->backup)) {
      tx.restore.push_back({it->path, *old, std::nullopt, it->mode});
    } else if (!s.backups_done() || s.phase == kPhaseUndoing) {
      // Setup stopped before it replaced the file, or an earlier undo
      // already put it back and removed the backup.
      tx.untouched.push_back(it->path);
    } else {
      return make_error(Errc::kNotFound, "backup '" + it->backup + "' of '" + it->path +
                                             "' is missing; not touching '" + it->path + "'");
    }
  }
  return {};
}

}  // namespace

Result<UndoTransaction> plan_undo(const State& s, const SystemFacts& sf, bool remove_partition,
                                  const io::RootFs& root) {
  if (remove_partition && !s.partition_created)
    return make_error(Errc::kConflict, "partition " + std::to_string(s.partno) + " of " + s.disk +
                                           " existed before setup; not deleting it");
  UndoTransaction tx;
  tx.root = root.root();
  tx.state = s;
  tx.live = root.is_live();
  tx.remove_partition = remove_partition;
  if (auto r = plan_files(s, root, tx); !r) return r.error();
  tx.commands = s.undo_commands;
  std::vector<std::string> written = {kStatePath};
  for (const auto& f : s.files) {
    written.push_back(f.path);
    if (!f.backup.empty()) written.push_back(f.backup);
  }
  for (const auto& p : written)
    if (root.exists(temp_path_for(p))) tx.leftovers.push_back(temp_path_for(p));
  add_staged_dirs(root, s.created_dirs, tx.leftovers);
  if (remove_partition) {
    auto layout = device::read_layout(s.disk);
    if (!layout) return layout.error();
    for (const auto& p : layout->partitions)
      tx.partition_present |=
          p.number == s.partno && p.uuid == device::normalize_partuuid(s.partuuid);
    if (tx.live && holds_partition(sf, s)) {
      if (sf.pstore_blk.build == Build::kBuiltin)
        return make_error(Errc::kConflict,
                          "the built-in pstore_blk holds partition " + std::to_string(s.partno) +
                              " of " + s.disk +
                              " until the next boot; run `pstore-blk undo` without "
                              "--remove-partition, reboot, then delete the partition (sfdisk "
                              "--delete " +
                              s.disk + " " + std::to_string(s.partno) + ")");
      tx.unload_pstore_blk = true;
    }
  }
  if (tx.live) tx.still_live = still_live(sf, s, tx.unload_pstore_blk);
  tx.dirs = dirs_to_remove(s);
  return tx;
}

namespace {

Result<bool> undo_partition(const UndoTransaction& tx, Writer& w, Runner& r, const Progress& say) {
  const State& s = tx.state;
  if (tx.unload_pstore_blk) {
    auto res = r.run({"rmmod", "pstore_blk"});
    if (!res || res->status != 0)
      return make_error(Errc::kConflict,
                        "pstore_blk holds partition " + std::to_string(s.partno) +
                            " and 'rmmod pstore_blk' failed" +
                            (res ? ": " + res->output : ": " + res.error().message()) +
                            "; the partition was not deleted");
    say.info("Unloaded pstore_blk, which held the partition.");
  }
  if (!tx.partition_present) {
    say.info("Partition " + std::to_string(s.partno) + " (PARTUUID " + s.partuuid +
             ") is not in the table of " + s.disk + " (setup stopped before writing it).");
    // Setup may have been stopped while it wrote the table: write it again
    // so both GPT copies agree (a consistent table is rewritten unchanged).
    if (s.phase == kPhasePlanned)
      if (auto t = w.rewrite_table(s.disk); !t) return t.error();
    return true;
  }
  if (auto d = w.delete_partition(s.disk, s.partno, s.partuuid); !d) return d.error();
  say.info("Deleted partition " + std::to_string(s.partno) + " of " + s.disk + ".");
  return true;
}

// Backups, leftover temporary files of an interrupted write, the state file,
// then the directories setup created, innermost first.
Result<void> remove_traces(const UndoTransaction& tx, Writer& w) {
  for (const auto& f : tx.state.files)
    if (!f.backup.empty())
      if (auto r = w.remove(f.backup); !r) return r;
  for (const auto& t : tx.leftovers)
    if (auto r = w.remove(t); !r) return r;
  if (tx.has_state)
    if (auto r = w.remove(kStatePath); !r) return r;
  for (auto it = tx.dirs.rbegin(); it != tx.dirs.rend(); ++it)
    if (auto r = w.remove_dir(*it); !r) return r;
  return {};
}

}  // namespace

UndoTransaction plan_undo_leftovers(const io::RootFs& root) {
  UndoTransaction tx;
  tx.root = root.root();
  tx.has_state = false;
  tx.live = root.is_live();
  const std::string tmp = temp_path_for(kStatePath);
  if (root.exists(tmp)) tx.leftovers.push_back(tmp);
  std::vector<std::string> parents;  // of the state file: /var, /var/lib, /var/lib/pstore-blk
  for (auto p = std::filesystem::path(kStatePath).parent_path(); p != p.root_path();
       p = p.parent_path())
    parents.push_back(p.string());
  add_staged_dirs(root, parents, tx.leftovers);
  // The state directory holds nothing else: setup made it just before.
  if (root.is_dir(kStateDir) && root.list(kStateDir).size() <= tx.leftovers.size())
    tx.dirs.push_back(kStateDir);
  return tx;
}

Result<ApplyOutcome> apply_undo(const UndoTransaction& tx, Writer& w, Runner& r,
                                const Progress& say) {
  ApplyOutcome out;
  if (!tx.has_state) {
    if (auto t = remove_traces(tx, w); !t) return t.error();
    return out;
  }
  State st = tx.state;
  st.phase = kPhaseUndoing;
  if (auto j = w.write(kStatePath, render_state(st), 0644); !j) return j.error();
  for (const auto& f : tx.restore) {
    if (auto x = w.write(f.path, f.content, f.mode); !x) return x.error();
    say.info("restored " + f.path);
  }
  for (const auto& p : tx.remove) {
    if (auto x = w.remove(p); !x) return x.error();
    say.info("removed " + p);
  }
  for (const auto& c : tx.commands) {
    if (!tx.live) {
      say.info("Run inside the image: " + command_line(c));
      continue;
    }
    auto res = r.run(c);
    if (!res || res->status != 0) {
      say.warn("'" + command_line(c) + "' failed" +
               (res ? ": " + res->output : ": " + res.error().message()));
      out.commands_failed = true;
    }
  }
  if (tx.remove_partition)
    if (auto p = undo_partition(tx, w, r, say); !p) return p.error();
  if (auto t = remove_traces(tx, w); !t) return t.error();
  return out;
}

}  // namespace psb::sysconf

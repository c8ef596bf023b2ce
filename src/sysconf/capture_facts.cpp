// Reading the configuration text that decides the next boot's pstore backend:
// kernel command lines (running, GRUB, /etc/kernel/cmdline), modprobe.d,
// modules-load.d, sysctl.d; and /proc/mtd, the ACPI ERST table, kernel.panic.
#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "pstore_blk/sysconf/capture.hpp"

namespace psb::sysconf {

namespace {

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::string underscores(std::string s) {
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// GRUB_CMDLINE_LINUX[_DEFAULT]="..." lines of a shell fragment sourced by
// grub-mkconfig; references to the variables themselves are dropped.
void parse_grub(const std::string& path, const std::string& text, std::vector<ConfigWord>& out) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.rfind("GRUB_CMDLINE_LINUX", 0) != 0) continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq);
    if (key != "GRUB_CMDLINE_LINUX" && key != "GRUB_CMDLINE_LINUX_DEFAULT") continue;
    std::string value = line.substr(eq + 1);
    value.erase(std::remove(value.begin(), value.end(), '"'), value.end());
    value.erase(std::remove(value.begin(), value.end(), '\''), value.end());
    for (const auto& w : split_words(value))
      if (w.rfind("$GRUB_CMDLINE", 0) != 0 && w.rfind("${GRUB_CMDLINE", 0) != 0)
        out.push_back({SourceKind::kBootCmdline, path + " (" + key + ")", w});
  }
}

void parse_modprobe(const std::string& path, const std::string& text, CaptureFacts& cf) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto words = split_words(line);
    if (words.size() >= 2 && words[0] == "blacklist") cf.blacklist.push_back(underscores(words[1]));
    if (words.size() < 3 || words[0] != "options") continue;
    const std::string mod = underscores(words[1]);
    for (std::size_t i = 2; i < words.size(); ++i)
      cf.words.push_back({SourceKind::kModprobe, path, mod + "." + words[i]});
  }
}

void parse_sysctl(const std::string& path, const std::string& text, CaptureFacts& cf) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '-') line.erase(0, 1);
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = trim(line.substr(0, eq));
    std::replace(key.begin(), key.end(), '/', '.');
    cf.words.push_back({SourceKind::kSysctl, path, key + "=" + trim(line.substr(eq + 1))});
  }
}

void parse_modules_load(const std::string& text, CaptureFacts& cf) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto words = split_words(line);
    if (!words.empty() && words[0][0] != '#' && words[0][0] != ';')
      cf.modules_load.push_back(underscores(words[0]));
  }
}

// *.conf files of systemd-style directories, a name in an earlier directory
// hiding the same name in a later one (/etc before /run before /usr/lib).
std::vector<std::string> conf_files(const io::RootFs& fs, const std::vector<std::string>& dirs) {
  std::map<std::string, std::string> by_name;
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it)
    for (const auto& f : fs.list(*it))
      if (f.size() > 5 && f.substr(f.size() - 5) == ".conf") by_name[f] = *it + "/" + f;
  std::vector<std::string> out;
  for (const auto& [name, path] : by_name) out.push_back(path);
  return out;
}

std::map<std::string, std::string> params_of(const io::RootFs& fs, const std::string& module) {
  std::map<std::string, std::string> out;
  const std::string dir = "/sys/module/" + module + "/parameters";
  for (const auto& p : fs.list(dir))
    if (auto v = fs.read_line(dir + "/" + p)) out[p] = *v;
  return out;
}

std::optional<long> number(const std::optional<std::string>& s) {
  if (!s || s->empty()) return std::nullopt;
  char* end = nullptr;
  long v = std::strtol(s->c_str(), &end, 0);
  if (end == s->c_str()) return std::nullopt;
  return v;
}

void probe_cmdlines(const io::RootFs& fs, CaptureFacts& cf) {
  for (const auto& w : split_words(fs.read_line("/proc/cmdline").value_or("")))
    cf.words.push_back({SourceKind::kRunningCmdline, "/proc/cmdline", w});
  // GRUB regenerates every boot entry from its files (update-grub).
  if (auto t = fs.read("/etc/default/grub")) {
    cf.boot_cmdline_known = true;
    parse_grub("/etc/default/grub", *t, cf.words);
    for (const auto& f : fs.list("/etc/default/grub.d"))
      if (f.size() > 4 && f.substr(f.size() - 4) == ".cfg")
        if (auto d = fs.read("/etc/default/grub.d/" + f))
          parse_grub("/etc/default/grub.d/" + f, *d, cf.words);
  } else if (auto k = fs.read("/etc/kernel/cmdline")) {
    for (const auto& w : split_words(*k))
      cf.words.push_back({SourceKind::kBootCmdline, "/etc/kernel/cmdline", w});
  }
}

}  // namespace

CaptureFacts probe_capture(const io::RootFs& fs) {
  CaptureFacts cf;
  probe_cmdlines(fs, cf);
  for (const auto& p : conf_files(
           fs, {"/etc/modprobe.d", "/run/modprobe.d", "/usr/lib/modprobe.d", "/lib/modprobe.d"}))
    if (auto t = fs.read(p)) parse_modprobe(p, *t, cf);
  if (auto t = fs.read("/etc/sysctl.conf")) parse_sysctl("/etc/sysctl.conf", *t, cf);
  for (const auto& p :
       conf_files(fs, {"/etc/sysctl.d", "/run/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d"}))
    if (auto t = fs.read(p)) parse_sysctl(p, *t, cf);
  if (auto t = fs.read("/etc/modules")) parse_modules_load(*t, cf);  // Debian's list
  for (const auto& p : conf_files(fs, {"/etc/modules-load.d", "/run/modules-load.d",
                                       "/usr/lib/modules-load.d", "/lib/modules-load.d"}))
    if (auto t = fs.read(p)) parse_modules_load(*t, cf);

  cf.kmsg_bytes = number(fs.read_line("/sys/module/pstore/parameters/kmsg_bytes"));
  cf.efi_params = params_of(fs, "efi_pstore");
  cf.ramoops_params = params_of(fs, "ramoops");
  cf.mtdpstore_params = params_of(fs, "mtdpstore");
  cf.ramoops_loaded = fs.is_dir("/sys/module/ramoops");
  cf.mtdpstore_loaded = fs.is_dir("/sys/module/mtdpstore");
  // /proc/mtd: "dev:    size   erasesize  name" then `mtd0: 00100000 00010000 "pstore"`.
  if (auto t = fs.read("/proc/mtd")) {
    std::istringstream in(*t);
    std::string line;
    while (std::getline(in, line)) {
      auto colon = line.find(':');
      auto quote = line.find('"');
      if (line.rfind("mtd", 0) == 0 && colon != std::string::npos && quote != std::string::npos)
        cf.mtd_devices.push_back(line.substr(0, colon) + " " + trim(line.substr(quote)));
    }
  }
  cf.erst_table = fs.exists("/sys/firmware/acpi/tables/ERST");
  cf.panic_timeout = number(fs.read_line("/proc/sys/kernel/panic"));
  return cf;
}

CaptureFacts with_config_files(CaptureFacts cf,
                               const std::vector<std::pair<std::string, std::string>>& files) {
  for (const auto& [path, content] : files) {
    // clang < 16 cannot capture a structured binding: capture a reference.
    const std::string& file = path;
    cf.words.erase(std::remove_if(cf.words.begin(), cf.words.end(),
                                  [&](const ConfigWord& w) {
                                    return w.where == file || w.where.rfind(file + " (", 0) == 0;
                                  }),
                   cf.words.end());
    if (path.rfind("/etc/modprobe.d/", 0) == 0) {
      parse_modprobe(path, content, cf);
    } else if (path.rfind("/etc/modules-load.d/", 0) == 0) {
      parse_modules_load(content, cf);
    } else if (path.rfind("/etc/sysctl.d/", 0) == 0) {
      parse_sysctl(path, content, cf);
    } else if (path.rfind("/etc/default/grub", 0) == 0) {
      cf.boot_cmdline_known = true;
      parse_grub(path, content, cf.words);
    } else if (path == "/etc/kernel/cmdline") {
      for (const auto& w : split_words(content))
        cf.words.push_back({SourceKind::kBootCmdline, path, w});
    }
  }
  return cf;
}

}  // namespace psb::sysconf

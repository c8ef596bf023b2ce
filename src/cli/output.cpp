#include "cli/output.hpp"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <set>
#include <sstream>

#include "pstore_blk/cli/app.hpp"

namespace psb::cli {

std::string iso_time(std::int64_t sec) {
  std::time_t t = static_cast<std::time_t>(sec);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {
int g_write_errno = 0;  // the errno of the first failed write_stdout()
}  // namespace

bool write_stdout(std::string_view bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) == bytes.size()) return true;
  if (g_write_errno == 0) g_write_errno = errno;
  return false;
}

void flush_stdout() {
  if (std::fflush(stdout) != 0 && g_write_errno == 0) g_write_errno = errno;
}

bool stdout_failed() { return !std::cout.good() || std::ferror(stdout) != 0; }

int close_stdout(int rc) {
  // std::cout is synchronised with stdio (the default): it has no buffer of
  // its own, so one fflush/fclose of stdout sees every pending byte.
  int err = 0;
  errno = 0;
  if (std::fflush(stdout) != 0) err = errno;
  const bool prev_fail = stdout_failed();
  errno = 0;
  const bool close_fail = std::fclose(stdout) != 0;
  if (close_fail && err == 0) err = errno;
  if (err == 0) err = g_write_errno;
  if (!prev_fail && !close_fail) return rc;
  if (err == EPIPE) return rc;
  warn(err ? std::string("write error: ") + std::strerror(err) : std::string("write error"));
  return kExitFailure;
}

}  // namespace psb::cli

namespace psb::cli {

namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string raw_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c <= ' ' || c == '\\' || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

Result<std::vector<std::size_t>> parse_columns(const std::string& list, std::span<const Column> all,
                                               std::span<const std::size_t> defaults) {
  std::vector<std::size_t> out;
  std::string_view rest = list;
  if (!rest.empty() && rest[0] == '+') {
    out.assign(defaults.begin(), defaults.end());
    rest.remove_prefix(1);
    if (rest.empty()) return out;
  }
  while (true) {
    const auto comma = rest.find(',');
    const std::string word = upper(std::string(rest.substr(0, comma)));
    std::size_t i = 0;
    while (i < all.size() && word != all[i].name) ++i;
    if (i == all.size()) {
      std::string valid;
      for (const auto& c : all) valid += (valid.empty() ? "" : ", ") + std::string(c.name);
      return make_error(Errc::kInvalidArgument,
                        "unknown column '" + word + "'; valid columns: " + valid);
    }
    out.push_back(i);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

nlohmann::ordered_json keep_columns(const nlohmann::ordered_json& object,
                                    std::span<const Column> all,
                                    std::span<const std::size_t> chosen) {
  auto keys_of = [](const Column& c) {
    std::vector<std::string> keys;
    std::istringstream in(c.json);
    for (std::string k; in >> k;) keys.push_back(k);
    return keys;
  };
  std::set<std::string> of_any, wanted;
  for (const auto& c : all)
    for (auto& k : keys_of(c)) of_any.insert(std::move(k));
  for (auto i : chosen)
    for (auto& k : keys_of(all[i])) wanted.insert(std::move(k));
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [k, v] : object.items())
    if (wanted.count(k) || !of_any.count(k)) out[k] = v;
  return out;
}

std::string columns_help(std::span<const Column> all) {
  std::string s = "Available output columns:\n";
  for (const auto& c : all) {
    std::string name = c.name;
    name.resize(std::max<std::size_t>(name.size(), 12), ' ');
    s += "  " + name + " " + c.help + "\n";
  }
  return s;
}

TableWriter::TableWriter(std::span<const Column> all, std::vector<std::size_t> shown,
                         TableStyle style)
    : all_(all), shown_(std::move(shown)), style_(style) {
  for (const auto& c : all_) width_.push_back(std::max(c.width, std::string_view(c.name).size()));
}

void TableWriter::fit(const std::vector<std::vector<std::string>>& rows) {
  for (std::size_t i = 0; i < all_.size(); ++i) {
    if (all_[i].width != 0) continue;
    for (const auto& r : rows) width_[i] = std::max(width_[i], r[i].size());
  }
}

void TableWriter::header() const {
  if (style_.noheadings) return;
  std::vector<std::string> heads;
  for (const auto& c : all_) heads.emplace_back(c.name);
  line(heads, true);
}

void TableWriter::row(const std::vector<std::string>& cells) const { line(cells, false); }

void TableWriter::line(const std::vector<std::string>& cells, bool is_header) const {
  std::string out;
  for (std::size_t k = 0; k < shown_.size(); ++k) {
    const std::size_t i = shown_[k];
    const std::string& v = cells[i];
    if (style_.raw) {
      out += (k ? " " : "") + (is_header ? v : raw_escape(v));
      continue;
    }
    if (k) out.append(style_.gap, ' ');
    const std::size_t pad = width_[i] > v.size() ? width_[i] - v.size() : 0;
    if (all_[i].right) out.append(pad, ' ');
    out += v;
    if (!all_[i].right && k + 1 < shown_.size()) out.append(pad, ' ');
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  out += '\n';
  write_stdout(out);
}

}  // namespace psb::cli

#include <fmt/core.h>

#include "pstore_blk/io/diagnose.hpp"
#include "pstore_blk/io/reader.hpp"

namespace psb::cli {

Result<EmptyScanVerdict> judge_empty_scan(const io::ByteSource& src, const io::ScanSummary& sum) {
  if (sum.signatures_found || sum.layout_forced) return EmptyScanVerdict{};
  auto fill = io::blank_fill(src, format::kMaxTotalSize);
  if (!fill) return fill.error();
  if (*fill)
    return EmptyScanVerdict{
        EmptyScan::kBlank,
        fmt::format("{}: No records: the area is blank (every byte is 0x{:02X}), as a pstore "
                    "partition is until the kernel first writes to it.",
                    src.name(), **fill)};
  return EmptyScanVerdict{EmptyScan::kNoZoneData,
                          src.name() + " holds no pstore/zone data (no zone signature found)."};
}

Result<EmptyScan> explain_empty_scan(const io::ByteSource& src, const io::ScanSummary& sum) {
  auto v = judge_empty_scan(src, sum);
  if (!v) return v.error();
  if (!v->message.empty()) warn(v->message);
  return v->kind;
}

}  // namespace psb::cli

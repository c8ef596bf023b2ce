#include "pstore_blk/io/reader.hpp"

#include <algorithm>
#include <vector>

namespace psb::io {

using namespace psb::format;

namespace {

// A zone is read as a window over its first bytes: the head, classified
// first, then extended to the bytes its record needs (header + datalen,
// usually far less than the zone), at most kWindow; bytes past the window
// stream through a kChunk buffer. The first read takes as many bytes as any
// zone before needed (at least kHead), so a partition of like zones costs
// one read per zone and copies only what the records use: discovery has
// already read the whole partition once.
constexpr std::size_t kHead = 4096;
constexpr std::size_t kWindow = 128 * 1024;
constexpr std::size_t kChunk = 256 * 1024;
// Discovery reads the partition in kScan chunks.
constexpr std::size_t kScan = 1 << 16;

// Called after each discovery chunk: its offset, its bytes (with the
// kProbeBytes overlap), the end of the offsets it reports, the hits so far.
using ChunkObserver =
    std::function<void(std::uint64_t, Bytes, std::uint64_t, const std::vector<SigHit>&)>;

// The signature hits of the first 128 MiB of `src`, read in kScan chunks.
// `held` is set to fewer bytes than the source claims when a read ends
// early (a disk image cut inside a partition).
Result<std::vector<SigHit>> collect_signatures(const ByteSource& src, Endian e,
                                               std::size_t max_hits, const ChunkObserver& observe,
                                               std::uint64_t& held) {
  std::vector<SigHit> hits;
  const std::uint64_t end = std::min(src.size(), kMaxTotalSize);
  std::vector<std::byte> buf(kScan + kProbeBytes);
  for (std::uint64_t off = 0; off < end; off += kScan) {
    auto n = src.read_at(off, std::span(buf));
    if (!n) return n.error();
    Bytes chunk(buf.data(), *n);
    // Hits may start up to the end of this chunk; their header bytes come
    // from the overlap (kProbeBytes read past the chunk).
    const std::uint64_t limit = std::min<std::uint64_t>(off + kScan, end);
    find_signatures(chunk, off, limit, e, hits, max_hits);
    if (observe) observe(off, chunk, limit, hits);
    if (*n < buf.size()) {
      if (off + *n < src.size()) held = off + *n;
      break;
    }
  }
  return hits;
}

// Reads [offset, offset+len) of `src` into `buf` (as much as exists).
Result<Bytes> read_into(const ByteSource& src, std::uint64_t offset, std::size_t len,
                        std::vector<std::byte>& buf) {
  if (buf.size() < len) buf.resize(len);
  auto n = src.read_at(offset, std::span(buf).first(len));
  if (!n) return n.error();
  return Bytes(buf.data(), *n);
}

// Shared buffers and state of one scan.
struct Context {
  const ByteSource& src;
  const ReadOptions& opts;
  Abi abi;             // of the plan the zones are read under
  std::uint64_t held;  // bytes the source holds (discovery found the end)
  std::vector<std::byte> window, chunk;
  BodyDecoder decoder;
  std::size_t first_read = kHead;  // the most bytes a zone needed so far
};

// A record backed by a zone: bytes come from the zone's window when they
// lie in it, else from the source in chunks.
class ZoneStream final : public RecordStream {
 public:
  ZoneStream(Context& c, PendingRecord p, std::uint64_t zone_offset, Bytes window)
      : c_(c), pending_(std::move(p)), zone_(zone_offset), window_(window) {
    rec_ = pending_.record;
  }

  Result<BodyOutcome> decode(const ChunkSink& out) override {
    c_.decoder.start(pending_.body, out);
    auto r = each_piece([&](Bytes b, bool last) { return c_.decoder.feed(b, last, out); });
    if (!r) return r.error();
    BodyOutcome o = c_.decoder.finish();
    PendingRecord settled = pending_;
    settle_record(settled, o);
    rec_ = std::move(settled.record);
    decoded_ = true;
    return o;
  }

  Result<std::uint64_t> stored(const ChunkSink& out) override {
    std::uint64_t n = 0;
    auto r = each_piece([&](Bytes b, bool) {
      n += b.size();
      return b.empty() || out(as_chars(b));
    });
    if (!r) return r.error();
    return n;
  }

  bool decoded() const { return decoded_; }

 private:
  // Calls f(bytes, last) over the ranges in order; stops when f says so.
  template <typename F>
  Result<void> each_piece(F&& f) {
    const auto& ranges = pending_.body.ranges;
    if (ranges.empty()) {
      f(Bytes{}, true);
      return {};
    }
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      std::uint64_t off = ranges[i].offset;
      const std::uint64_t end = off + ranges[i].length;
      do {
        Bytes piece;
        if (end <= window_.size()) {
          piece =
              window_.subspan(static_cast<std::size_t>(off), static_cast<std::size_t>(end - off));
        } else {
          const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(end - off, kChunk));
          auto b = read_into(c_.src, zone_ + off, len, c_.chunk);
          if (!b) return b.error();
          piece = *b;
          if (piece.empty()) break;  // the source shrank under us
        }
        off += piece.size();
        const bool last = i + 1 == ranges.size() && off >= end;
        if (!f(piece, last)) return {};
      } while (off < end);
    }
    return {};
  }

  Context& c_;
  PendingRecord pending_;
  std::uint64_t zone_;
  Bytes window_;
  bool decoded_ = false;
};

// The merged ftrace record: rendered straight into the sink.
class FtraceStream final : public RecordStream {
 public:
  FtraceStream(const FtraceAssembler& a, Record r, const SymbolTable* syms) : a_(a), syms_(syms) {
    rec_ = std::move(r);
  }
  Result<BodyOutcome> decode(const ChunkSink& out) override {
    BodyOutcome o;
    const bool all = a_.render(syms_, [&](std::string_view s) {
      o.size += s.size();
      return out(s);
    });
    if (!all) o.status = InflateStatus::kStopped;
    rec_.size = o.size;
    return o;
  }
  Result<std::uint64_t> stored(const ChunkSink& out) override {
    auto o = decode(out);
    if (!o) return o.error();
    return o->size;
  }

 private:
  const FtraceAssembler& a_;
  const SymbolTable* syms_;
};

Result<std::vector<SigHit>> collect_hits(const ByteSource& src, const ScanRequest& req,
                                         const ChunkObserver& observe, std::uint64_t& held) {
  std::vector<SigHit> hits;
  for (Endian e : hit_orders(req)) {
    auto h = collect_signatures(src, e, hits_wanted(req), observe, held);
    if (!h) return h.error();
    hits = std::move(*h);
    if (!hits.empty()) break;
  }
  return hits;
}

// Reads a zone's first `want` bytes into c.window (at most kWindow);
// `window` receives what the source holds of them.
Result<void> read_window(Context& c, const ZoneSlot& slot, std::size_t want, Bytes& window) {
  auto w = read_into(c.src, slot.offset, want, c.window);
  if (!w) return w.error();
  window = *w;
  return {};
}

// Extends `window` (the zone's first bytes, in c.window) to its first
// `extent` bytes, at most kWindow; a source that ends early leaves it shorter.
Result<void> extend_window(Context& c, const ZoneReport& rep, std::uint64_t extent, Bytes& window) {
  const auto want = static_cast<std::size_t>(
      std::min<std::uint64_t>({extent, static_cast<std::uint64_t>(kWindow), rep.available}));
  // The largest need so far (rounded to kHead): like zones then take one read.
  c.first_read = std::max(c.first_read, std::min(kWindow, (want + kHead - 1) / kHead * kHead));
  const std::size_t have = window.size();
  if (want <= have) return {};
  if (c.window.size() < want) c.window.resize(want);
  auto n = c.src.read_at(rep.slot.offset + have, std::span(c.window).subspan(have, want - have));
  if (!n) return n.error();
  window = Bytes(c.window.data(), have + *n);
  return {};
}

// The record a classified zone holds, if any (ftrace zones are merged apart).
std::optional<PendingRecord> plan_zone(const ZoneReport& rep, const Abi& abi,
                                       const DecodeOptions& d) {
  if (rep.slot.type == RecordType::kFtrace) return std::nullopt;
  return rep.slot.type == RecordType::kDmesg ? plan_dmesg(rep, abi, d) : plan_ring(rep);
}

// The zone bytes, counted from its start, that its record (or ring) needs.
std::uint64_t zone_need(const ZoneReport& rep, const std::optional<PendingRecord>& p) {
  if (rep.slot.type == RecordType::kFtrace) return ring_extent(rep);
  std::uint64_t end = 0;
  if (p)
    for (const ByteRange& r : p->body.ranges) end = std::max(end, r.offset + r.length);
  return end;
}

// Reads one zone: its head (and as many bytes as zones before needed),
// classified; then the window is extended to what its record needs. A
// source that ends early inside those bytes (it shrank under us) gets the
// zone classified again with the bytes it holds. `window` receives the
// zone's first bytes, `p` its record.
Result<ZoneReport> read_zone(Context& c, const ZoneSlot& slot, const DecodeOptions& d,
                             Bytes& window, std::optional<PendingRecord>& p) {
  const std::uint64_t avail = zone_available(slot, c.held);
  if (avail == 0) {
    window = {};
    return zone_past_end(slot);
  }
  const Abi& abi = c.abi;
  const std::size_t want = static_cast<std::size_t>(
      std::min<std::uint64_t>(avail, std::max(c.first_read, zone_head_size(slot, abi))));
  if (auto r = read_window(c, slot, want, window); !r) return r.error();
  const bool short_head = window.size() < want;
  ZoneReport rep = classify_zone(slot, window, short_head ? window.size() : avail, abi);
  p = plan_zone(rep, abi, d);
  const std::uint64_t need =
      std::min<std::uint64_t>({zone_need(rep, p), static_cast<std::uint64_t>(kWindow), avail});
  if (short_head || need <= window.size()) return rep;
  if (auto r = extend_window(c, rep, need, window); !r) return r.error();
  if (window.size() < need) {
    rep = classify_zone(slot, window, window.size(), abi);
    p = plan_zone(rep, abi, d);
  }
  return rep;
}

// A payload that does not inflate gives its zone that state.
void follow_record(ZoneReport& rep, const Record& r) {
  if (r.state != ZoneState::kDecompressFailed) return;
  rep.state = ZoneState::kDecompressFailed;
  rep.detail = r.detail;
}

// Hands one zone-backed record to the sink; the zone's state follows a
// payload that does not inflate.
Result<void> emit_zone_record(Context& c, ScanSummary& sum, ZoneReport& rep, PendingRecord p,
                              Bytes window, const StreamSink& sink) {
  ZoneStream rs(c, std::move(p), rep.slot.offset, window);
  ++sum.records;
  sink(rs);
  if (rs.decoded()) follow_record(rep, rs.record());
  return {};
}

// Adds one ftrace CPU zone to the assembler, within its bound.
Result<void> add_ftrace_zone(Context& c, FtraceAssembler& a, const ZoneReport& rep, Bytes window) {
  if (!FtraceAssembler::contributes(rep)) return {};
  const std::uint64_t extent = ring_extent(rep);
  if (!a.has_room(extent)) {
    a.skip(rep.slot);
    return {};
  }
  Bytes zone = window;
  std::vector<std::byte> whole;
  if (extent > window.size()) {
    auto b = read_into(c.src, rep.slot.offset, static_cast<std::size_t>(extent), whole);
    if (!b) return b.error();
    zone = *b;
  }
  a.add(linearize_ring(*rep.header, zone.first(std::min<std::size_t>(zone.size(), extent))));
  return {};
}

// Zones decoded while discovery holds their bytes (metadata-only scans).
//
// Discovery must read the whole partition before the layout is known (it
// follows from every signature); the zone pass would then read each
// record's bytes again. When the sink takes only metadata, each zone is
// classified and decoded from the discovery chunk that holds all the bytes
// its record needs, under a provisional plan made from the hits found so far
// (made again each time the hits double). Classifying and decoding are
// functions of the slot, the ABI, the decode options and the zone's bytes,
// so the zone pass takes a result only where the final plan has the same
// slot and ABI, and reads every other zone as before. At most kMaxSpeculated
// results are kept (metadata only, a few hundred bytes each).
class Speculator {
 public:
  struct Decoded {
    ZoneSlot slot;
    std::string_view abi;     // Abi::name
    std::uint64_t available;  // zone bytes the source was taken to hold
    ZoneReport rep;
    std::optional<Record> record;  // settled: name, state, size final
    BodyOutcome outcome;
    std::uint64_t stored = 0;  // bytes of the stored payload
  };
  static constexpr std::size_t kMaxSpeculated = 4096;

  Speculator(Context& c, const ScanRequest& req, const DecodeOptions& d)
      : c_(c), req_(req), d_(d) {}

  // The discovery observer: a chunk read, the hits so far.
  void chunk(std::uint64_t off, Bytes bytes, std::uint64_t limit, const std::vector<SigHit>& hits) {
    if (hits.size() >= replan_at_) replan(hits);
    if (!plan_) return;
    const auto& slots = plan_->slots;
    auto it = std::lower_bound(slots.begin(), slots.end(), off,
                               [](const ZoneSlot& z, std::uint64_t o) { return z.offset < o; });
    for (; it != slots.end() && it->offset < limit && done_.size() < kMaxSpeculated; ++it) {
      if (it->offset - off >= bytes.size()) break;
      speculate(*it, bytes.subspan(static_cast<std::size_t>(it->offset - off)));
    }
  }

  // The result for `slot` under the final plan's ABI, if one was made.
  const Decoded* find(const ZoneSlot& slot, const Abi& abi) const {
    auto it = std::lower_bound(done_.begin(), done_.end(), slot.offset,
                               [](const Decoded& r, std::uint64_t o) { return r.slot.offset < o; });
    if (it == done_.end() || it->slot.offset != slot.offset || it->abi != abi.name) return nullptr;
    // Discovery may find the source ends early (a cut disk image) after the
    // zone was decoded as a whole one.
    if (it->available != zone_available(slot, c_.held)) return nullptr;
    const ZoneSlot& z = it->slot;
    const bool same = z.type == slot.type && z.index == slot.index && z.size == slot.size;
    return same ? &*it : nullptr;
  }

 private:
  void replan(const std::vector<SigHit>& hits) {
    replan_at_ = 2 * hits.size();
    auto p = plan_scan(c_.src.size(), hits, req_);
    if (!p) return plan_.reset();
    plan_ = std::move(*p);
    c_.abi = plan_->abi;
  }

  // Classifies and decodes the zone at the start of `window` (the chunk's
  // bytes from the zone on) when they hold everything its record needs.
  void speculate(const ZoneSlot& slot, Bytes window) {
    const std::uint64_t avail = zone_available(slot, c_.held);
    if (slot.type == RecordType::kFtrace || avail == 0) return;
    if (window.size() > avail) window = window.first(static_cast<std::size_t>(avail));
    if (window.size() < zone_head_size(slot, c_.abi)) return;
    if (!done_.empty() && done_.back().slot.offset >= slot.offset) return;
    Decoded r{slot, c_.abi.name, avail, classify_zone(slot, window, avail, c_.abi), {}, {}, 0};
    auto p = plan_zone(r.rep, c_.abi, d_);
    if (zone_need(r.rep, p) > window.size()) return;
    if (p) {
      r.stored = p->body.stored_size();
      ZoneStream zs(c_, std::move(*p), slot.offset, window);
      auto o = zs.decode([](std::string_view) { return true; });
      if (!o) return;
      r.outcome = std::move(*o);
      r.record = zs.record();
      follow_record(r.rep, *r.record);
    }
    done_.push_back(std::move(r));
  }

  Context& c_;
  const ScanRequest& req_;
  const DecodeOptions& d_;
  std::optional<ScanPlan> plan_;
  std::size_t replan_at_ = 1;
  std::vector<Decoded> done_;  // by zone offset
};

// A record decoded during discovery: its metadata, no bytes.
class SpeculatedStream final : public RecordStream {
 public:
  explicit SpeculatedStream(const Speculator::Decoded& r) : r_(r) { rec_ = *r.record; }
  Result<BodyOutcome> decode(const ChunkSink&) override { return r_.outcome; }
  Result<std::uint64_t> stored(const ChunkSink&) override { return r_.stored; }

 private:
  const Speculator::Decoded& r_;
};

// Hands on zone `i`, decoded during discovery.
void emit_speculated(ScanSummary& sum, std::size_t i, const Speculator::Decoded& d,
                     const StreamSink& sink) {
  sum.zones[i] = d.rep;
  if (!d.record) return;
  SpeculatedStream ss(d);
  ++sum.records;
  sink(ss);
}

ScanSummary summary_of(const ScanPlan& p) {
  ScanSummary s;
  s.layout = p.layout;
  s.abi = p.abi;
  s.layout_forced = p.layout_forced;
  s.abi_forced = p.abi_forced;
  s.signatures_found = p.signatures_found;
  s.notes = p.notes;
  s.source_size = p.source_size;
  s.zones.resize(p.slots.size());
  return s;
}

}  // namespace

Result<ScanSummary> scan_records(const ByteSource& src, const ReadOptions& opts,
                                 const StreamSink& sink, const PlanSink& on_plan) {
  const ScanRequest req{opts.abi, opts.layout};
  DecodeOptions dopts;
  dopts.include_erased = opts.include_erased;
  Context c{src, opts, {}, src.size(), {}, {}, {}};
  std::optional<Speculator> spec;
  ChunkObserver observe;
  if (opts.metadata_only) {
    spec.emplace(c, req, dopts);
    observe = [&](std::uint64_t off, Bytes b, std::uint64_t limit,
                  const std::vector<SigHit>& hits) { spec->chunk(off, b, limit, hits); };
  }
  auto hits = collect_hits(src, req, observe, c.held);
  if (!hits) return hits.error();
  auto plan = plan_scan(src.size(), *hits, req);
  if (!plan) {
    Error e = plan.error();
    e.what = src.name() + ": " + e.what;
    return e;
  }
  ScanSummary sum = summary_of(*plan);
  if (on_plan) on_plan(sum);

  c.abi = plan->abi;
  FtraceAssembler ftrace(plan->abi);
  std::optional<std::uint64_t> ftrace_at;
  const auto& order = plan->order;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::size_t i = order[k];
    const ZoneSlot& slot = plan->slots[i];
    if (const auto* d = spec ? spec->find(slot, plan->abi) : nullptr) {
      emit_speculated(sum, i, *d, sink);
      continue;
    }
    Bytes window;
    std::optional<PendingRecord> p;
    auto rep = read_zone(c, slot, dopts, window, p);
    if (!rep) return rep.error();
    if (slot.type == RecordType::kFtrace) {
      if (!ftrace_at) ftrace_at = slot.offset;
      if (auto r = add_ftrace_zone(c, ftrace, *rep, window); !r) return r.error();
    }
    if (p)
      if (auto r = emit_zone_record(c, sum, *rep, std::move(*p), window, sink); !r)
        return r.error();
    sum.zones[i] = std::move(*rep);
    const bool ftrace_done =
        slot.type == RecordType::kFtrace &&
        (k + 1 == order.size() || plan->slots[order[k + 1]].type != RecordType::kFtrace);
    if (ftrace_done)
      if (auto r = ftrace.record(*ftrace_at)) {
        FtraceStream fs(ftrace, std::move(*r), opts.symbols);
        ++sum.records;
        sink(fs);
      }
  }
  return sum;
}

Result<ScanSummary> scan_partition(const ByteSource& src, const ReadOptions& opts,
                                   const RecordSink& sink) {
  std::optional<Error> failed;
  ReadOptions o = opts;
  o.metadata_only = !opts.keep_content;
  auto res = scan_records(src, o, [&](RecordStream& rs) {
    if (failed) return;
    std::string text;
    auto keep = [&](std::string_view s) {
      if (opts.keep_content && text.size() < opts.content_limit)
        text.append(s.substr(0, static_cast<std::size_t>(opts.content_limit - text.size())));
      return true;
    };
    auto out = rs.decode(keep);
    if (!out) {
      failed = out.error();
      return;
    }
    Record r = rs.record();
    if (r.compressed && !r.decompressed && r.type == RecordType::kDmesg) {
      r.salvaged = std::move(text);
      text.clear();
      if (auto n = rs.stored(keep); !n) {
        failed = n.error();
        return;
      }
    }
    r.content = std::move(text);
    if (opts.keep_content && r.size > opts.content_limit)
      r.detail += (r.detail.empty() ? "" : "; ") +
                  std::string("content kept in memory only up to ") +
                  std::to_string(opts.content_limit) + " bytes";
    sink(std::move(r));
  });
  if (failed) return *failed;
  return res;
}

}  // namespace psb::io

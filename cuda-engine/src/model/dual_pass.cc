#include "model/dual_pass.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "backend/host_op_timer.h"
#include "core/engine_error.h"

namespace nt {

namespace {

std::vector<int32_t> cpu_layers_of(const std::string& pattern) {
  std::vector<int32_t> layers;
  for (size_t l = 0; l < pattern.size(); ++l) {
    if (pattern[l] == 'C') layers.push_back(static_cast<int32_t>(l));
  }
  return layers;
}

// Each cache of a batch with the positions [first, last + 1) its tokens write.
std::map<KvCache*, std::pair<int32_t, int32_t>> written_ranges(const Batch& batch) {
  std::map<KvCache*, std::pair<int32_t, int32_t>> ranges;
  for (const BatchToken& t : batch) {
    auto [it, fresh] = ranges.try_emplace(t.cache, t.pos, t.pos + 1);
    if (!fresh) it->second = {std::min(it->second.first, t.pos), std::max(it->second.second, t.pos + 1)};
  }
  return ranges;
}

}  // namespace

std::vector<std::pair<bool, PassSegment>> dual_segments(const std::string& pattern) {
  std::vector<std::pair<bool, PassSegment>> segments;
  const auto n = static_cast<int32_t>(pattern.size());
  for (int32_t first = 0; first < n;) {
    int32_t last = first;
    while (last < n && pattern[last] == pattern[first]) ++last;
    segments.push_back({pattern[first] == 'C', PassSegment{first, last, false, nullptr}});
    first = last;
  }
  if (segments.empty() || segments.back().first) {
    segments.push_back({false, PassSegment{n, n, true, nullptr}});
  } else {
    segments.back().second.head = true;
  }
  return segments;
}

DualPass::DualPass(const Hparams& h, const std::string& pattern, ComputeBackend& device, StreamDevice& copier,
                   int threads, int32_t kv_blocks, GgmlType kv_type)
    : n_embd_(h.n_embd),
      cpu_layers_(cpu_layers_of(pattern)),
      device_(device),
      copier_(copier),
      cpu_(h, threads),
      cpu_pool_(cpu_.new_kv_pool(kv_blocks, kv_type, cpu_layers_)) {
  if (pattern.size() != static_cast<size_t>(h.n_layer)) {
    throw EngineError(NT_E_INTERNAL, "the dual path's pattern has " + std::to_string(pattern.size()) + " layers, not " +
                                         std::to_string(h.n_layer));
  }
  for (const auto& [cpu, range] : dual_segments(pattern)) segments_.push_back({cpu, range});
}

void DualPass::attach_cpu_part(KvCache& cache, int32_t n_ctx) {
  cache.attach_cpu_part(std::make_unique<KvCache>(cpu_pool_, n_ctx));
}

// Rows [from, to) of every CPU layer, between the device's cache and the host part. Within a
// block a layer's rows are consecutive on both sides: one copy per block and layer.
void DualPass::copy_rows(KvCache& cache, int32_t from, int32_t to, bool to_host) {
  KvCache& host = *cache.cpu_part();
  const auto row_bytes = static_cast<uint64_t>(host.pool().row_stride());
  for (int32_t pos = from; pos < to;) {
    const int32_t end = std::min(to, (pos / KvPool::kBlockPositions + 1) * KvPool::kBlockPositions);
    const uint64_t bytes = static_cast<uint64_t>(end - pos) * row_bytes;
    for (int32_t layer : cpu_layers_) {
      if (to_host) {
        copier_.download(host.k(layer, pos), cache.k(layer, pos), bytes);
        copier_.download(host.v(layer, pos), cache.v(layer, pos), bytes);
      } else {
        copier_.upload(cache.k(layer, pos), host.k(layer, pos), bytes);
        copier_.upload(cache.v(layer, pos), host.v(layer, pos), bytes);
      }
    }
    pos = end;
  }
}

// Before a pass: the side that computes the CPU's layers this pass gets the rows before the
// batch's positions that the other side wrote since.
void DualPass::sync(const Batch& batch, bool split) {
  for (const auto& [cache, range] : written_ranges(batch)) {
    KvCache::Mirror& m = cache->mirror();
    int32_t& mine = split ? m.host : m.here;
    const int32_t theirs = split ? m.here : m.host;
    if (mine >= range.first) continue;
    if (theirs < range.first) {
      throw EngineError(NT_E_INTERNAL, "positions " + std::to_string(mine) + ".." + std::to_string(range.first - 1) +
                                           " of the CPU's layers are current on neither side");
    }
    copy_rows(*cache, mine, range.first, split);
    mine = range.first;
  }
}

void DualPass::written(const Batch& batch, bool split) {
  for (const auto& [cache, range] : written_ranges(batch)) {
    KvCache::Mirror& m = cache->mirror();
    (split ? m.host : m.here) = range.second;
    int32_t& other = split ? m.here : m.host;
    other = std::min(other, range.first);
  }
}

void DualPass::forward(const Batch& batch, WeightSource& weights, int32_t candidates, PassOutput& out, bool split) {
  cpu_batch_ = batch;
  for (BatchToken& t : cpu_batch_) {
    if (!t.cache || !t.cache->cpu_part()) {
      throw EngineError(NT_E_INTERNAL, "a dual-path pass needs every sequence's cache with its host part");
    }
    t.cache = t.cache->cpu_part();
  }
  if (!cpu_layers_.empty()) {
    const HostOpTimer timer(profile_, "kv sync", 0);
    sync(batch, split);
  }
  if (!split) {
    device_.forward(batch, weights, candidates, out);
  } else {
    x_.resize(batch.size() * static_cast<size_t>(n_embd_));
    for (const Segment& s : segments_) run_segment(s, batch, weights, candidates, out);
    if (profile_) {
      profile_->merge(cpu_ops_, "cpu ");
      cpu_ops_ = OpProfile{};
    }
  }
  written(batch, split);
}

void DualPass::set_profile(OpProfile* profile) {
  profile_ = profile;
  cpu_.set_profile(profile ? &cpu_ops_ : nullptr);
  cpu_ops_ = OpProfile{};
}

// One segment; profiled, its host time beside the time and weight bytes of the ops it ran.
void DualPass::run_segment(const Segment& s, const Batch& batch, WeightSource& weights, int32_t candidates,
                           PassOutput& out) {
  PassSegment range = s.range;
  range.x = x_.data();
  const OpProfile* ops = s.cpu ? &cpu_ops_ : profile_;
  const double ms_before = profile_ ? ops->ops_ms() : 0;
  const uint64_t bytes_before = profile_ ? ops->ops_bytes() : 0;
  const auto start = std::chrono::steady_clock::now();
  if (s.cpu) {
    cpu_.forward_segment(cpu_batch_, weights, range, candidates, out);
  } else {
    device_.forward_segment(batch, weights, range, candidates, out);
  }
  if (!profile_) return;
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  profile_->add_segment(SegmentTime{s.cpu, range.first, range.last, range.head, 1, ms, ops->ops_ms() - ms_before,
                                    ops->ops_bytes() - bytes_before});
}

}  // namespace nt

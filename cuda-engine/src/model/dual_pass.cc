#include "model/dual_pass.h"

#include "core/engine_error.h"

namespace nt {

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

DualPass::DualPass(const Hparams& h, const std::string& pattern, ComputeBackend& device, int threads,
                   int32_t kv_blocks, GgmlType kv_type)
    : n_embd_(h.n_embd), device_(device), cpu_(h, threads), cpu_pool_(cpu_.new_kv_pool(kv_blocks, kv_type)) {
  if (pattern.size() != static_cast<size_t>(h.n_layer)) {
    throw EngineError(NT_E_INTERNAL, "the dual path's pattern has " + std::to_string(pattern.size()) + " layers, not " +
                                         std::to_string(h.n_layer));
  }
  for (const auto& [cpu, range] : dual_segments(pattern)) segments_.push_back({cpu, range});
}

void DualPass::attach_cpu_part(KvCache& cache, int32_t n_ctx) {
  cache.attach_cpu_part(std::make_unique<KvCache>(cpu_pool_, n_ctx));
}

void DualPass::forward(const Batch& batch, WeightSource& weights, int32_t candidates, PassOutput& out) {
  x_.resize(batch.size() * static_cast<size_t>(n_embd_));
  cpu_batch_ = batch;
  for (BatchToken& t : cpu_batch_) {
    if (!t.cache || !t.cache->cpu_part()) {
      throw EngineError(NT_E_INTERNAL, "a dual-path pass needs every sequence's cache with its host part");
    }
    t.cache = t.cache->cpu_part();
  }
  for (const Segment& s : segments_) {
    PassSegment range = s.range;
    range.x = x_.data();
    if (s.cpu) {
      cpu_.forward_segment(cpu_batch_, weights, range, candidates, out);
    } else {
      device_.forward_segment(batch, weights, range, candidates, out);
    }
  }
}

}  // namespace nt

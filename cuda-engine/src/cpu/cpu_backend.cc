#include "cpu/cpu_backend.h"

#include <algorithm>
#include <new>

#include "backend/host_op_timer.h"
#include "backend/kv_type.h"
#include "core/engine_error.h"

namespace nt {

std::shared_ptr<KvPool> CpuBackend::new_kv_pool(int32_t n_blocks, GgmlType type) {
  return new_kv_pool(n_blocks, type, {});
}

std::shared_ptr<KvPool> CpuBackend::new_kv_pool(int32_t n_blocks, GgmlType type, const std::vector<int32_t>& layers) {
  check_kv_type(type, h_.head_dim);
  const int32_t n_layer = layers.empty() ? h_.n_layer : static_cast<int32_t>(layers.size());
  const uint64_t bytes = KvPool::side_bytes(type, n_layer, h_.n_embd_kv(), n_blocks);
  uint8_t* k = new (std::nothrow) uint8_t[bytes]();
  uint8_t* v = new (std::nothrow) uint8_t[bytes]();
  if (!k || !v) {
    delete[] k;
    delete[] v;
    throw EngineError(NT_E_OUT_OF_MEMORY, "cannot allocate a KV cache pool of " + std::to_string(2 * bytes) + " bytes");
  }
  return std::make_shared<KvPool>(
      type, n_layer, h_.n_embd_kv(), n_blocks, k, v,
      [k, v] {
        delete[] k;
        delete[] v;
      },
      layers);
}

void CpuBackend::forward(const Batch& batch, WeightSource& weights, int32_t candidates, PassOutput& out) {
  forward_segment(batch, weights, PassSegment{0, h_.n_layer, true, nullptr}, candidates, out);
}

void CpuBackend::forward_segment(const Batch& batch, WeightSource& weights, const PassSegment& segment,
                                 int32_t candidates, PassOutput& out) {
  llama_forward_segment(h_, weights, batch, segment, scratch_, pool_, out.logits, profile_);
  if (!segment.head) return;
  out.candidates = candidates;
  out.rows.clear();
  if (candidates <= 0) return;
  const auto rows = std::count_if(batch.begin(), batch.end(), [](const BatchToken& b) { return b.want_logits; });
  if (rows == 0) return;
  const HostOpTimer timer(profile_, "top_candidates", 0);
  const size_t n_vocab = out.logits.size() / static_cast<size_t>(rows);
  for (size_t i = 0; i < static_cast<size_t>(rows); ++i) {
    out.rows.push_back(top_candidates(out.logits.data() + i * n_vocab, static_cast<int32_t>(n_vocab), candidates));
  }
}

}  // namespace nt

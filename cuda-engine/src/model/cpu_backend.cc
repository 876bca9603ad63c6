#include "model/cpu_backend.h"

#include <new>

#include "engine_error.h"

namespace nt {

std::unique_ptr<KvCache> CpuBackend::new_cache(int32_t n_ctx) {
  const uint64_t floats = KvCache::floats(h_.n_layer, n_ctx, h_.n_embd_kv());
  float* k = new (std::nothrow) float[floats]();
  float* v = new (std::nothrow) float[floats]();
  if (!k || !v) {
    delete[] k;
    delete[] v;
    throw EngineError("NT_E_OUT_OF_MEMORY", "cannot allocate a KV cache of " +
                                                std::to_string(2 * floats * sizeof(float)) + " bytes");
  }
  return std::make_unique<KvCache>(h_.n_layer, n_ctx, h_.n_embd_kv(), k, v, [k, v] {
    delete[] k;
    delete[] v;
  });
}

void CpuBackend::forward(const Batch& batch, WeightSource& weights, std::vector<float>& logits) {
  llama_forward(h_, weights, batch, scratch_, pool_, logits);
}

}  // namespace nt

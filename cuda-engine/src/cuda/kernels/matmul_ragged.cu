// Products over rows that are not a whole number of 8-element parts, which the fast kernels load
// with 16-byte vector loads. Only the float formats can have such rows (every quantized block is
// 32 or 256 elements), and only small models do (stories260K's n_ff is 172): one warp per
// (row, token), element by element, at whatever speed that gives.
#include "cuda/kernels/matmul_ragged.h"

#include <string>

#include "core/engine_error.h"
#include "cuda/cuda_check.h"
#include "cuda/kernels/warp_sum.cuh"
#include "cuda/quant/block_bytes.cuh"

namespace nt::cuda {

namespace {

constexpr int kWarps = 4;

template <GgmlType kType>
__device__ __forceinline__ float element(const uint8_t* row, int64_t i) {
  if constexpr (kType == GgmlType::F32) return reinterpret_cast<const float*>(row)[i];
  if constexpr (kType == GgmlType::F16) return quant::f16_bits_to_float(reinterpret_cast<const uint16_t*>(row)[i]);
  if constexpr (kType == GgmlType::BF16) return quant::bf16_bits_to_float(reinterpret_cast<const uint16_t*>(row)[i]);
  return 0.0f;
}

template <GgmlType kType>
__global__ void __launch_bounds__(32 * kWarps)
    ragged_matvec_kernel(const uint8_t* __restrict__ w, size_t row_bytes, int64_t rows, int64_t n,
                         const float* __restrict__ x, float* __restrict__ out, bool accumulate) {
  const int64_t row = int64_t{blockIdx.x} * kWarps + threadIdx.x / 32;
  const int64_t t = blockIdx.y;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;
  const uint8_t* wr = w + row * row_bytes;
  const float* xt = x + t * n;
  float s = 0.0f;
  for (int64_t i = lane; i < n; i += 32) s = fmaf(element<kType>(wr, i), xt[i], s);
  s = warp_sum(s);
  if (lane == 0) {
    float* dst = out + t * rows + row;
    *dst = accumulate ? *dst + s : s;
  }
}

template <GgmlType kType>
void launch(const MatmulArgs& a, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((a.rows + kWarps - 1) / kWarps), static_cast<unsigned>(a.n_tokens));
  ragged_matvec_kernel<kType><<<grid, 32 * kWarps, 0, stream>>>(a.w, a.row_bytes, a.rows, a.n, a.x, a.out,
                                                               a.accumulate);
  CUDA_CHECK_LAUNCH("ragged_matvec_kernel");
}

}  // namespace

bool is_ragged(GgmlType type, int64_t n) {
  return n % 8 != 0 && (type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16);
}

void launch_ragged(GgmlType type, const MatmulArgs& a, cudaStream_t stream) {
  if (a.n_tokens > 65535) throw EngineError(NT_E_INTERNAL, "a ragged product of more than 65535 tokens");
  switch (type) {
    case GgmlType::F32: return launch<GgmlType::F32>(a, stream);
    case GgmlType::F16: return launch<GgmlType::F16>(a, stream);
    case GgmlType::BF16: return launch<GgmlType::BF16>(a, stream);
    default:
      throw EngineError(NT_E_INTERNAL, "no ragged product for " + ggml_type_name(static_cast<uint32_t>(type)));
  }
}

}  // namespace nt::cuda

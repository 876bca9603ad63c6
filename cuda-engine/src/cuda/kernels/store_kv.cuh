// One token's new key and value rows into its own sequence's cache, at its position, through its
// block table, by a block of kThreads threads: the body of store_kv.cu's kernel, shared with the
// fused rope + store_kv kernel (rope_store_kv.cu). An F16 cache rounds them to nearest even and a
// Q8_0 cache quantizes them per 32 values, as the CPU's does (kv_dim a multiple of 32 for Q8_0).
#pragma once

#include <cuda_fp16.h>

#include <cstdint>

#include "cuda/kernels/token_cache.h"

namespace nt::cuda {

// One Q8_0 block per warp, one value per lane, rounded as the CPU's x86 quantizer rounds
// (cpu/quant/avx2.h): scale by 127 / max|x|, round half to even; d = max|x| / 127 in F16.
template <int kThreads>
__device__ __forceinline__ void store_q8_0_row(const float* src, uint8_t* dst, int64_t n) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int64_t block = warp; block * 32 < n; block += kThreads / 32) {
    const float x = src[block * 32 + lane];
    float amax = fabsf(x);
    for (int offset = 16; offset > 0; offset /= 2) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, offset));
    const float scale = amax != 0.0f ? 127.0f / amax : 0.0f;
    uint8_t* out = dst + block * 34;
    out[2 + lane] = static_cast<uint8_t>(static_cast<int8_t>(__float2int_rn(x * scale)));
    if (lane == 0) *reinterpret_cast<__half*>(out) = __float2half_rn(amax / 127.0f);
  }
}

// Token `token`'s rows of k and v (kv_dim floats each, at token * kv_dim) into the cache.
template <int kThreads>
__device__ __forceinline__ void store_token_kv(const float* k, const float* v, const TokenCache* tokens,
                                               const KvLayout& kv, int32_t layer, int64_t kv_dim, int64_t token) {
  const TokenCache tc = tokens[token];
  const int64_t offset = kv_row_offset(kv, kv.tables + int64_t{tc.table} * kv.table_width, layer, tc.pos);
  const float* k_src = k + token * kv_dim;
  const float* v_src = v + token * kv_dim;
  if (kv.element == KvElement::Q8_0) {
    store_q8_0_row<kThreads>(k_src, kv.k + offset, kv_dim);
    store_q8_0_row<kThreads>(v_src, kv.v + offset, kv_dim);
    return;
  }
  if (kv.element == KvElement::F16) {
    __half* k_dst = reinterpret_cast<__half*>(kv.k + offset);
    __half* v_dst = reinterpret_cast<__half*>(kv.v + offset);
    for (int64_t i = threadIdx.x; i < kv_dim; i += kThreads) {
      k_dst[i] = __float2half_rn(k_src[i]);
      v_dst[i] = __float2half_rn(v_src[i]);
    }
    return;
  }
  float* k_dst = reinterpret_cast<float*>(kv.k + offset);
  float* v_dst = reinterpret_cast<float*>(kv.v + offset);
  for (int64_t i = threadIdx.x; i < kv_dim; i += kThreads) {
    k_dst[i] = k_src[i];
    v_dst[i] = v_src[i];
  }
}

}  // namespace nt::cuda

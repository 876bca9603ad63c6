// The 8-bit activations of the integer tensor-core GEMM and the float arithmetic that turns its
// integer sums into a product, shared by the kernels (cuda/kernels/mma_gemm.cuh) and their CPU
// reference so that the two agree bit for bit.
//
// Activations are quantized per 32 values the way ggml's quantize_row_q8_1_ref does (llama.cpp's
// MMQ does the same on the GPU): d = max|x| / 127, q = roundf(x / d) computed as roundf(x * (1 / d))
// (halves away from zero), so q equals what the CPU backend's reference Q8_0 / Q8_1 quantizers give.
// d stays a float (not f16), and the sums of q per 16 values are kept for the weights' offsets.
#pragma once

#include <cmath>
#include <cstdint>

#include "cuda/quant/mma_host_device.h"

namespace nt::cuda::mma {

// Float operations that no compiler may fuse or reorder: the kernels and the CPU reference
// must round identically (the CPU files that use them build with -ffp-contract=off).
NT_HD float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
NT_HD float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
NT_HD float fma_rn(float a, float b, float c) {
#if defined(__CUDA_ARCH__)
  return __fmaf_rn(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}

// Quantizes 32 floats: q[j], the scale d, and sums[h] = q[16h] + ... + q[16h + 15].
NT_HD void quantize_block32(const float* x, int8_t q[32], float& d, int32_t sums[2]) {
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j) amax = fmaxf(amax, fabsf(x[j]));
  d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  sums[0] = sums[1] = 0;
  for (int j = 0; j < 32; ++j) {
    q[j] = static_cast<int8_t>(roundf(mul_rn(x[j], id)));
    sums[j / 16] += q[j];
  }
}

// The factors of one 32-value step that depend only on the weight row (RowFactors: the scales ws
// of its kGroups groups, then with kBias their offsets wb) or only on the token (TokenFactors: dx,
// then with kBias the activations' sums as floats), packed so that the GEMM
// (cuda/kernels/mma_gemm.cuh) loads each with one shared-memory load per row or token (three for
// the three floats of Q2_K's tokens: padding them to four would not fit its tiles in 48 KiB).
template <int kCount>
struct alignas((kCount & (kCount - 1)) == 0 ? 4 * kCount : 4) FloatPack {
  float v[kCount];
};
template <int kGroup>
constexpr int kStepGroups = kGroup == 32 ? 1 : 2;
template <int kGroup, bool kBias>
using RowFactors = FloatPack<kStepGroups<kGroup> * (kBias ? 2 : 1)>;
template <int kGroup, bool kBias>
using TokenFactors = FloatPack<!kBias ? 1 : kGroup == 32 ? 2 : 3>;

template <int kGroup, bool kBias>
NT_HD RowFactors<kGroup, kBias> row_factors(const float ws[2], const float wb[2]) {
  constexpr int g = kStepGroups<kGroup>;
  RowFactors<kGroup, kBias> f;
  for (int h = 0; h < g; ++h) {
    f.v[h] = ws[h];
    if constexpr (kBias) f.v[g + h] = wb[h];
  }
  return f;
}

// kGroup 32: the sum over all 32 values, sx[0] + sx[1] (exact: at most 32 x 127); kGroup 16: each half's.
template <int kGroup, bool kBias>
NT_HD TokenFactors<kGroup, kBias> token_factors(float dx, const int32_t sx[2]) {
  TokenFactors<kGroup, kBias> f;
  f.v[0] = dx;
  if constexpr (kBias && kGroup == 32) {
    f.v[1] = static_cast<float>(sx[0] + sx[1]);
  } else if constexpr (kBias) {
    f.v[1] = static_cast<float>(sx[0]);
    f.v[2] = static_cast<float>(sx[1]);
  }
  return f;
}

// One 32-element step of a product: acc + dx * (sum over the step's groups of ws * sumi + wb * sx),
// where sumi (sumf, as floats) is the integer dot of the weights' q with the activations' q over
// the group and sx the activations' sum over it. kGroup 32: sumf[0] covers all 32 (sumf[1] unused).
// kGroup 16: one term per half, added in order. kBias: the weights have offsets (wb).
template <int kGroup, bool kBias>
NT_HD float combine_factors(float acc, const TokenFactors<kGroup, kBias>& x, const float sumf[2],
                            const RowFactors<kGroup, kBias>& w) {
  float p;
  if constexpr (kGroup == 32) {
    p = mul_rn(w.v[0], sumf[0]);
    if constexpr (kBias) p = add_rn(p, mul_rn(w.v[1], x.v[1]));
  } else {
    float p0 = mul_rn(w.v[0], sumf[0]);
    float p1 = mul_rn(w.v[1], sumf[1]);
    if constexpr (kBias) {
      p0 = add_rn(p0, mul_rn(w.v[2], x.v[1]));
      p1 = add_rn(p1, mul_rn(w.v[3], x.v[2]));
    }
    p = add_rn(p0, p1);
  }
  return fma_rn(x.v[0], p, acc);
}

// The same step from the unpacked values: ws[h], wb[h], sumi[h], sx[h] per group of 16 (kGroup 32:
// ws[0], wb[0], sumi[0] for all 32, sx[0] + sx[1] the activations' sum).
template <int kGroup, bool kBias>
NT_HD float combine_step(float acc, float dx, const int32_t sumi[2], const float ws[2], const float wb[2],
                         const int32_t sx[2]) {
  const float sumf[2] = {static_cast<float>(sumi[0]), kGroup == 32 ? 0.0f : static_cast<float>(sumi[1])};
  return combine_factors<kGroup, kBias>(acc, token_factors<kGroup, kBias>(dx, sx), sumf,
                                        row_factors<kGroup, kBias>(ws, wb));
}

// An integer MMA accumulator started at kSumBias ends at kSumBias + s, whose bits read as a float
// are exactly 1.5 * 2^23 + s for |s| < 2^22 (floats there are the integers), so one float
// subtraction gives float(s) exactly: the same value as the int-to-float conversion, which runs at
// a quarter of the float rate and was the GEMM's bottleneck. A step's s is at most 32 x 128 x 127.
constexpr int32_t kSumBias = 0x4B400000;
static_assert(32 * 128 * 127 < (1 << 22), "a step's integer sum stays where biased_sum_to_float is exact");
NT_HD float biased_sum_to_float(int32_t c) {
  return add_rn(float_from_bits(static_cast<uint32_t>(c)), -12582912.0f);
}

// The GEMM's fused epilogue: w * s for the biased sum c = kSumBias + s in one fma instead of a
// subtraction and a multiplication. With nb = biased_sum_offset(w) = -(w * 1.5 * 2^23),
// fma(w, bits(c), nb) = round(w * bits(c) - w * 1.5 * 2^23) = round(w * s) = mul_rn(w, float(s))
// provided w * 1.5 * 2^23 is exact, i.e. w has at most 22 significant bits: every format's
// scale is an f16 (11 bits) times an integer of at most 8 bits (mma_unpack.h), so it holds for
// every finite weight (mma_q8_test.cc checks each format's scales). The one difference: where
// s = 0 and w < 0 the fma gives +0 and the product -0, which changes a step's result only where
// the accumulator is exactly -0 (it starts +0 and reaches -0 only through an underflow below the
// smallest subnormal), so the GEMM's results stay bit for bit those of combine_factors.
NT_HD float biased_sum_offset(float w) { return mul_rn(w, -12582912.0f); }
NT_HD float biased_product(float w, float nb, int32_t c) {
  return fma_rn(w, float_from_bits(static_cast<uint32_t>(c)), nb);
}

// biased_sum_offset of each group's scale of a row (RowFactors' first kStepGroups values).
template <int kGroup, bool kBias>
struct RowOffsets {
  float v[kStepGroups<kGroup>];
};
template <int kGroup, bool kBias>
NT_HD RowOffsets<kGroup, kBias> row_offsets(const RowFactors<kGroup, kBias>& w) {
  RowOffsets<kGroup, kBias> o;
  for (int h = 0; h < kStepGroups<kGroup>; ++h) o.v[h] = biased_sum_offset(w.v[h]);
  return o;
}

// combine_factors with sumf[h] = biased_sum_to_float(c[h]), its products w * sumf taken by
// biased_product (see there: the same result).
template <int kGroup, bool kBias>
NT_HD float combine_biased(float acc, const TokenFactors<kGroup, kBias>& x, const int32_t c[2],
                           const RowFactors<kGroup, kBias>& w, const RowOffsets<kGroup, kBias>& nb) {
  float p;
  if constexpr (kGroup == 32) {
    p = biased_product(w.v[0], nb.v[0], c[0]);
    if constexpr (kBias) p = add_rn(p, mul_rn(w.v[1], x.v[1]));
  } else {
    float p0 = biased_product(w.v[0], nb.v[0], c[0]);
    float p1 = biased_product(w.v[1], nb.v[1], c[1]);
    if constexpr (kBias) {
      p0 = add_rn(p0, mul_rn(w.v[2], x.v[1]));
      p1 = add_rn(p1, mul_rn(w.v[3], x.v[2]));
    }
    p = add_rn(p0, p1);
  }
  return fma_rn(x.v[0], p, acc);
}

}  // namespace nt::cuda::mma

// AVX2 building blocks shared by the kernels (and the few AVX-512 ones of the avx512 level).
// Where a helper fixes an order of float additions it is ggml's (ggml-cpu/arch/x86/quants.c,
// simd-mappings.h), so that the AVX2 kernels round exactly as llama.cpp's AVX2 build does.
// Integer helpers are exact, so only which elements land in which lane matters: everywhere, lane
// k of a 32-element group holds elements 4k..4k+3.
#pragma once

#include "cpu/quant/quants.h"
#include "cpu/simd.h"

#if NT_X86
#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace nt::cpu::quant {

// f16 -> f32 in one instruction (vcvtph2ps); exact, so equal to fp16_to_fp32.
NT_TARGET_AVX2 inline float f16_to_f32(uint16_t h) { return _cvtsh_ss(h); }

// ((x0 + x4) + (x2 + x6)) + ((x1 + x5) + (x3 + x7)), ggml's hsum_float_8.
NT_TARGET_AVX2 inline float hsum_lanes(__m256 x) {
  __m128 r = _mm_add_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
  r = _mm_add_ps(r, _mm_movehl_ps(r, r));
  r = _mm_add_ss(r, _mm_movehdup_ps(r));
  return _mm_cvtss_f32(r);
}

// ggml's GGML_F32x8_REDUCE for its four F32/F16 accumulators: (a0 + a2) + (a1 + a3), then the
// two 128-bit halves, then two horizontal adds.
NT_TARGET_AVX2 inline float reduce_four_accumulators(const __m256 acc[4]) {
  const __m256 sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[2]), _mm256_add_ps(acc[1], acc[3]));
  const __m128 t0 = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
  const __m128 t1 = _mm_hadd_ps(t0, t0);
  return _mm_cvtss_f32(_mm_hadd_ps(t1, t1));
}

// Eight int32 lanes, lane k = sum of x[j] * y[j] for j in 4k..4k+3, for unsigned bytes x
// (at most 127 here, so the int16 pair sums of maddubs never saturate) and signed bytes y.
NT_TARGET_AVX2 inline __m256i dot_u8_i8_lanes(__m256i x, __m256i y) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(x, y), _mm256_set1_epi16(1));
}

// The same for signed x: maddubs wants its first operand unsigned, so move x's sign onto y.
// Like ggml this is exact except for x = y = -128, which ggml's quantizers never produce.
NT_TARGET_AVX2 inline __m256i dot_i8_lanes(__m256i x, __m256i y) {
  return dot_u8_i8_lanes(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
}

// 16 bytes of nibble pairs -> 32 bytes: the low nibbles (elements 0-15), then the high ones.
NT_TARGET_AVX2 inline __m256i unpack_nibbles(const uint8_t* p) {
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(packed, 4), packed);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

// 32 bits -> 32 bytes, byte i = 0xFF where bit i is set, else 0.
NT_TARGET_AVX2 inline __m256i expand_bits(const uint8_t* p) {
  uint32_t bits;
  std::memcpy(&bits, p, sizeof bits);
  const __m256i byte_of_bit = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                               2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)), byte_of_bit);
  const __m256i bit = _mm256_set1_epi64x(0x8040201008040201);
  return _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit);
}

// 16 int16 lanes: the first 8 = a, the last 8 = b (scales of two 16-element halves).
NT_TARGET_AVX2 inline __m256i two_scales(int a, int b) {
  return _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(b)),
                          _mm_set1_epi16(static_cast<int16_t>(a)));
}

// Rounds 32 floats to int8 as ggml's x86 quantize_row_q8_0 / q8_1 do (and unlike their generic
// C reference): multiply by 127 / max|x| and round half to even. Returns max|x|.
NT_TARGET_AVX2 inline float round_block32_x86(const float* x, int8_t* q) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 v[4];
  __m256 max_abs = _mm256_setzero_ps();
  for (int i = 0; i < 4; ++i) {
    v[i] = _mm256_loadu_ps(x + 8 * i);
    max_abs = _mm256_max_ps(max_abs, _mm256_andnot_ps(sign, v[i]));
  }
  __m128 m = _mm_max_ps(_mm256_extractf128_ps(max_abs, 1), _mm256_castps256_ps128(max_abs));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  const float amax = _mm_cvtss_f32(m);
  const __m256 scale = _mm256_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
  __m256i n[4];
  for (int i = 0; i < 4; ++i) {
    const __m256 scaled = _mm256_mul_ps(v[i], scale);
    n[i] = _mm256_cvtps_epi32(_mm256_round_ps(scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  // The packs work per 128-bit half, leaving 4-element groups in the order 0 2 4 6 1 3 5 7.
  const __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(n[0], n[1]), _mm256_packs_epi32(n[2], n[3]));
  const __m256i ordered = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), ordered);
  return amax;
}

// A Q4_K / Q5_K block's 6-bit scales and mins (unpack_k4_scales's) as int16: 8 scales in
// `scales`, 8 mins in `mins`. Whole 32-bit words instead of 16 byte loops: byte j of a word only
// ever takes bits of byte j (the shift by 6 brings byte j + 1's bits in, and the mask drops them).
struct K4Scales {
  __m128i scales;
  __m128i mins;
};
NT_TARGET_AVX2 inline K4Scales unpack_k4_scales_x86(const uint8_t packed[12]) {
  uint32_t a, b, c;
  std::memcpy(&a, packed, 4);
  std::memcpy(&b, packed + 4, 4);
  std::memcpy(&c, packed + 8, 4);
  const uint32_t six = 0x3F3F3F3F, four = 0x0F0F0F0F, two = 0x03030303;
  const uint32_t scales_low = a & six, mins_low = b & six;
  const uint32_t scales_high = (c & four) | (((a >> 6) & two) << 4);
  const uint32_t mins_high = ((c >> 4) & four) | (((b >> 6) & two) << 4);
  const __m128i bytes = _mm_setr_epi32(static_cast<int>(scales_low), static_cast<int>(scales_high),
                                       static_cast<int>(mins_low), static_cast<int>(mins_high));
  return {_mm_cvtepu8_epi16(bytes), _mm_cvtepu8_epi16(_mm_srli_si128(bytes, 8))};
}

// The header Q4_K and Q5_K blocks share, as their tile kernels read it per row and block: d and
// dmin as floats, and the eight 6-bit scales and mins unpacked.
struct K4Header {
  float d;
  float dmin;
  K4Scales scales;
};
template <typename Block>
NT_TARGET_AVX2 inline K4Header k4_header(const Block& x) {
  return {f16_to_f32(x.d), f16_to_f32(x.dmin), unpack_k4_scales_x86(x.scales)};
}

// 16 int16 lanes: the first 8 = lane lo of the low 128 bits of `eight_twice`, the last 8 = lane hi
// of its high 128 bits (two_scales's layout from 8 scales held in both halves): a byte shuffle,
// off the ports that multiply, where a broadcast from a byte in memory took three.
NT_TARGET_AVX2 inline __m256i pair_lanes16(__m256i eight_twice, int lo, int hi) {
  const __m256i select = _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(0x0100 + 0x0202 * hi)),
                                          _mm_set1_epi16(static_cast<int16_t>(0x0100 + 0x0202 * lo)));
  return _mm256_shuffle_epi8(eight_twice, select);
}

// 16 int16 lanes all equal to lane i (0..7) of both 128-bit halves of `eight_twice`.
NT_TARGET_AVX2 inline __m256i broadcast_lane16(__m256i eight_twice, int i) { return pair_lanes16(eight_twice, i, i); }

// The 8 int16 lanes of 128-bit half h (0 or 1) of v in both halves.
NT_TARGET_AVX2 inline __m256i half_twice(__m256i v, int h) {
  return h == 0 ? _mm256_permute2x128_si256(v, v, 0x00) : _mm256_permute2x128_si256(v, v, 0x11);
}

// One 512-bit vector of two 256-bit halves (lo in the low bits). Masked broadcasts rather than a
// cast and an insert, whose undefined upper half GCC 12 warns of at every use (GCC bug 105593).
NT_TARGET_AVX512 inline __m512i join_halves(__m256i lo, __m256i hi) {
  return _mm512_mask_broadcast_i64x4(_mm512_maskz_broadcast_i64x4(0x0F, lo), 0xF0, hi);
}

// The two 256-bit halves of v added lane by lane (zero-masked extracts, for the same reason).
NT_TARGET_AVX512 inline __m256i add_halves(__m512i v) {
  return _mm256_add_epi32(_mm512_maskz_extracti64x4_epi64(0x0F, v, 0), _mm512_maskz_extracti64x4_epi64(0x0F, v, 1));
}

// R weight rows by T tokens in one call. Each format writes one tile kernel, Kernel::run<R, T>,
// and both batch entry points are instances of it: the multi-token kernels (quants.h, DotTokens)
// are R = 1, the multi-row ones (DotRows) R x T up to 4 x 4. So every (row, token) goes through
// the same integer lanes and float operations whatever the tile, and each shape gets its own
// unrolled code with its R x T accumulators in registers.
struct DotTile {
  int64_t n;
  const uint8_t* w;
  size_t w_stride;
  const uint8_t* act;
  size_t act_stride;
  float* out;  // row r, token t at out[r * out_row_stride + t * out_token_stride]
  int64_t out_row_stride;
  int64_t out_token_stride;
};

// What every K-quant tile kernel starts and ends with: row r's blocks and token t's Q8_K blocks,
// accumulators zeroed, and each (row, token)'s float lanes summed into out.
template <typename Block, int R, int T>
inline void tile_blocks(const DotTile& a, const Block* (&x)[R], const BlockQ8_K* (&y)[T]) {
  for (int r = 0; r < R; ++r) x[r] = reinterpret_cast<const Block*>(a.w + r * a.w_stride);
  for (int t = 0; t < T; ++t) y[t] = reinterpret_cast<const BlockQ8_K*>(a.act + t * a.act_stride);
}

template <typename V, int R, int T>
NT_TARGET_AVX2 inline void zero_tile(V (&v)[R][T]) {
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) v[r][t] = V{};
  }
}

// A block's integer sums into the float accumulators as the Q2_K and Q3_K AVX2 kernels add them:
// acc += (y.d * f16(x.d)) * sums, for every (row, token).
template <typename Block, int R, int T>
NT_TARGET_AVX2 inline void add_block_sums(const Block* const (&x)[R], const BlockQ8_K* const (&y)[T], int64_t b,
                                          const __m256i (&sumi)[R][T], __m256 (&acc)[R][T]) {
  for (int t = 0; t < T; ++t) {
    for (int r = 0; r < R; ++r) {
      const float d = y[t][b].d * f16_to_f32(x[r][b].d);
      acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi[r][t]), acc[r][t]);
    }
  }
}

template <int R, int T>
NT_TARGET_AVX2 inline void store_tile(const DotTile& a, const __m256 (&acc)[R][T]) {
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) a.out[r * a.out_row_stride + t * a.out_token_stride] = hsum_lanes(acc[r][t]);
  }
}

template <typename Kernel>
NT_TARGET_AVX2 inline void run_tokens(const DotTokens& a) {
  const DotTile tile{a.n, a.w, 0, a.act, a.act_stride, a.out, 0, a.out_stride};
  switch (a.n_tokens) {
    case 1: Kernel::template run<1, 1>(tile); break;
    case 2: Kernel::template run<1, 2>(tile); break;
    case 3: Kernel::template run<1, 3>(tile); break;
    case 4: Kernel::template run<1, 4>(tile); break;
    case 5: Kernel::template run<1, 5>(tile); break;
    case 6: Kernel::template run<1, 6>(tile); break;
    case 7: Kernel::template run<1, 7>(tile); break;
    case 8: Kernel::template run<1, 8>(tile); break;
    default: break;
  }
}

// Every R (1..4) x T (1..4): sixteen instances per format and level.
template <typename Kernel, int R>
NT_TARGET_AVX2 inline void run_rows_of(const DotTile& tile, int n_tokens) {
  switch (n_tokens) {
    case 1: Kernel::template run<R, 1>(tile); break;
    case 2: Kernel::template run<R, 2>(tile); break;
    case 3: Kernel::template run<R, 3>(tile); break;
    case 4: Kernel::template run<R, 4>(tile); break;
    default: break;
  }
}

template <typename Kernel>
NT_TARGET_AVX2 inline void run_rows(const DotRows& a) {
  const DotTile tile{a.n, a.w, a.w_stride, a.act, a.act_stride, a.out, a.out_stride, a.out_token_stride};
  switch (a.n_rows) {
    case 1: run_rows_of<Kernel, 1>(tile, a.n_tokens); break;
    case 2: run_rows_of<Kernel, 2>(tile, a.n_tokens); break;
    case 3: run_rows_of<Kernel, 3>(tile, a.n_tokens); break;
    case 4: run_rows_of<Kernel, 4>(tile, a.n_tokens); break;
    default: break;
  }
}

// A Q8_K block's 16 group sums (16 elements each) as the 8 sums of its 32-element sub-blocks,
// ggml's hadd (|sum| <= 32 * 127: no int16 overflow).
NT_TARGET_AVX2 inline __m128i sub_block_sums(const int16_t bsums[16]) {
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bsums));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bsums + 8));
  return _mm_hadd_epi16(lo, hi);
}

// (x0 + x2) + (x1 + x3), ggml's reduction of Q4_K's min accumulator.
NT_TARGET_AVX2 inline float hsum_lanes4(__m128 x) {
  const __m128 r = _mm_add_ps(x, _mm_movehl_ps(x, x));
  return _mm_cvtss_f32(_mm_add_ss(r, _mm_movehdup_ps(r)));
}

// The four int32 lanes' sum (exact).
NT_TARGET_AVX2 inline int hsum_int4(__m128i x) {
  x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0x4E));
  x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0xB1));
  return _mm_cvtsi128_si32(x);
}

// A Q4_K / Q5_K block's 8 int16 scales (K4Scales::scales) in the low lanes of a 512-bit vector,
// for k4_pair_scale512.
NT_TARGET_AVX512 inline __m512i k4_scales512(__m128i scales) {
  return join_halves(_mm256_set_m128i(_mm_setzero_si128(), scales), _mm256_setzero_si256());
}

// The scales of sub-block pair j (elements 64j..64j+63, as the 512-bit kernels hold them):
// sub-block 2j's in the low 256 bits, 2j + 1's in the high.
NT_TARGET_AVX512 inline __m512i k4_pair_scale512(__m512i scales, int j) {
  const __m512i pair = join_halves(_mm256_set1_epi16(static_cast<int16_t>(2 * j)),
                                   _mm256_set1_epi16(static_cast<int16_t>(2 * j + 1)));
  return _mm512_permutexvar_epi16(pair, scales);
}

}  // namespace nt::cpu::quant

#endif  // NT_X86

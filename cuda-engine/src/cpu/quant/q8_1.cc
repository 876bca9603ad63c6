// Q8_1 (quant/blocks.h): only an activation format, the one Q4_1 and Q5_1 weights dot against,
// whose per-block offset m then contributes m * s. Its quantizers.
#include <cmath>

#include "cpu/quant/avx2.h"
#include "cpu/quant/quants.h"
#include "quant/half.h"

namespace nt::cpu::quant {

// ggml's quantize_row_q8_1_ref: as Q8_0 (roundf), with s rounded from the f32 d, not the f16 one.
void quantize_row_q8_1(const float* x, uint8_t* dst, int64_t n) {
  BlockQ8_1* out = reinterpret_cast<BlockQ8_1*>(dst);
  for (int64_t b = 0; b < n / kBlock32; ++b, x += kBlock32) {
    float amax = 0.0f;
    for (int j = 0; j < kBlock32; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    int sum = 0;
    for (int j = 0; j < kBlock32; ++j) {
      out[b].qs[j] = static_cast<int8_t>(std::roundf(x[j] * id));
      sum += out[b].qs[j];
    }
    out[b].d = fp32_to_fp16(d);
    out[b].s = fp32_to_fp16(sum * d);
  }
}

#if NT_X86
// ggml's x86 quantize_row_q8_1: round-half-even of x * 127 / max|x|, as for Q8_0.
NT_TARGET_AVX2 void quantize_row_q8_1_avx2(const float* x, uint8_t* dst, int64_t n) {
  BlockQ8_1* out = reinterpret_cast<BlockQ8_1*>(dst);
  for (int64_t b = 0; b < n / kBlock32; ++b, x += kBlock32) {
    const float amax = round_block32_x86(x, out[b].qs);
    const float d = amax / 127.0f;
    int sum = 0;
    for (int j = 0; j < kBlock32; ++j) sum += out[b].qs[j];
    out[b].d = fp32_to_fp16(d);
    out[b].s = fp32_to_fp16(d * sum);
  }
}
#endif

}  // namespace nt::cpu::quant

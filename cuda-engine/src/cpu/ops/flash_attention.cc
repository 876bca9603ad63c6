#include "cpu/ops/flash_attention.h"

#include <cmath>
#include <cstring>

#include "cpu/ops/vec_steps.h"
#include "cpu/quant/type_table.h"
#include "gguf/ggml_type.h"
#include "cpu/simd.h"

namespace nt::ops {

void flash_attention_head(uint32_t type, const float* q, const PagedRows& k, const PagedRows& v, int32_t n_past,
                          int32_t head_dim, uint8_t* q_scratch, float* scratch, float* out) {
  const cpu::quant::TypeKernels* kernels = cpu::quant::type_kernels(type, cpu::simd_level());
  const VecSteps step = vec_steps(cpu::simd_level());
  const bool f16 = type == static_cast<uint32_t>(GgmlType::F16);
  kernels->quantize_activation(q, q_scratch, head_dim);
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  float* acc = scratch;
  float* value = scratch + head_dim;  // a dequantized Q8_0 row, or the F16 accumulator
  uint16_t* acc16 = reinterpret_cast<uint16_t*>(value);
  if (f16) {
    std::memset(acc16, 0, sizeof(uint16_t) * static_cast<size_t>(head_dim));
  } else {
    std::memset(acc, 0, sizeof(float) * static_cast<size_t>(head_dim));
  }
  float max_score = -INFINITY, sum = 0.0f;
  for (int32_t j = 0; j < n_past; ++j) {
    const float s = kernels->vec_dot(head_dim, k.row(j), q_scratch) * scale;
    float ms = 1.0f, vs = 1.0f;  // the old terms' rescale, the new term's weight
    if (s > max_score) {
      ms = std::exp(max_score - s);  // 0 for the first position
      max_score = s;
      if (f16) {
        step.scale_f16(acc16, head_dim, ms);
      } else {
        step.scale_f32(acc, head_dim, ms);
      }
    } else {
      vs = std::exp(s - max_score);
    }
    if (f16) {
      step.mad_f16(acc16, reinterpret_cast<const uint16_t*>(v.row(j)), head_dim, vs);
    } else {
      kernels->dequantize(v.row(j), value, head_dim);
      step.mad_f32(acc, value, head_dim, vs);
    }
    sum = sum * ms + vs;
  }
  if (f16) {
    for (int32_t d = 0; d < head_dim; ++d) acc[d] = cpu::quant::fp16_to_fp32(acc16[d]);
  }
  const float inv = sum == 0.0f ? 0.0f : 1.0f / sum;
  for (int32_t d = 0; d < head_dim; ++d) out[d] = acc[d] * inv;
}

}  // namespace nt::ops

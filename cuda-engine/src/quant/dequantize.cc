#include "quant/dequantize.h"

#include <cstring>
#include <string>

#include "core/engine_error.h"
#include "gguf/ggml_type.h"
#include "quant/blocks.h"
#include "quant/half.h"

namespace nt::quant {

namespace {

template <typename Block>
const Block* blocks(const uint8_t* p) {
  return reinterpret_cast<const Block*>(p);
}

const uint16_t* halves(const uint8_t* p) { return reinterpret_cast<const uint16_t*>(p); }

// Q4_K and Q5_K differ only in how an element's q is stored: weight = d * scale * q - dmin * min,
// per sub-block.
template <typename Block, int (*QuantAt)(const Block&, int)>
void dequantize_row_k4(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlockK; ++b, dst += kBlockK) {
    const Block& block = blocks<Block>(src)[b];
    const float d = fp16_to_fp32(block.d);
    const float dmin = fp16_to_fp32(block.dmin);
    uint8_t scales[8], mins[8];
    unpack_k4_scales(block.scales, scales, mins);
    for (int s = 0; s < 8; ++s) {
      const float scale = d * scales[s];
      const float min = dmin * mins[s];
      for (int e = 32 * s; e < 32 * s + 32; ++e) dst[e] = scale * QuantAt(block, e) - min;
    }
  }
}

DequantizeFn dequantizer(uint32_t type) {
  switch (static_cast<GgmlType>(type)) {
    case GgmlType::F32: return dequantize_row_f32;
    case GgmlType::F16: return dequantize_row_f16;
    case GgmlType::BF16: return dequantize_row_bf16;
    case GgmlType::Q4_0: return dequantize_row_q4_0;
    case GgmlType::Q4_1: return dequantize_row_q4_1;
    case GgmlType::Q5_0: return dequantize_row_q5_0;
    case GgmlType::Q5_1: return dequantize_row_q5_1;
    case GgmlType::Q8_0: return dequantize_row_q8_0;
    case GgmlType::Q2_K: return dequantize_row_q2_k;
    case GgmlType::Q3_K: return dequantize_row_q3_k;
    case GgmlType::Q4_K: return dequantize_row_q4_k;
    case GgmlType::Q5_K: return dequantize_row_q5_k;
    case GgmlType::Q6_K: return dequantize_row_q6_k;
    default: return nullptr;
  }
}

}  // namespace

void dequantize_row(uint32_t type, const uint8_t* src, float* dst, int64_t n) {
  const DequantizeFn dequantize = dequantizer(type);
  if (!dequantize) {
    throw EngineError(NT_E_UNSUPPORTED, "the engine cannot compute with tensor type " + ggml_type_name(type));
  }
  // ggml requires whole blocks per row; so do the kernels.
  const int64_t block_elements = ggml_block_layout(type)->block_elements;
  if (n <= 0 || n % block_elements != 0) {
    throw EngineError(NT_E_INTERNAL, "a " + ggml_type_name(type) + " row of " + std::to_string(n) +
                                         " elements is not a whole number of " +
                                         std::to_string(block_elements) + "-element blocks");
  }
  dequantize(src, dst, n);
}

void dequantize_row_f32(const uint8_t* src, float* dst, int64_t n) { std::memcpy(dst, src, n * 4); }

void dequantize_row_f16(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(halves(src)[i]);
}

void dequantize_row_bf16(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(halves(src)[i]);
}

void dequantize_row_q4_0(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlock32; ++b, dst += kBlock32) {
    const BlockQ4_0& block = blocks<BlockQ4_0>(src)[b];
    const float d = fp16_to_fp32(block.d);
    for (int j = 0; j < kBlock32 / 2; ++j) {
      dst[j] = ((block.qs[j] & 0xF) - 8) * d;
      dst[j + 16] = ((block.qs[j] >> 4) - 8) * d;
    }
  }
}

void dequantize_row_q4_1(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlock32; ++b, dst += kBlock32) {
    const BlockQ4_1& block = blocks<BlockQ4_1>(src)[b];
    const float d = fp16_to_fp32(block.d);
    const float m = fp16_to_fp32(block.m);
    for (int j = 0; j < kBlock32 / 2; ++j) {
      dst[j] = (block.qs[j] & 0xF) * d + m;
      dst[j + 16] = (block.qs[j] >> 4) * d + m;
    }
  }
}

void dequantize_row_q5_0(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlock32; ++b, dst += kBlock32) {
    const BlockQ5_0& block = blocks<BlockQ5_0>(src)[b];
    const float d = fp16_to_fp32(block.d);
    for (int j = 0; j < kBlock32 / 2; ++j) {
      int low, high;
      weights_at(block, j, low, high);
      dst[j] = low * d;
      dst[j + 16] = high * d;
    }
  }
}

void dequantize_row_q5_1(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlock32; ++b, dst += kBlock32) {
    const BlockQ5_1& block = blocks<BlockQ5_1>(src)[b];
    const float d = fp16_to_fp32(block.d);
    const float m = fp16_to_fp32(block.m);
    for (int j = 0; j < kBlock32 / 2; ++j) {
      int low, high;
      weights_at(block, j, low, high);
      dst[j] = low * d + m;
      dst[j + 16] = high * d + m;
    }
  }
}

void dequantize_row_q8_0(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlock32; ++b) {
    const BlockQ8_0& block = blocks<BlockQ8_0>(src)[b];
    const float d = fp16_to_fp32(block.d);
    for (int j = 0; j < kBlock32; ++j) dst[b * kBlock32 + j] = block.qs[j] * d;
  }
}

void dequantize_row_q8_1(const uint8_t* src, float* dst, int64_t n) {
  const BlockQ8_1* in = blocks<BlockQ8_1>(src);
  for (int64_t b = 0; b < n / kBlock32; ++b) {
    const float d = fp16_to_fp32(in[b].d);
    for (int j = 0; j < kBlock32; ++j) dst[b * kBlock32 + j] = in[b].qs[j] * d;
  }
}

void dequantize_row_q2_k(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlockK; ++b, dst += kBlockK) {
    const BlockQ2_K& block = blocks<BlockQ2_K>(src)[b];
    const float d = fp16_to_fp32(block.d);
    const float dmin = fp16_to_fp32(block.dmin);
    for (int g = 0; g < 16; ++g) {
      const float scale = d * (block.scales[g] & 0xF);
      const float min = dmin * (block.scales[g] >> 4);
      for (int e = 16 * g; e < 16 * g + 16; ++e) dst[e] = scale * quant_at(block, e) - min;
    }
  }
}

void dequantize_row_q3_k(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlockK; ++b, dst += kBlockK) {
    const BlockQ3_K& block = blocks<BlockQ3_K>(src)[b];
    const float d = fp16_to_fp32(block.d);
    int scales[16];
    unpack_q3_k_scales(block.scales, scales);
    for (int g = 0; g < 16; ++g) {
      const float scale = d * scales[g];
      for (int e = 16 * g; e < 16 * g + 16; ++e) dst[e] = scale * quant_at(block, e);
    }
  }
}

void dequantize_row_q4_k(const uint8_t* src, float* dst, int64_t n) {
  dequantize_row_k4<BlockQ4_K, quant_at>(src, dst, n);
}

void dequantize_row_q5_k(const uint8_t* src, float* dst, int64_t n) {
  dequantize_row_k4<BlockQ5_K, quant_at>(src, dst, n);
}

void dequantize_row_q6_k(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlockK; ++b, dst += kBlockK) {
    const BlockQ6_K& block = blocks<BlockQ6_K>(src)[b];
    const float d = fp16_to_fp32(block.d);
    for (int g = 0; g < 16; ++g) {
      const float scale = d * block.scales[g];
      for (int e = 16 * g; e < 16 * g + 16; ++e) dst[e] = scale * quant_at(block, e);
    }
  }
}

void dequantize_row_q8_k(const uint8_t* src, float* dst, int64_t n) {
  const BlockQ8_K* in = blocks<BlockQ8_K>(src);
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    for (int j = 0; j < kBlockK; ++j) dst[b * kBlockK + j] = in[b].qs[j] * in[b].d;
  }
}

}  // namespace nt::quant

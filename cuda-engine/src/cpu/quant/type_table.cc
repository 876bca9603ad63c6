#include "cpu/quant/type_table.h"

#include "gguf/ggml_type.h"

namespace nt::cpu::quant {

namespace {

constexpr uint32_t id(GgmlType t) { return static_cast<uint32_t>(t); }

// vec_dot_type per weight type as ggml-cpu.c's type_traits_cpu sets it; the kernels follow
// ggml's generic C code.
constexpr TypeKernels kScalar[] = {
    {id(GgmlType::F32), id(GgmlType::F32), quantize_row_f32, vec_dot_f32, dequantize_row_f32, nullptr, nullptr},
    {id(GgmlType::F16), id(GgmlType::F16), quantize_row_f16, vec_dot_f16, dequantize_row_f16, nullptr, nullptr},
    {id(GgmlType::BF16), id(GgmlType::BF16), quantize_row_bf16, vec_dot_bf16, dequantize_row_bf16, nullptr, nullptr},
    {id(GgmlType::Q4_0), id(GgmlType::Q8_0), quantize_row_q8_0, vec_dot_q4_0, dequantize_row_q4_0, nullptr, nullptr},
    {id(GgmlType::Q4_1), id(GgmlType::Q8_1), quantize_row_q8_1, vec_dot_q4_1, dequantize_row_q4_1, nullptr, nullptr},
    {id(GgmlType::Q5_0), id(GgmlType::Q8_0), quantize_row_q8_0, vec_dot_q5_0, dequantize_row_q5_0, nullptr, nullptr},
    {id(GgmlType::Q5_1), id(GgmlType::Q8_1), quantize_row_q8_1, vec_dot_q5_1, dequantize_row_q5_1, nullptr, nullptr},
    {id(GgmlType::Q8_0), id(GgmlType::Q8_0), quantize_row_q8_0, vec_dot_q8_0, dequantize_row_q8_0, nullptr, nullptr},
    {id(GgmlType::Q2_K), id(GgmlType::Q8_K), quantize_row_q8_k, vec_dot_q2_k, dequantize_row_q2_k, nullptr, nullptr},
    {id(GgmlType::Q3_K), id(GgmlType::Q8_K), quantize_row_q8_k, vec_dot_q3_k, dequantize_row_q3_k, nullptr, nullptr},
    {id(GgmlType::Q4_K), id(GgmlType::Q8_K), quantize_row_q8_k, vec_dot_q4_k, dequantize_row_q4_k, nullptr, nullptr},
    {id(GgmlType::Q5_K), id(GgmlType::Q8_K), quantize_row_q8_k, vec_dot_q5_k, dequantize_row_q5_k, nullptr, nullptr},
    {id(GgmlType::Q6_K), id(GgmlType::Q8_K), quantize_row_q8_k, vec_dot_q6_k, dequantize_row_q6_k, nullptr, nullptr},
};

#if NT_X86
// The same, following ggml's x86 AVX2 code. Q8_0 and Q8_1 activations round differently there
// (127 / max|x| and round-half-even instead of the reference's 1 / d and roundf), so the two
// levels may differ in the last quant of rare elements, as llama.cpp's two builds do.
constexpr TypeKernels kAvx2[] = {
    {id(GgmlType::F32), id(GgmlType::F32), quantize_row_f32, vec_dot_f32_avx2, dequantize_row_f32, nullptr, nullptr},
    {id(GgmlType::F16), id(GgmlType::F16), quantize_row_f16_avx2, vec_dot_f16_avx2, dequantize_row_f16,
     nullptr, nullptr},
    {id(GgmlType::BF16), id(GgmlType::BF16), quantize_row_bf16, vec_dot_bf16_avx2, dequantize_row_bf16,
     nullptr, nullptr},
    {id(GgmlType::Q4_0), id(GgmlType::Q8_0), quantize_row_q8_0_avx2, vec_dot_q4_0_avx2, dequantize_row_q4_0,
     vec_dot_q4_0_tokens_avx2, vec_dot_q4_0_rows_avx2},
    {id(GgmlType::Q4_1), id(GgmlType::Q8_1), quantize_row_q8_1_avx2, vec_dot_q4_1_avx2, dequantize_row_q4_1,
     vec_dot_q4_1_tokens_avx2, vec_dot_q4_1_rows_avx2},
    {id(GgmlType::Q5_0), id(GgmlType::Q8_0), quantize_row_q8_0_avx2, vec_dot_q5_0_avx2, dequantize_row_q5_0,
     vec_dot_q5_0_tokens_avx2, vec_dot_q5_0_rows_avx2},
    {id(GgmlType::Q5_1), id(GgmlType::Q8_1), quantize_row_q8_1_avx2, vec_dot_q5_1_avx2, dequantize_row_q5_1,
     vec_dot_q5_1_tokens_avx2, vec_dot_q5_1_rows_avx2},
    {id(GgmlType::Q8_0), id(GgmlType::Q8_0), quantize_row_q8_0_avx2, vec_dot_q8_0_avx2, dequantize_row_q8_0,
     vec_dot_q8_0_tokens_avx2, vec_dot_q8_0_rows_avx2},
    {id(GgmlType::Q2_K), id(GgmlType::Q8_K), quantize_row_q8_k_avx2, vec_dot_q2_k_avx2, dequantize_row_q2_k,
     vec_dot_q2_k_tokens_avx2, vec_dot_q2_k_rows_avx2},
    {id(GgmlType::Q3_K), id(GgmlType::Q8_K), quantize_row_q8_k_avx2, vec_dot_q3_k_avx2, dequantize_row_q3_k,
     vec_dot_q3_k_tokens_avx2, vec_dot_q3_k_rows_avx2},
    {id(GgmlType::Q4_K), id(GgmlType::Q8_K), quantize_row_q8_k_avx2, vec_dot_q4_k_avx2, dequantize_row_q4_k,
     vec_dot_q4_k_tokens_avx2, vec_dot_q4_k_rows_avx2},
    {id(GgmlType::Q5_K), id(GgmlType::Q8_K), quantize_row_q8_k_avx2, vec_dot_q5_k_avx2, dequantize_row_q5_k,
     vec_dot_q5_k_tokens_avx2, vec_dot_q5_k_rows_avx2},
    {id(GgmlType::Q6_K), id(GgmlType::Q8_K), quantize_row_q8_k_avx2, vec_dot_q6_k_avx2, dequantize_row_q6_k,
     vec_dot_q6_k_tokens_avx2, vec_dot_q6_k_rows_avx2},
};
#endif

template <size_t N>
const TypeKernels* find(const TypeKernels (&table)[N], uint32_t type) {
  for (const TypeKernels& entry : table) {
    if (entry.type == type) return &entry;
  }
  return nullptr;
}

#if NT_X86
// The AVX2 table with each batch kernel's 512-bit version in its place (the multi-token kernels
// of every type that has one, the K-quants' multi-row kernels): the same results, bit for bit, in
// half the multiply instructions per token or row. kWide lists those versions.
struct Wide {
  GgmlType type;
  VecDotTokensFn tokens;
  VecDotRowsFn rows;  // nullptr: the AVX2 entry's (the 32-element formats': Block32Tokens)
};
constexpr Wide kWide[] = {
    {GgmlType::Q4_0, vec_dot_q4_0_tokens_avx512, nullptr},
    {GgmlType::Q4_1, vec_dot_q4_1_tokens_avx512, nullptr},
    {GgmlType::Q5_0, vec_dot_q5_0_tokens_avx512, nullptr},
    {GgmlType::Q5_1, vec_dot_q5_1_tokens_avx512, nullptr},
    {GgmlType::Q8_0, vec_dot_q8_0_tokens_avx512, nullptr},
    {GgmlType::Q4_K, vec_dot_q4_k_tokens_avx512, vec_dot_q4_k_rows_avx512},
    {GgmlType::Q5_K, vec_dot_q5_k_tokens_avx512, vec_dot_q5_k_rows_avx512},
    {GgmlType::Q6_K, vec_dot_q6_k_tokens_avx512, vec_dot_q6_k_rows_avx512},
};

struct Avx512Table {
  TypeKernels entries[sizeof kAvx2 / sizeof kAvx2[0]];
  Avx512Table() {
    for (size_t i = 0; i < sizeof kAvx2 / sizeof kAvx2[0]; ++i) {
      entries[i] = kAvx2[i];
      for (const Wide& w : kWide) {
        if (entries[i].type != id(w.type)) continue;
        entries[i].vec_dot_tokens = w.tokens;
        if (w.rows) entries[i].vec_dot_rows = w.rows;
      }
    }
  }
};
#endif

}  // namespace

const TypeKernels* type_kernels(uint32_t type, SimdLevel level) {
#if NT_X86
  if (level == SimdLevel::kAvx512) {
    static const Avx512Table avx512;
    return find(avx512.entries, type);
  }
  if (level == SimdLevel::kAvx2) return find(kAvx2, type);
#endif
  (void)level;
  return find(kScalar, type);
}

size_t activation_row_bytes(uint32_t vec_dot_type, int64_t n) {
  switch (static_cast<GgmlType>(vec_dot_type)) {
    case GgmlType::F32: return static_cast<size_t>(n) * 4;
    case GgmlType::F16:
    case GgmlType::BF16: return static_cast<size_t>(n) * 2;
    case GgmlType::Q8_0: return static_cast<size_t>(n / kBlock32) * sizeof(BlockQ8_0);
    case GgmlType::Q8_1: return static_cast<size_t>(n / kBlock32) * sizeof(BlockQ8_1);
    case GgmlType::Q8_K: return static_cast<size_t>(n / kBlockK) * sizeof(BlockQ8_K);
    default: return 0;
  }
}

int activation_block_elements(uint32_t vec_dot_type) {
  switch (static_cast<GgmlType>(vec_dot_type)) {
    case GgmlType::Q8_0:
    case GgmlType::Q8_1: return kBlock32;
    case GgmlType::Q8_K: return kBlockK;
    default: return 1;
  }
}

}  // namespace nt::cpu::quant

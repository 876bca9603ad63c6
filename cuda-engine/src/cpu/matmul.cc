#include "cpu/matmul.h"

#include <algorithm>
#include <string>
#include <vector>

#include "core/engine_error.h"
#include "cpu/quant/type_table.h"
#include "gguf/ggml_type.h"

namespace nt::cpu {

namespace {

// Rows are dotted in tiles of kRowTile rows by kTokenTile tokens. A row tile (16 rows of a
// 4096-wide Q4_K matrix are 37 KB) stays in L2 while every token tile passes over it, so each
// weight byte is read from memory once per call however many tokens there are, and a token
// tile's activations (8 x 4.6 KB of Q8_K) stay in L1 across the tile's rows.
constexpr int64_t kRowTile = 16;
constexpr int64_t kTokenTile = 8;

const quant::TypeKernels& kernels_for(uint32_t type, SimdLevel level) {
  const quant::TypeKernels* kernels = quant::type_kernels(type, level);
  if (!kernels) {
    throw EngineError(NT_E_UNSUPPORTED,
                      "the CPU backend cannot compute with tensor type " + ggml_type_name(type));
  }
  return *kernels;
}

// ggml requires whole blocks per row; so do the kernels.
void check_whole_blocks(uint32_t type, int64_t n, int block_elements) {
  if (n <= 0 || n % block_elements != 0) {
    throw EngineError(NT_E_INTERNAL, "a " + ggml_type_name(type) + " row of " + std::to_string(n) +
                                         " elements is not a whole number of " +
                                         std::to_string(block_elements) + "-element blocks");
  }
}

}  // namespace

void matmul(const TensorView& w, const float* x, int64_t n_tokens, float* out, ThreadPool& pool) {
  matmul(w, x, n_tokens, out, pool, simd_level());
}

void matmul(const TensorView& w, const float* x, int64_t n_tokens, float* out, ThreadPool& pool,
            SimdLevel level) {
  const quant::TypeKernels& kernels = kernels_for(w.type, level);
  const int64_t n = w.ne[0];
  check_whole_blocks(w.type, n, static_cast<int>(ggml_block_layout(w.type)->block_elements));
  check_whole_blocks(kernels.vec_dot_type, n, quant::activation_block_elements(kernels.vec_dot_type));
  if (n_tokens <= 0) return;

  // Each token's row is converted to the activation format once, not once per weight row.
  // The buffer is reused: matmul runs ~10 times per layer per token.
  const size_t act_bytes = quant::activation_row_bytes(kernels.vec_dot_type, n);
  thread_local std::vector<uint8_t> activations;
  activations.resize(act_bytes * static_cast<size_t>(n_tokens));
  uint8_t* act = activations.data();
  const auto quantize = [&](int64_t begin, int64_t end, int) {
    for (int64_t t = begin; t < end; ++t) kernels.quantize_activation(x + t * n, act + t * act_bytes, n);
  };
  if (n_tokens == 1) {
    quantize(0, 1, 0);
  } else {
    pool.parallel_for(n_tokens, quantize);
  }

  const int64_t rows = w.rows();
  const size_t row_bytes = w.row_bytes();
  pool.parallel_for(rows, [&](int64_t begin, int64_t end, int) {
    for (int64_t r0 = begin; r0 < end; r0 += kRowTile) {
      const int64_t r1 = std::min(end, r0 + kRowTile);
      for (int64_t t0 = 0; t0 < n_tokens; t0 += kTokenTile) {
        const int64_t t1 = std::min(n_tokens, t0 + kTokenTile);
        for (int64_t r = r0; r < r1; ++r) {
          const uint8_t* row = w.data + static_cast<size_t>(r) * row_bytes;
          for (int64_t t = t0; t < t1; ++t) out[t * rows + r] = kernels.vec_dot(n, row, act + t * act_bytes);
        }
      }
    }
  });
}

}  // namespace nt::cpu

#include "cpu/matmul.h"

#include <algorithm>
#include <cstdlib>
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
// tile's activations (8 x 4.6 KB of Q8_K) stay in L1 across the tile's rows. Types with a
// multi-token kernel (quants.h, DotTokens: the K-quants and the 32-element formats, at AVX2 and
// AVX-512) dot a row with the whole token tile in one call, so a weight block is unpacked once per
// tile, not once per token.
constexpr int64_t kRowTile = 16;
constexpr int64_t kTokenTile = quant::kMaxDotTokens;

// A group's products share their input; most share its activation format too (a layer's q, k and
// v, or gate and up, are K-quants: Q8_K), so each format is made once for all of them.
constexpr int kMaxFormats = 4;

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

// One product of a group, checked, with where its activations are.
struct Part {
  const TensorView* w;
  float* out;
  const quant::TypeKernels* kernels;
  int format;         // index into the group's activation buffers
  int64_t first_row;  // in the group's rows: the parts' rows one after another
};

// One token's products dot kRowsPerCall rows per kernel call (quants.h, DotRows) where that
// reads faster: each activation block is loaded once for all of them, and the rows' weights come
// in as four streams.
//
// Q4_K and Q5_K, at every length. On Intel Xeon cores their one-row kernels (ours and ggml's
// AVX2 vec_dot_q4_K alike) read cold weights at a third of their rate on cached ones: measured on
// a Xeon with AMX (2 cores, 1 GiB matrices; the GPU machine's host is a Xeon too), one core, Q4_K
// 8192-wide rows 4.8 GB/s with one row per call and 9.9 with four, 28672-wide 6.6 -> 11.3; Q5_K
// 4.9 -> 8.5 and 6.2 -> 9.5; two cores 9.5 -> 18.9 (Q4_K, 8192); a 70B q4_k_m layer forward
// (nt-cpu-layer-bench, 2 threads) 10.9 -> 19.7 GB/s. A software prefetch a row or more ahead
// lifts one row to 8.6 but slows four rows to 7.8. On the H100 machine's 15 threads a 70B down
// read 86-90 GB/s with four rows per call and 52 with one (beside the calibration's H2D copies 74
// vs 50). The earlier dev machine (EPYC Zen 5, 2 shared cores, noisy) ran 8192- and 14336-wide
// Q4_K rows 5-15 % slower with four rows per call than with one: the loss there is far smaller
// than the gain on Intel.
//
// Q6_K, from kMultiRowActivationBytes of activations (a 70B's down: 28672 elements, 32.7 KB of
// Q8_K, which no longer stay in L1 beside the streaming weights): its one-row kernel already
// reads 9.3 GB/s on one Xeon core at 8192 (four rows 8.9) and 10.7 at 28672 (four rows 11.0); on
// the Zen 5 the long rows went 13.5-14 -> 15-18.6 GB/s with four rows per call for Q4_K and Q6_K
// did not change.
//
// (The dual pass's CPU down read 25 GB/s only while the generated models fed it SwiGLU outputs of
// ~1e-33, whose subnormal products cost the Xeon's cores microcode assists; the generator now
// centres its blocks. ggml's kernels pay the same on such inputs, and both keep IEEE subnormals:
// no flush-to-zero, same bits as ggml.)
constexpr int kRowsPerCall = quant::kMaxDotRows;
constexpr size_t kMultiRowActivationBytes = 24 * 1024;

bool multi_row_at_every_length(uint32_t type) {
  return type == static_cast<uint32_t>(GgmlType::Q4_K) || type == static_cast<uint32_t>(GgmlType::Q5_K);
}

// NT_CPU_MULTI_ROW=0 dots one row per call at every length, =1 kRowsPerCall at every length (A/B
// switches for the benches, as NT_CPU_SIMD is for the SIMD level); unset, the rule above.
// Read once.
enum class MultiRow { Never, Always, ByType };

MultiRow multi_row_choice() {
  static const MultiRow choice = [] {
    const char* value = std::getenv("NT_CPU_MULTI_ROW");
    if (value && std::string(value) == "0") return MultiRow::Never;
    if (value && std::string(value) == "1") return MultiRow::Always;
    return MultiRow::ByType;
  }();
  return choice;
}

bool multi_row(uint32_t type, size_t act_bytes) {
  switch (multi_row_choice()) {
    case MultiRow::Never: return false;
    case MultiRow::Always: return true;
    case MultiRow::ByType: break;
  }
  return multi_row_at_every_length(type) || act_bytes >= kMultiRowActivationBytes;
}

// Each token's row in one activation format, once per call, not once per weight row. The buffers
// are reused: products run ~10 times per layer per token.
uint8_t* activations(int format, size_t bytes) {
  thread_local std::vector<uint8_t> buffers[kMaxFormats];
  buffers[format].resize(bytes);
  return buffers[format].data();
}

void quantize_tokens(const quant::TypeKernels& k, const float* x, int64_t n, int64_t n_tokens, uint8_t* act,
                     size_t act_bytes, ThreadPool& pool) {
  const auto quantize = [&](int64_t begin, int64_t end, int) {
    for (int64_t t = begin; t < end; ++t) k.quantize_activation(x + t * n, act + t * act_bytes, n);
  };
  if (n_tokens == 1) {
    quantize(0, 1, 0);
  } else {
    pool.parallel_for(n_tokens, quantize);
  }
}

// Rows [begin, end) of one part for one token, kRowsPerCall per call (above); the last one to
// three in one call too (one row is vec_dot_tokens's code for one token: the same tile kernel).
void dot_rows_one_token(const Part& p, const uint8_t* act, int64_t begin, int64_t end) {
  const int64_t n = p.w->ne[0];
  const size_t row_bytes = p.w->row_bytes();
  for (int64_t r = begin; r < end; r += kRowsPerCall) {
    p.kernels->vec_dot_rows({n, p.w->data + static_cast<size_t>(r) * row_bytes, row_bytes,
                             static_cast<int>(std::min<int64_t>(kRowsPerCall, end - r)), act, p.out + r});
  }
}

// Rows [begin, end) of one part, for every token, in tiles (above).
void dot_rows(const Part& p, const uint8_t* act, size_t act_bytes, int64_t begin, int64_t end, int64_t n_tokens) {
  if (n_tokens == 1 && p.kernels->vec_dot_rows && multi_row(p.w->type, act_bytes)) {
    dot_rows_one_token(p, act, begin, end);
    return;
  }
  const int64_t n = p.w->ne[0], rows = p.w->rows();
  const size_t row_bytes = p.w->row_bytes();
  // Where a type has a multi-token kernel it serves one token too: the same bits as vec_dot
  // (tests check), with the scales unpacked in SIMD.
  const bool multi = p.kernels->vec_dot_tokens != nullptr;
  for (int64_t r0 = begin; r0 < end; r0 += kRowTile) {
    const int64_t r1 = std::min(end, r0 + kRowTile);
    for (int64_t t0 = 0; t0 < n_tokens; t0 += kTokenTile) {
      const int64_t t1 = std::min(n_tokens, t0 + kTokenTile);
      for (int64_t r = r0; r < r1; ++r) {
        const uint8_t* row = p.w->data + static_cast<size_t>(r) * row_bytes;
        if (multi) {
          // One call for the tile's tokens: each weight block unpacked once, not once per token.
          p.kernels->vec_dot_tokens({n, row, act + t0 * act_bytes, act_bytes, static_cast<int>(t1 - t0),
                                     p.out + t0 * rows + r, rows});
        } else {
          for (int64_t t = t0; t < t1; ++t) p.out[t * rows + r] = p.kernels->vec_dot(n, row, act + t * act_bytes);
        }
      }
    }
  }
}

}  // namespace

void matmul(const TensorView& w, const float* x, int64_t n_tokens, float* out, ThreadPool& pool) {
  matmul(w, x, n_tokens, out, pool, simd_level());
}

void matmul(const TensorView& w, const float* x, int64_t n_tokens, float* out, ThreadPool& pool,
            SimdLevel level) {
  const MatmulProduct product{&w, out};
  matmul_group(&product, 1, x, n_tokens, pool, level);
}

void matmul_group(const MatmulProduct* products, int count, const float* x, int64_t n_tokens, ThreadPool& pool) {
  matmul_group(products, count, x, n_tokens, pool, simd_level());
}

void matmul_group(const MatmulProduct* products, int count, const float* x, int64_t n_tokens, ThreadPool& pool,
                  SimdLevel level) {
  if (count <= 0) return;
  const int64_t n = products[0].w->ne[0];
  std::vector<Part> parts;
  uint32_t formats[kMaxFormats];
  int n_formats = 0;
  int64_t total_rows = 0;
  for (int i = 0; i < count; ++i) {
    const TensorView& w = *products[i].w;
    const quant::TypeKernels& k = kernels_for(w.type, level);
    check_whole_blocks(w.type, w.ne[0], static_cast<int>(ggml_block_layout(w.type)->block_elements));
    check_whole_blocks(k.vec_dot_type, w.ne[0], quant::activation_block_elements(k.vec_dot_type));
    if (w.ne[0] != n) {
      throw EngineError(NT_E_INTERNAL, "the products of a group read rows of " + std::to_string(n) + " and " +
                                           std::to_string(w.ne[0]) + " elements");
    }
    int format = 0;
    while (format < n_formats && formats[format] != k.vec_dot_type) ++format;
    if (format == n_formats) {
      if (n_formats == kMaxFormats) throw EngineError(NT_E_INTERNAL, "too many activation formats in one group");
      formats[n_formats++] = k.vec_dot_type;
    }
    parts.push_back({&w, products[i].out, &k, format, total_rows});
    total_rows += w.rows();
  }
  if (n_tokens <= 0) return;

  const uint8_t* act[kMaxFormats];
  size_t act_bytes[kMaxFormats];
  for (int f = 0; f < n_formats; ++f) {
    const Part& p = *std::find_if(parts.begin(), parts.end(), [f](const Part& q) { return q.format == f; });
    act_bytes[f] = quant::activation_row_bytes(formats[f], n);
    uint8_t* buffer = activations(f, act_bytes[f] * static_cast<size_t>(n_tokens));
    quantize_tokens(*p.kernels, x, n, n_tokens, buffer, act_bytes[f], pool);
    act[f] = buffer;
  }

  // One parallel region over every part's rows: one wake-up and one wait per group, not per
  // product, and the threads that finish a small matrix (k, v) go straight on to the next.
  pool.parallel_for(total_rows, [&](int64_t begin, int64_t end, int) {
    for (const Part& p : parts) {
      const int64_t b = std::max(begin, p.first_row), e = std::min(end, p.first_row + p.w->rows());
      if (b < e) dot_rows(p, act[p.format], act_bytes[p.format], b - p.first_row, e - p.first_row, n_tokens);
    }
  });
}

}  // namespace nt::cpu

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

// Decode products (up to kMaxDotRowTokens tokens) dot kRowsPerCall rows with all the tokens per
// kernel call (quants.h, DotRows) for the types that have such a kernel (every quantized one), and
// the rows of a call lie kStreamRows apart: rows r, r + 16, r + 32, r + 48, then r + 1, r + 17, ...
// So a thread reads four sequential streams of 16 rows each, long enough for the hardware
// prefetchers, where one row per call left the weights' DRAM latency exposed. Measured on a Xeon
// with AMX (2 cores, 1 GiB matrices, GB/s per core; the GPU machine's host is a Xeon too) for
// 4096-, 8192- and 28672-wide rows at one token: Q4_K one row per call 4.7 / 4.9 / 6.4 (ggml's AVX2
// kernel the same), four adjacent rows 6.8 / 9.6 / 10.9, four streams 11.6 / 11.4 / 11.9; Q5_K 4.6
// / 4.4 / 6.1 -> 9.9 / 9.3 / 9.6; Q6_K 8.0 / 7.9 / 9.2 -> 10.8 / 10.1 / 10.8 (two cores: about
// twice each); a 70B-shape layer on two cores, Q4_0 4.6 -> 19.3, Q5_1 5.4 -> 17.4, Q8_0 13.4 ->
// 24.2, Q2_K 7.1 -> 18.1, Q3_K 10.7 -> 13.6 (bound by its unpacking). Adjacent rows (one stream
// whose rows each restart the prefetcher's ramp) lose most on short rows, and a software prefetch a
// row ahead lifts one row per call to 8.6 but slows four rows to 7.8. At two tokens (Q4_K, 8192)
// one row per call read 4.2, four streams 10.1; at four 4.6 and 7.1 (the unpacking starts to bind).
// Each activation block is loaded once for the four rows too: on a 70B's 28672-wide down, whose
// 32.7 KB of Q8_K activations leave L1 beside the streaming weights, that is what lifted the H100
// machine's 15 threads from 52 to 86-90 GB/s at one token (beside the calibration's H2D copies 50
// -> 74). The earlier dev machine (EPYC Zen 5, 2 shared cores, noisy) ran short rows 5-15 % slower
// with four adjacent rows per call than with one; four streams were not measured there. Past four
// tokens the tiles below (a row per call, kTokenTile tokens) keep the registers for the tokens'
// sums.
//
// (The dual pass's CPU down read 25 GB/s only while the generated models fed it SwiGLU outputs of
// ~1e-33, whose subnormal products cost the Xeon's cores microcode assists; the generator now
// centres its blocks. ggml's kernels pay the same on such inputs, and both keep IEEE subnormals:
// no flush-to-zero, same bits as ggml.)
constexpr int kRowsPerCall = quant::kMaxDotRows;
constexpr int64_t kStreamRows = 16;

// NT_CPU_MULTI_ROW=0 dots one row per call (an A/B switch for the benches, as NT_CPU_SIMD is for
// the SIMD level). Read once.
bool multi_row() {
  static const bool multi = [] {
    const char* value = std::getenv("NT_CPU_MULTI_ROW");
    return !(value && std::string(value) == "0");
  }();
  return multi;
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

// Rows [begin, end) of one part for its n_tokens (at most kMaxDotRowTokens), kRowsPerCall per call
// in streams (above): groups of kRowsPerCall x kStreamRows rows; a rest of 4k rows (k < 16) as
// four streams of k rows (a pool's chunk of a 70B's q, k, v on 15 threads ends in ~40 rows: a
// quarter of its rows); the last one to three rows in one call.
void dot_rows_in_streams(const Part& p, const uint8_t* act, size_t act_bytes, int64_t begin, int64_t end,
                         int64_t n_tokens) {
  const int64_t n = p.w->ne[0], rows = p.w->rows();
  const size_t row_bytes = p.w->row_bytes();
  const auto call = [&](int64_t row, int64_t apart, int64_t count) {
    p.kernels->vec_dot_rows({n, p.w->data + static_cast<size_t>(row) * row_bytes,
                             static_cast<size_t>(apart) * row_bytes, static_cast<int>(count), act, p.out + row, apart,
                             static_cast<int>(n_tokens), act_bytes, rows});
  };
  int64_t r = begin;
  while (end - r >= kRowsPerCall) {
    const int64_t apart = std::min(kStreamRows, (end - r) / kRowsPerCall);
    for (int64_t i = 0; i < apart; ++i) call(r + i, apart, kRowsPerCall);
    r += kRowsPerCall * apart;
  }
  if (r < end) call(r, 1, end - r);
}

// Rows [begin, end) of one part, for every token: in streams (above) or in tiles.
void dot_rows(const Part& p, const uint8_t* act, size_t act_bytes, int64_t begin, int64_t end, int64_t n_tokens) {
  if (n_tokens <= quant::kMaxDotRowTokens && p.kernels->vec_dot_rows && multi_row()) {
    dot_rows_in_streams(p, act, act_bytes, begin, end, n_tokens);
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

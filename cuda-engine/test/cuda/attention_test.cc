// The GPU attention against ops::attention_head, both reading a paged cache whose blocks are
// scattered through the pool: GQA (groups of 1, 2, 4 and 8 query heads), several positions per pass
// (a prompt chunk and decode tokens of other sequences), head sizes from TinyStories' 8 to 256,
// contexts past 4k that span many chunks, block boundaries and a single position; flash attention
// (NT_ATTENTION=flash, the default for prompts: its CUDA-core tiles for every type, its tensor-core
// prefill for F16), the decode kernels (NT_ATTENTION=decode, the default for decode passes over
// F16 and Q8_0 caches: decode_attention.h) and the naive kernels (NT_ATTENTION=naive, the default
// for the decode passes the decode kernels do not take).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cpu/ops/attention.h"
#include "cpu/quant/type_table.h"
#include "cpu/simd.h"
#include "quant/dequantize.h"
#include "quant/half.h"
#include "cuda/cuda_test_device.h"
#include "cuda/kernels/attention.h"

namespace nt::cuda::test {
namespace {

struct Case {
  int32_t n_head, n_head_kv, head_dim, n_ctx;
  std::vector<int32_t> positions;  // one token each, all in one cache
  int64_t scratch_slots;           // 0: n_tokens * n_head * 64 (a decode pass's most chunks)
};

// Outputs are averages of N(0, 1) values; float sums in another order differ by ~1e-6.
constexpr double kFloatTolerance = 2e-5;
// The tensor-core prefill (F16 cache, one sequence, heads of 64 or 128, a block's 64 rows filled)
// rounds the softmax weights p to F16 for P·V: each loses at most 2^-11 of itself, so the output
// Σ p v / Σ p moves by at most 2^-11 × max |v|, and |v| < 6 for these N(0, 1) values: 3e-3.
constexpr double kF16WeightsTolerance = 3e-3;
// The decode kernels read F16 as the tensor-core prefill does (q rounded in the reference too, P
// rounded to F16): kF16WeightsTolerance. Over a Q8_0 cache they also widen each value to F16
// (scale × q rounded to nearest, 2^-11 of it at most) and round q to F16, against a reference
// with both exact: a score moves by Σ q_d δk_d / √hd, about 8e-4 rms for these values (terms
// q_d k_d of rms 2, relative errors of rms 2^-11 / √3), and the output by that times the spread
// of v, so over the tests' ~10^5 outputs the largest error is ~4 σ ≈ 3e-3, plus the F16 weights'
// 3e-3: 1e-2 leaves room. (The CPU's own Q8_0 attention rounds q to 8 bits, 2^-8 of a block's
// largest value, well past this.)
constexpr double kQ8WidenedTolerance = 1e-2;

struct Run {
  KvElement element = KvElement::F32;
  // What the pass tells the kernels. Without it the odd tokens read a second table row, the same
  // blocks rotated by one (another sequence's view of the pool), so a block that reads another
  // token's table shows.
  bool one_sequence = true;
  double tolerance = kFloatTolerance;
  // The kernels attention() must choose for this pass (checked before it runs), or any.
  std::optional<AttentionKernels> kernels;
};

// Positions first, first + 1, ..., first + count - 1: a prompt chunk.
std::vector<int32_t> span(int32_t first, int32_t count) {
  std::vector<int32_t> positions(static_cast<size_t>(count));
  std::iota(positions.begin(), positions.end(), first);
  return positions;
}

// NT_ATTENTION for the length of a test (attention() reads it on every call).
class ScopedAttentionChoice {
 public:
  explicit ScopedAttentionChoice(const char* choice) {
    const char* old = std::getenv("NT_ATTENTION");
    had_ = old != nullptr;
    if (had_) old_ = old;
    set(choice);
  }
  ~ScopedAttentionChoice() { set(had_ ? old_.c_str() : nullptr); }
  ScopedAttentionChoice(const ScopedAttentionChoice&) = delete;
  ScopedAttentionChoice& operator=(const ScopedAttentionChoice&) = delete;

 private:
  static void set(const char* choice) {
    if (choice) {
      setenv("NT_ATTENTION", choice, 1);
    } else {
      unsetenv("NT_ATTENTION");
    }
  }
  bool had_ = false;
  std::string old_;
};

// A paged pool (token_cache.h) whose blocks the one sequence holds in reverse order, with
// every value outside its blocks NaN, so a read through the wrong block shows.
struct PagedPool {
  int64_t block_stride, layer_stride;
  std::vector<int32_t> table;
  std::vector<float> k, v;
};

PagedPool paged_pool(const Case& c, int32_t n_layer, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t kv_dim = int64_t{c.n_head_kv} * c.head_dim;
  const int32_t used = static_cast<int32_t>((c.n_ctx + kKvBlockPositions - 1) / kKvBlockPositions);
  const int32_t n_blocks = used + 3;
  PagedPool p;
  p.layer_stride = kKvBlockPositions * kv_dim;
  p.block_stride = p.layer_stride * n_layer;
  for (int32_t b = 0; b < used; ++b) p.table.push_back(n_blocks - 1 - b);  // backwards, blocks 0..2 unused
  p.k.assign(static_cast<size_t>(n_blocks * p.block_stride), NAN);
  p.v = p.k;
  for (int32_t b : p.table) {
    for (int64_t i = 0; i < p.block_stride; ++i) {
      p.k[b * p.block_stride + i] = normal(rng);
      p.v[b * p.block_stride + i] = normal(rng);
    }
  }
  return p;
}

std::vector<uint16_t> halves_of(const std::vector<float>& values) {
  std::vector<uint16_t> halves(values.size());
  for (size_t i = 0; i < values.size(); ++i) halves[i] = quant::fp32_to_fp16(values[i]);
  return halves;
}

// Each value replaced by what F16 holds of it (the reference's input when the cache is F16).
void round_through_f16(std::vector<float>& values) {
  for (float& v : values) v = quant::fp16_to_fp32(quant::fp32_to_fp16(v));
}

// Each row of kv_dim values quantized to Q8_0 as the CPU stores them, and replaced by what Q8_0 holds.
std::vector<uint8_t> q8_0_rows(std::vector<float>& values, int64_t kv_dim) {
  const auto* kernels = cpu::quant::type_kernels(static_cast<uint32_t>(GgmlType::Q8_0), cpu::simd_level());
  const int64_t rows = static_cast<int64_t>(values.size()) / kv_dim, row_bytes = kv_dim / 32 * 34;
  std::vector<uint8_t> bytes(static_cast<size_t>(rows * row_bytes));
  for (int64_t r = 0; r < rows; ++r) {
    kernels->quantize_activation(values.data() + r * kv_dim, bytes.data() + r * row_bytes, kv_dim);
    const uint8_t* row = bytes.data() + r * row_bytes;
    quant::dequantize_row(static_cast<uint32_t>(GgmlType::Q8_0), row, values.data() + r * kv_dim, kv_dim);
  }
  return bytes;
}

// With F16 the cache holds F16 and the GPU rounds q to F16 before its F32 products; with Q8_0 it
// widens each value to scale × q. The reference is the F32 attention over the same values (and
// the rounded q), so both agree to float summation order.
void check(const Case& c, const Run& run = {}) {
  const KvElement element = run.element;
  const bool f16 = element == KvElement::F16, q8 = element == KvElement::Q8_0;
  std::mt19937 rng(static_cast<uint32_t>(c.head_dim * 131 + c.n_ctx));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int32_t n_layer = 2, layer = 1;
  const int64_t kv_dim = int64_t{c.n_head_kv} * c.head_dim, q_dim = int64_t{c.n_head} * c.head_dim;
  PagedPool pool = paged_pool(c, n_layer, rng);
  const int64_t n_tokens = static_cast<int64_t>(c.positions.size());
  std::vector<float> q(n_tokens * q_dim);
  for (float& f : q) f = 2.0f * normal(rng);  // peaky softmaxes too

  const DeviceBuffer<float> qd = to_device(q);
  const DeviceBuffer<float> kd = to_device(pool.k), vd = to_device(pool.v);
  const std::vector<uint16_t> k16 = halves_of(pool.k), v16 = halves_of(pool.v);
  if (f16) {  // the reference reads what the GPU reads, and rounds q as the GPU does
    round_through_f16(pool.k);
    round_through_f16(pool.v);
    round_through_f16(q);
  }
  std::vector<uint8_t> k8 = {0}, v8 = {0};
  if (q8) {
    k8 = q8_0_rows(pool.k, kv_dim);
    v8 = q8_0_rows(pool.v, kv_dim);
  }
  const DeviceBuffer<uint16_t> kd16 = to_device(k16), vd16 = to_device(v16);
  const DeviceBuffer<uint8_t> kd8 = to_device(k8), vd8 = to_device(v8);
  // Table rows: the sequence's, then (without one_sequence) its blocks rotated by one.
  const size_t width = pool.table.size();
  std::vector<int32_t> table_rows = pool.table;
  if (!run.one_sequence) {
    for (size_t b = 0; b < width; ++b) table_rows.push_back(pool.table[(b + 1) % width]);
  }
  const DeviceBuffer<int32_t> tables = to_device(table_rows);
  // The layout counts bytes: per row of kv_dim values 4, 2 or 34/32 bytes a value.
  const int64_t row_bytes = q8 ? kv_dim / 32 * 34 : kv_dim * (f16 ? 2 : 4);
  const int64_t rows_per_block = pool.block_stride / kv_dim, rows_per_layer = pool.layer_stride / kv_dim;
  const auto bytes_of = [&](const DeviceBuffer<uint8_t>& b8, const DeviceBuffer<uint16_t>& b16,
                           const DeviceBuffer<float>& b32) {
    return q8 ? b8.get() : f16 ? reinterpret_cast<uint8_t*>(b16.get()) : reinterpret_cast<uint8_t*>(b32.get());
  };
  uint8_t* k_bytes = bytes_of(kd8, kd16, kd);
  uint8_t* v_bytes = bytes_of(vd8, vd16, vd);
  const KvLayout kv{k_bytes, v_bytes, tables.get(), rows_per_block * row_bytes, rows_per_layer * row_bytes, row_bytes,
                    static_cast<int32_t>(pool.table.size()), element};
  std::vector<TokenCache> tokens(n_tokens);
  int32_t max_n_past = 0;
  for (int64_t t = 0; t < n_tokens; ++t) {
    tokens[t] = TokenCache{run.one_sequence ? 0 : static_cast<int32_t>(t % 2), c.positions[t]};
    max_n_past = std::max(max_n_past, c.positions[t] + 1);
  }
  const DeviceBuffer<TokenCache> td = to_device(tokens);
  const int64_t slots = c.scratch_slots ? c.scratch_slots : n_tokens * c.n_head * 64;
  DeviceBuffer<float> scratch(attention_scratch_floats(slots, c.head_dim), "scratch");
  DeviceBuffer<float> out(n_tokens * q_dim, "out");
  if (run.kernels) {
    ASSERT_EQ(attention_kernels(n_tokens, run.one_sequence, kv, AttentionShape{c.n_head, c.n_head_kv, c.head_dim}),
              *run.kernels);
  }
  attention(qd.get(), td.get(), kv, n_tokens, run.one_sequence, layer,
            AttentionShape{c.n_head, c.n_head_kv, c.head_dim}, max_n_past, scratch.get(), slots, out.get(),
            test_stream());
  const std::vector<float> got = to_host(out.get(), out.size());

  std::vector<float> scores(c.n_ctx), expected(c.head_dim);
  const int32_t group = c.n_head / c.n_head_kv;
  double max_error = 0.0;
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int32_t h = 0; h < c.n_head; ++h) {
      const int64_t kv_offset = int64_t{layer} * pool.layer_stride + int64_t{h / group} * c.head_dim;
      // The CPU's rows are addressed in bytes.
      const int32_t* table = table_rows.data() + tokens[t].table * width;
      const ops::PagedRows k_rows{reinterpret_cast<const uint8_t*>(pool.k.data() + kv_offset), table,
                                  pool.block_stride * 4, kv_dim * 4, kKvBlockPositions};
      const ops::PagedRows v_rows{reinterpret_cast<const uint8_t*>(pool.v.data() + kv_offset), table,
                                  pool.block_stride * 4, kv_dim * 4, kKvBlockPositions};
      ops::attention_head(q.data() + t * q_dim + h * c.head_dim, k_rows, v_rows, c.positions[t] + 1, c.head_dim,
                          scores.data(), expected.data());
      for (int32_t d = 0; d < c.head_dim; ++d) {
        const double error = std::fabs(got[t * q_dim + h * c.head_dim + d] - expected[d]);
        max_error = std::max(max_error, error);
        ASSERT_LE(error, run.tolerance) << "token at pos " << c.positions[t] << " head " << h << " dim " << d
                               << ": gpu " << got[t * q_dim + h * c.head_dim + d] << " cpu " << expected[d];
      }
    }
  }
  const char* kernels = std::getenv("NT_ATTENTION");
  std::printf("  %s %s head_dim %d, GQA %d/%d, %lld tokens%s, positions up to %d: max error %.3g\n",
              kernels ? kernels : "default", f16 ? "f16" : q8 ? "q8_0" : "f32", c.head_dim, c.n_head, c.n_head_kv,
              static_cast<long long>(n_tokens), run.one_sequence ? "" : " of two sequences", max_n_past - 1,
              max_error);
}

TEST(CudaAttention, MatchesTheCpuWithGqaAndSeveralPositions) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedAttentionChoice flash("flash");
  check({8, 2, 64, 300, {0, 1, 2, 31, 127, 128, 129, 299}, 0});
  check({8, 8, 8, 64, {0, 5, 63}, 0});  // TinyStories' head size
  check({4, 1, 128, 512, {0, 200, 511}, 0});
  check({4, 2, 256, 256, {7, 255}, 0});
  check({6, 3, 80, 100, {99}, 0});  // a head size that leaves lanes idle
}

TEST(CudaAttention, ReadsAnF16CacheAndRoundsQToF16) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedAttentionChoice flash("flash");
  check({8, 2, 64, 300, {0, 1, 2, 31, 127, 128, 129, 299}, 0}, {KvElement::F16});
  check({6, 3, 80, 100, {99}, 0}, {KvElement::F16});
  check({8, 2, 64, 3000, {2999, 1500, 0}, 0}, {KvElement::F16});
}

TEST(CudaAttention, ReadsAQ8_0Cache) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedAttentionChoice flash("flash");
  check({8, 2, 64, 300, {0, 1, 2, 31, 127, 128, 129, 299}, 0}, {KvElement::Q8_0});
  check({4, 1, 128, 512, {0, 200, 511}, 0}, {KvElement::Q8_0});
  check({8, 2, 64, 3000, {2999, 1500, 0}, 0}, {KvElement::Q8_0});
}

TEST(CudaAttention, HandlesLongContexts) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedAttentionChoice flash("flash");
  check({32, 8, 128, 3000, {2999}, 0});
  check({8, 2, 64, 3000, {2999, 1500, 0}, 0});
}

TEST(CudaAttention, FitsFewerChunksIntoASmallScratch) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedAttentionChoice flash("flash");
  check({8, 2, 64, 3000, {2999, 2000}, 2 * 8});  // exactly one chunk per (token, head)
  check({8, 2, 64, 3000, {2999, 2000}, 2 * 8 * 3});
}

// A layout attention_kernels() can judge (it looks at alignment only, never at memory).
KvLayout layout_of(KvElement element, uintptr_t base = 256) {
  KvLayout kv;
  kv.k = reinterpret_cast<uint8_t*>(base);
  kv.v = reinterpret_cast<uint8_t*>(base * 3);
  const int64_t row = element == KvElement::Q8_0 ? 8 * 136 : element == KvElement::F16 ? 8 * 256 : 8 * 512;
  kv.row_stride = row;
  kv.layer_stride = row * kKvBlockPositions;
  kv.block_stride = kv.layer_stride * 2;
  kv.element = element;
  return kv;
}

// Without NT_ATTENTION: the decode kernels for decode passes over F16 and Q8_0 (and for tokens of
// several sequences) once kDecodeKernelsByDefault, flash attention for prompts, the naive kernels
// for the rest of decode.
TEST(CudaAttention, TheDefaultTakesDecodeForDecodeFlashForPromptsAndNaiveForTheRest) {
  const ScopedAttentionChoice none(nullptr);
  const AttentionShape llama{32, 8, 128};
  const AttentionKernels decoding = kDecodeKernelsByDefault ? AttentionKernels::Decode : AttentionKernels::Naive;
  const AttentionKernels several = kDecodeKernelsByDefault ? AttentionKernels::Decode : AttentionKernels::Flash;
  for (const KvElement element : {KvElement::F16, KvElement::Q8_0}) {
    const KvLayout kv = layout_of(element);
    EXPECT_EQ(attention_kernels(1, true, kv, llama), decoding);
    EXPECT_EQ(attention_kernels(kFlashMinTokens - 1, true, kv, llama), decoding);
    EXPECT_EQ(attention_kernels(kFlashMinTokens, true, kv, llama), AttentionKernels::Flash);
    EXPECT_EQ(attention_kernels(512, false, kv, llama), several);  // a table per token
    EXPECT_EQ(attention_kernels(1, true, kv, {64, 8, 64}), decoding);
    EXPECT_EQ(attention_kernels(1, true, kv, {128, 8, 128}), decoding);  // a group of 16
    EXPECT_EQ(attention_kernels(1, true, kv, {136, 8, 128}), AttentionKernels::Naive);   // 17: past a block
    EXPECT_EQ(attention_kernels(1, true, kv, {6, 3, 80}), AttentionKernels::Naive);
    EXPECT_EQ(attention_kernels(1, true, kv, {8, 2, 256}), AttentionKernels::Naive);
  }
  EXPECT_EQ(attention_kernels(1, true, layout_of(KvElement::F32), llama), AttentionKernels::Naive);
  EXPECT_EQ(attention_kernels(512, true, layout_of(KvElement::F32), llama), AttentionKernels::Flash);
  // A Q8_0 pool at an odd address: no copy width fits, so not the decode kernels.
  EXPECT_EQ(attention_kernels(1, true, layout_of(KvElement::Q8_0, 258), llama), AttentionKernels::Naive);
  const ScopedAttentionChoice flash("flash");
  EXPECT_EQ(attention_kernels(1, true, layout_of(KvElement::F16), llama), AttentionKernels::Flash);
  const ScopedAttentionChoice naive("naive");
  EXPECT_EQ(attention_kernels(512, true, layout_of(KvElement::F16), llama), AttentionKernels::Naive);
  const ScopedAttentionChoice decode("decode");
  EXPECT_EQ(attention_kernels(512, true, layout_of(KvElement::F16), llama), AttentionKernels::Decode);
  // Where the decode kernels do not take the cache, the default's choice.
  EXPECT_EQ(attention_kernels(1, true, layout_of(KvElement::F32), llama), AttentionKernels::Naive);
  EXPECT_EQ(attention_kernels(512, true, layout_of(KvElement::F32), llama), AttentionKernels::Flash);
}

// Decode passes split the context finer than prompts (up to 64 chunks of 64 positions), as far
// as the scratch allows; the chunk count is what a captured decode graph is keyed on.
TEST(CudaAttention, DecodePassesSplitTheContextIntoUpTo64Chunks) {
  const int64_t roomy = int64_t{32} * 64 * 64;
  EXPECT_EQ(attention_chunks(1, 1, 32, roomy), 1);
  EXPECT_EQ(attention_chunks(64, 1, 32, roomy), 1);
  EXPECT_EQ(attention_chunks(65, 1, 32, roomy), 2);
  EXPECT_EQ(attention_chunks(4096, 1, 32, roomy), 64);
  EXPECT_EQ(attention_chunks(32768, 1, 32, roomy), 64);
  EXPECT_EQ(attention_chunks(32768, 16, 32, roomy), 64);
  EXPECT_EQ(attention_chunks(32768, 16, 32, int64_t{16} * 32 * 10), 10);  // the scratch binds
  EXPECT_EQ(attention_chunks(32768, kFlashMinTokens, 32, roomy), 32);     // a prompt: 128 a chunk, 32 at most
  EXPECT_EQ(attention_chunks(300, kFlashMinTokens, 32, roomy), 3);
}

TEST(CudaAttention, TheNaiveKernelsStillMatch) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedAttentionChoice naive("naive");
  check({8, 2, 64, 300, {0, 1, 2, 31, 127, 128, 129, 299}, 0});
  check({8, 8, 8, 64, {0, 5, 63}, 0});
  check({4, 2, 256, 256, {7, 255}, 0}, {KvElement::F16});
  check({8, 2, 64, 3000, {2999, 1500, 0}, 0}, {KvElement::Q8_0});
  check({32, 8, 128, 600, span(0, 96), 96 * 32 * 2}, {KvElement::F16});
}

// Decode: one block per (chunk, KV head, token) holds the group's query heads (1, 4 or 8 of them)
// against each tile; tokens of several sequences take a block each.
TEST(CudaAttention, FlashSharesEachTileAcrossTheGqaGroup) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedAttentionChoice flash("flash");
  for (const KvElement element : {KvElement::F32, KvElement::F16, KvElement::Q8_0}) {
    check({8, 8, 64, 700, {699}, 0}, {element});               // group of 1
    check({32, 8, 128, 1000, {999, 0, 500}, 0}, {element});    // 4, the 8B shape
    check({64, 8, 128, 1000, {999, 640}, 0}, {element});       // 8, the 70B shape
    check({32, 4, 128, 1000, {999, 17}, 0}, {element, false});  // as tokens of different sequences
  }
}

// One position, and positions at the edges of the 16-position blocks and of the 32-position tiles.
TEST(CudaAttention, FlashHandlesOnePosition_BlockEdgesAndOddHeads) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedAttentionChoice flash("flash");
  for (const KvElement element : {KvElement::F32, KvElement::F16, KvElement::Q8_0}) {
    check({32, 8, 128, 1, {0}, 0}, {element});
    check({32, 8, 128, 70, {15, 16, 17, 31, 32, 33, 63, 64, 65, 69}, 0}, {element});
    check({32, 8, 128, 70, {15, 16, 17, 31, 32, 33, 63, 64, 65, 69}, 0}, {element, false});
    check({8, 2, 256, 100, {0, 47, 48, 99}, 0}, {element});  // the widest heads: 16-position tiles
  }
  check({8, 8, 8, 40, {0, 15, 16, 39}, 0});  // TinyStories' heads: a lane each
  check({6, 3, 80, 100, {0, 99}, 0});        // lanes idle in the last 32 values
  check({6, 3, 80, 100, span(0, 100), 0}, {KvElement::F16});  // F16 heads the tensor cores do not take
  check({24, 1, 64, 40, {39}, 0});            // a group of 24: the naive kernels take it
}

// Prefill: consecutive tokens of one sequence in a block, each with its own causal mask, at depth
// 0 and past 4k; F16 runs on the tensor cores (P rounded to F16), F32 and Q8_0 on the CUDA cores.
TEST(CudaAttention, FlashPrefillAppliesTheCausalMask) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedAttentionChoice flash("flash");
  check({32, 8, 128, 300, span(0, 300), 300 * 32 * 2}, {KvElement::F16, true, kF16WeightsTolerance});
  check({8, 8, 64, 200, span(0, 200), 200 * 8 * 2}, {KvElement::F16, true, kF16WeightsTolerance});
  check({64, 8, 128, 130, span(0, 130), 130 * 64 * 2}, {KvElement::F16, true, kF16WeightsTolerance});
  check({32, 8, 128, 4200, span(4100, 100), 100 * 32 * 4}, {KvElement::F16, true, kF16WeightsTolerance});
  check({32, 8, 128, 37, span(0, 37), 0}, {KvElement::F16, true, kF16WeightsTolerance});  // a ragged last block
  for (const KvElement element : {KvElement::F32, KvElement::Q8_0}) {
    check({32, 8, 128, 300, span(0, 300), 300 * 32 * 2}, {element});
    check({32, 8, 128, 4200, span(4100, 100), 100 * 32 * 4}, {element});
  }
  // The same tokens as of two sequences (alternate table rows): a block each, no tensor cores.
  check({32, 8, 128, 300, span(0, 300), 300 * 32 * 2}, {KvElement::F16, false});
}

TEST(CudaAttention, FlashReadsLongContextsPast4kOfEveryType) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedAttentionChoice flash("flash");
  for (const KvElement element : {KvElement::F32, KvElement::F16, KvElement::Q8_0}) {
    check({32, 8, 128, 8200, {8199, 4096, 4095, 1}, 0}, {element});
  }
}

}  // namespace
}  // namespace nt::cuda::test

namespace nt::cuda::test {
namespace {

// The decode kernels (NT_ATTENTION=decode; with kDecodeKernelsByDefault the default for decode
// passes over F16 and Q8_0): a warp per (chunk, KV head, tokens), 16-position tiles copied three
// ahead, tensor-core products.
Run decode_run(KvElement element, bool one_sequence = true) {
  return {element, one_sequence, element == KvElement::Q8_0 ? kQ8WidenedTolerance : kF16WeightsTolerance,
          AttentionKernels::Decode};
}

TEST(CudaAttention, DecodeHandlesOnePositionAndTileAndBlockEdges) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedAttentionChoice decode("decode");
  for (const KvElement element : {KvElement::F16, KvElement::Q8_0}) {
    check({32, 8, 128, 1, {0}, 0}, decode_run(element));
    check({32, 8, 128, 2, {1}, 0}, decode_run(element));
    check({32, 8, 128, 70, {15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 69}, 0}, decode_run(element, false));
    check({8, 2, 64, 300, {0, 1, 2, 31, 127, 128, 129, 299}, 0}, decode_run(element, false));  // 64-value heads
    check({8, 2, 64, 3000, {2999, 2000}, 2 * 8}, decode_run(element, false));  // one chunk: 188 tiles in a warp
  }
}

// GQA groups of 1, 4, 8 and 16 query heads in a block's 16 rows; tokens of two sequences of
// different lengths in one pass (a block each, its own table row).
TEST(CudaAttention, DecodeMatchesTheCpuForEveryGqaRatioAndSeveralSequences) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedAttentionChoice decode("decode");
  for (const KvElement element : {KvElement::F16, KvElement::Q8_0}) {
    check({8, 8, 64, 700, {699}, 0}, decode_run(element));
    check({32, 8, 128, 1000, {999}, 0}, decode_run(element));
    check({64, 8, 128, 1000, {999}, 0}, decode_run(element));
    check({16, 1, 128, 1000, {999}, 0}, decode_run(element));
    check({32, 8, 128, 1000, {999, 17, 500, 0, 640}, 0}, decode_run(element, false));
    check({64, 8, 128, 1000, {999, 640, 3}, 0}, decode_run(element, false));
  }
}

// 2..16 query tokens of one sequence: 16 / group of them share a block's rows (each with its own
// causal mask), the last block ragged.
TEST(CudaAttention, DecodeTakesUpTo16QueryTokensOfOneSequence) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedAttentionChoice decode("decode");
  for (const KvElement element : {KvElement::F16, KvElement::Q8_0}) {
    check({32, 8, 128, 1000, span(998, 2), 0}, decode_run(element));
    check({32, 8, 128, 1000, span(995, 5), 0}, decode_run(element));   // blocks of 4 tokens and of 1
    check({32, 8, 128, 1000, span(984, 16), 0}, decode_run(element));
    check({64, 8, 128, 1000, span(987, 13), 0}, decode_run(element));  // blocks of 2
    check({8, 8, 64, 300, span(284, 16), 0}, decode_run(element));     // one block of 16 tokens
    check({8, 8, 64, 20, span(0, 16), 0}, decode_run(element));        // positions 0..15 in one tile
  }
}

// Contexts past 4k and 32k (64 chunks of 513 positions at 32,800).
TEST(CudaAttention, DecodeReadsContextsPast4kAnd32k) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedAttentionChoice decode("decode");
  for (const KvElement element : {KvElement::F16, KvElement::Q8_0}) {
    check({32, 8, 128, 8200, {8199, 4096, 4095, 1}, 0}, decode_run(element, false));
    check({8, 1, 128, 32800, {32799, 32768, 4097}, 0}, decode_run(element, false));
    check({8, 1, 128, 32800, span(32784, 16), 0}, decode_run(element));
  }
}

// Once the decode kernels are the default for a decode pass over F16 and Q8_0, the same results.
TEST(CudaAttention, TheDefaultDecodePassMatches) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedAttentionChoice none(nullptr);
  // (Run qualified: inside a TEST, plain Run is testing::Test::Run.)
  const auto run = [](KvElement element, bool one_sequence) -> ::nt::cuda::test::Run {
    if (kDecodeKernelsByDefault) return decode_run(element, one_sequence);
    // Without the decode kernels a pass of fewer than kFlashMinTokens tokens takes the naive ones,
    // one sequence or several.
    return {element, one_sequence, element == KvElement::Q8_0 ? kQ8WidenedTolerance : kF16WeightsTolerance,
            AttentionKernels::Naive};
  };
  check({32, 8, 128, 3000, {2999}, 0}, run(KvElement::F16, true));
  check({32, 8, 128, 3000, {2999, 1000}, 0}, run(KvElement::Q8_0, false));
}

}  // namespace
}  // namespace nt::cuda::test

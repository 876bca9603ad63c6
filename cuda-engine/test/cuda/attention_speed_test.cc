// Speed of the attention kernels on the 8B shape (32 query heads, 8 KV heads of 128 values):
// one decode token at depths 512, 8k and 32k, as GB/s of keys and values read (each position's
// K and V rows of the 8 KV heads, in the cache's type, once), and a 512-token prefill at depth 0
// and 8k in ms, for each cache type, with NT_ATTENTION=decode (the decode passes only, and only
// for the caches the decode kernels take: F16 and Q8_0), flash and naive side by side (the default
// takes decode for decode passes where it can, flash for prompts, naive for the rest:
// cuda/kernels/attention.h). Disabled by default (it asserts nothing); run on the GPU machine
// with --gtest_also_run_disabled_tests.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

#include "cuda/cuda_test_device.h"
#include "cuda/kernels/attention.h"
#include "cuda/kernels/decode_attention.h"

namespace nt::cuda::test {
namespace {

constexpr int32_t kHeads = 32, kKvHeads = 8, kHeadDim = 128, kKvDim = kKvHeads * kHeadDim;

int64_t row_bytes(KvElement element) {
  return element == KvElement::F32 ? kKvDim * 4 : element == KvElement::F16 ? kKvDim * 2 : kKvDim / 32 * 34;
}

const char* name_of(KvElement element) {
  return element == KvElement::F32 ? "f32" : element == KvElement::F16 ? "f16" : "q8_0";
}

void choose(const char* kernels) {
  if (kernels) {
    setenv("NT_ATTENTION", kernels, 1);
  } else {
    unsetenv("NT_ATTENTION");
  }
}

TEST(CudaAttentionSpeed, DISABLED_ReportsKvBandwidthAndPrefillTime) {
  NT_SKIP_WITHOUT_CUDA();
  constexpr int32_t kMaxDepth = 32768 + 512, kPrefill = 512;
  const int32_t blocks = kMaxDepth / kKvBlockPositions;
  std::vector<int32_t> table(static_cast<size_t>(blocks));
  std::iota(table.rbegin(), table.rend(), 0);  // blocks in reverse, as a fragmented pool
  const DeviceBuffer<int32_t> tables = to_device(table);
  const DeviceBuffer<float> q(int64_t{kPrefill} * kHeads * kHeadDim, "q");
  const DeviceBuffer<float> out(int64_t{kPrefill} * kHeads * kHeadDim, "out");
  // The values do not change the kernels' speed: bytes of 0x3C are 1.06 in F16, ~0.01 in F32.
  CUDA_CHECK(cudaMemset(q.get(), 0x3C, q.size() * sizeof(float)));
  const int64_t slots = int64_t{kHeads} * 2 * kPrefill;  // as PassBuffers: 2 per token, 64 for one token
  DeviceBuffer<float> scratch(attention_scratch_floats(slots, kHeadDim), "scratch");
  DeviceBuffer<TokenCache> tokens(kPrefill, "tokens");
  const char* saved = std::getenv("NT_ATTENTION");
  const std::string restore = saved ? saved : "";
  for (const KvElement element : {KvElement::F32, KvElement::F16, KvElement::Q8_0}) {
    const int64_t bytes = int64_t{blocks} * kKvBlockPositions * row_bytes(element);
    const DeviceBuffer<uint8_t> k(bytes, "k"), v(bytes, "v");
    CUDA_CHECK(cudaMemset(k.get(), 0x3C, bytes));
    CUDA_CHECK(cudaMemset(v.get(), 0x3C, bytes));
    const KvLayout kv{k.get(), v.get(), tables.get(), kKvBlockPositions * row_bytes(element),
                      kKvBlockPositions * row_bytes(element), row_bytes(element), blocks, element};
    const auto run = [&](int32_t first, int32_t n) {
      std::vector<TokenCache> host(static_cast<size_t>(n));
      for (int32_t i = 0; i < n; ++i) host[static_cast<size_t>(i)] = TokenCache{0, first + i};
      CUDA_CHECK(cudaMemcpy(tokens.get(), host.data(), host.size() * sizeof(TokenCache), cudaMemcpyHostToDevice));
      return time_ms([&] {
        attention(q.get(), tokens.get(), kv, n, true, 0, AttentionShape{kHeads, kKvHeads, kHeadDim}, first + n,
                  scratch.get(), slots, out.get(), test_stream());
      }, 20);
    };
    std::printf("  %-4s", name_of(element));
    const bool decode = decode_attention_takes(kv, AttentionShape{kHeads, kKvHeads, kHeadDim});
    for (const char* kernels : {"decode", "flash", "naive"}) {
      if (std::string(kernels) == "decode" && !decode) continue;
      choose(kernels);
      for (const int32_t depth : {512, 8192, 32768}) {
        const float ms = run(depth - 1, 1);
        std::printf("  %s tg@%d %6.0f GB/s", kernels, depth,
                    2.0 * depth * row_bytes(element) / (ms * 1e6));
      }
      if (std::string(kernels) == "decode") continue;  // prompts take flash attention
      for (const int32_t depth : {0, 8192}) {
        std::printf("  %s pp%d@%d %7.3f ms", kernels, kPrefill, depth, run(depth, kPrefill));
      }
    }
    std::printf("\n");
  }
  choose(saved ? restore.c_str() : nullptr);
}

}  // namespace
}  // namespace nt::cuda::test

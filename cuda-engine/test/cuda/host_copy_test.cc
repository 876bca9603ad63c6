// cuda/kernels/host_copy.h: a kernel that reads pinned host memory copies every part whole and
// nothing past it, in one launch; a size that is not whole words is refused.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/engine_error.h"
#include "cuda/cuda_test_device.h"
#include "cuda/device_buffer.h"
#include "cuda/kernels/host_copy.h"

namespace nt::cuda::test {
namespace {

TEST(CudaHostCopy, CopiesEachPartFromPinnedMemoryAndNothingPastIt) {
  NT_SKIP_WITHOUT_CUDA();
  // One word, a part shorter than a block, and one past the grid's 32 blocks (the loop's second round).
  const std::vector<uint64_t> words = {1, 1000, 100003};
  HostCopies copies;
  std::vector<PinnedBuffer<uint32_t>> sources;
  std::vector<DeviceBuffer<uint32_t>> targets;
  for (size_t p = 0; p < words.size(); ++p) {
    sources.emplace_back(words[p], "source");
    for (uint64_t i = 0; i < words[p]; ++i) sources[p].get()[i] = static_cast<uint32_t>(p * 1000003 + i * 7 + 1);
    targets.push_back(to_device(std::vector<uint32_t>(words[p] + 16, 0xdeadbeef)));
    copies.part[copies.count++] = {sources[p].get(), targets[p].get(), words[p] * 4};
  }
  copy_from_host(copies, test_stream());
  for (size_t p = 0; p < words.size(); ++p) {
    const std::vector<uint32_t> got = to_host(targets[p].get(), words[p] + 16);
    for (uint64_t i = 0; i < words[p]; ++i) ASSERT_EQ(got[i], sources[p].get()[i]) << "part " << p << " word " << i;
    for (uint64_t i = words[p]; i < words[p] + 16; ++i) ASSERT_EQ(got[i], 0xdeadbeefu) << "past part " << p;
  }
}

TEST(CudaHostCopy, RefusesAPartThatIsNotWholeWords) {
  NT_SKIP_WITHOUT_CUDA();
  PinnedBuffer<uint8_t> source(8, "source");
  DeviceBuffer<uint8_t> target(8, "target");
  HostCopies copies;
  copies.part[copies.count++] = {source.get(), target.get(), 6};
  try {
    copy_from_host(copies, test_stream());
    FAIL() << "a 6-byte part was copied";
  } catch (const EngineError& e) {
    EXPECT_NE(std::string(e.what()).find("6 bytes"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace nt::cuda::test

// The raw storage backend (DESIGN §2): the root helper places a GGUF as an image at a 4096-aligned
// offset of a block device and hands over a read-only O_DIRECT fd. Here the "device" is a temp
// file with junk before and after the image; loading from it must give the file-loaded model's
// logits exactly, with tier C streamed from the fd, and leave the caller's fd open.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/engine_error.h"
#include "error_code_of.h"
#include "model/model.h"
#include "model/plan_input.h"
#include "model/stories_model.h"
#include "test_data.h"

namespace nt {

namespace {

constexpr uint64_t kImageOffset = 8192;

using test::cpu_options;
using test::stories_path;

// junk, then the GGUF at kImageOffset, then more junk: a device holds more than one image.
class ImageFile {
 public:
  ImageFile() : path_(testing::TempDir() + "/nt-image-" + std::to_string(::getpid()) + ".img") {
    std::ifstream in(stories_path(), std::ios::binary);
    const std::vector<char> gguf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_ = gguf.size();
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    const std::vector<char> junk(kImageOffset, '\x5a');
    out.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    out.write(gguf.data(), static_cast<std::streamsize>(gguf.size()));
    out.write(junk.data(), 5000);
  }
  ~ImageFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }

 private:
  std::string path_;
  uint64_t size_ = 0;
};

std::string load_error(const ModelSource& source) {
  return test::error_code_of([&] { Model::load(source, cpu_options(-1, -1, 3), nullptr); });
}

class ImageModel : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_TEST_DATA();
    image_ = std::make_unique<ImageFile>();
    resident_ = Model::load(stories_path(), cpu_options(-1, -1, 3), nullptr);
    tokens_ = resident_->tokenizer().encode("Once upon a time, there was a little girl named Lily.", true, false);
    expected_ = resident_->evaluate(tokens_, 7);
  }

  // Budgets that leave only the host-only tensors resident: every block streams from the image.
  ModelOptions everything_streams() const { return test::everything_streams(resident_->plan()); }

  void expect_file_logits(Model& m) {
    const std::vector<float> got = m.evaluate(tokens_, 7);
    ASSERT_EQ(got.size(), expected_.size());
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], expected_[i]) << "logit " << i;
  }

  void check_streams_from(int fd) {
    auto m = Model::load(ModelSource::image(fd, kImageOffset, image_->size(), "stories"), everything_streams(), nullptr);
    EXPECT_GT(m->plan().totals.c, 0u);
    EXPECT_TRUE(m->direct_io());
    expect_file_logits(*m);
    EXPECT_GT(m->stream_stats().bytes_read, 0u);
  }

  std::unique_ptr<ImageFile> image_;
  std::unique_ptr<Model> resident_;
  std::vector<TokenId> tokens_;
  std::vector<float> expected_;
};

}  // namespace

TEST_F(ImageModel, AnImageStreamedThroughAPlainFdGivesTheFileLogits) {
  const int fd = ::open(image_->path().c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  check_streams_from(fd);
  ::close(fd);
}

TEST_F(ImageModel, AnImageStreamedThroughAnODirectFdGivesTheFileLogits) {
  const int fd = ::open(image_->path().c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
  if (fd < 0) GTEST_SKIP() << "the temp directory refuses O_DIRECT";
  check_streams_from(fd);
  ::close(fd);
}

TEST_F(ImageModel, AResidentImageGivesTheFileLogitsAndLeavesTheCallersFdOpen) {
  const int fd = ::open(image_->path().c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto m = Model::load(ModelSource::image(fd, kImageOffset, image_->size(), "stories"), cpu_options(-1, -1, 3), nullptr);
  EXPECT_EQ(m->plan().totals.c, 0u);
  expect_file_logits(*m);
  m.reset();
  EXPECT_GE(::fcntl(fd, F_GETFD), 0) << "the model closed the caller's fd";
  ::close(fd);
}

TEST_F(ImageModel, ClosingTheCallersFdDoesNotStopAStreamingModel) {
  const int fd = ::open(image_->path().c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto m = Model::load(ModelSource::image(fd, kImageOffset, image_->size(), "stories"), everything_streams(), nullptr);
  ::close(fd);
  expect_file_logits(*m);
}

TEST_F(ImageModel, TruncatedImagesAreRefused) {
  const int fd = ::open(image_->path().c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  // The image says it ends before its last tensor does.
  EXPECT_EQ(load_error(ModelSource::image(fd, kImageOffset, image_->size() - 4096, "short")), "NT_E_BAD_GGUF");
  // The image says it runs past the end of the device.
  EXPECT_EQ(load_error(ModelSource::image(fd, kImageOffset, image_->size() + 8192, "long")), "NT_E_IO");
  // Not a GGUF at that offset.
  EXPECT_EQ(load_error(ModelSource::image(fd, 0, image_->size(), "junk")), "NT_E_BAD_GGUF");
  ::close(fd);
}

TEST_F(ImageModel, BadImageParametersAreRefused) {
  const int fd = ::open(image_->path().c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(load_error(ModelSource::image(fd, kImageOffset + 100, image_->size(), "x")), "NT_E_BAD_REQUEST");
  EXPECT_EQ(load_error(ModelSource::image(fd, kImageOffset, 0, "x")), "NT_E_BAD_REQUEST");
  EXPECT_EQ(load_error(ModelSource::image(-1, kImageOffset, image_->size(), "x")), "NT_E_BAD_REQUEST");
  ::close(fd);
  EXPECT_EQ(load_error(ModelSource::image(fd, kImageOffset, image_->size(), "closed")), "NT_E_IO");
}

}  // namespace nt

// The vfio storage backend (DESIGN §2, issue 15): a model loaded from nt-nvme-helper's data-plane
// session alone — no path, no block device — reads its header, its resident tiers and tier C
// through the ring, and gives the file-loaded model's logits exactly, tier C uploaded straight from
// the ring's slots. The helper here is FakeDataplane, a thread serving the ring from the GGUF file
// as the helper serves it from the placed image; scripts/qemu/runVfioProof.sh runs the real one.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "dataplaneRing.h"
#include "error_code_of.h"
#include "model/fake_dataplane.h"
#include "model/model.h"
#include "model/plan_input.h"
#include "model/stories_model.h"
#include "test_data.h"

namespace nt {

namespace {

using test::cpu_options;
using test::FakeDataplane;
using test::stories_path;

constexpr uint32_t kLba = 512;
constexpr uint32_t kSlots = 4;
constexpr uint64_t kSlotBytes = 64 << 10;

class VfioModel : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_TEST_DATA();
    resident_ = Model::load(stories_path(), cpu_options(-1, -1, 3), nullptr);
    tokens_ = resident_->tokenizer().encode("Once upon a time, there was a little girl named Lily.", true, false);
    expected_ = resident_->evaluate(tokens_, 7);
    helper_ = std::make_unique<FakeDataplane>(stories_path(), kLba, kSlots, kSlotBytes);
  }

  ModelSource session(uint64_t size) const {
    ModelSource s = ModelSource::vfio(helper_->fd(), size, "stories");
    s.timeout_ms = 2000;
    return s;
  }

  // Budgets that leave only the host-only tensors resident: every block streams through the ring.
  ModelOptions everything_streams() const { return test::everything_streams(resident_->plan()); }

  void expect_file_logits(Model& m) {
    const std::vector<float> got = m.evaluate(tokens_, 7);
    ASSERT_EQ(got.size(), expected_.size());
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], expected_[i]) << "logit " << i;
  }

  std::unique_ptr<Model> resident_;
  std::vector<TokenId> tokens_;
  std::vector<float> expected_;
  std::unique_ptr<FakeDataplane> helper_;
};

}  // namespace

TEST_F(VfioModel, TierCStreamedThroughTheRingGivesTheFileLogits) {
  auto m = Model::load(session(helper_->image_bytes()), everything_streams(), nullptr);
  EXPECT_GT(m->plan().totals.c, 0u);
  EXPECT_TRUE(m->direct_io());
  const uint32_t after_load = helper_->served();
  EXPECT_GT(after_load, 0u) << "the header and resident tensors came through the ring";
  expect_file_logits(*m);
  EXPECT_GT(helper_->served(), after_load) << "tier C came through the ring";
  EXPECT_GT(m->stream_stats().bytes_read, 0u);
  EXPECT_EQ("reader-buffers", m->stream_stats().tier_c_path) << "uploaded from the data plane's slots, not staged";
  EXPECT_EQ(0u, helper_->reused_while_held());
  EXPECT_EQ(0u, helper_->refused()) << "every request the engine made was one the helper accepts";
  EXPECT_EQ(NT_DP_STATE_OPEN, helper_->session_state());
  m.reset();
  EXPECT_EQ(NT_DP_STATE_CLIENT_CLOSED, helper_->session_state()) << "unloading ends the session";
}

TEST_F(VfioModel, AResidentModelEndsTheSessionOnceLoaded) {
  auto m = Model::load(session(helper_->image_bytes()), cpu_options(-1, -1, 3), nullptr);
  EXPECT_EQ(m->plan().totals.c, 0u);
  EXPECT_EQ(NT_DP_STATE_CLIENT_CLOSED, helper_->session_state()) << "nothing streams: the session is over";
  expect_file_logits(*m);
  EXPECT_EQ(0u, helper_->refused());
}

TEST_F(VfioModel, ASessionOfAnotherImageOrNoDescriptorIsRefused) {
  const auto load_error = [&](const ModelSource& s) {
    return test::error_code_of([&] { Model::load(s, everything_streams(), nullptr); });
  };
  EXPECT_EQ("NT_E_BAD_REQUEST", load_error(session(helper_->image_bytes() - 4096)));
  EXPECT_EQ("NT_E_BAD_REQUEST", load_error(ModelSource::vfio(-1, helper_->image_bytes(), "none")));
  // A descriptor that is no data-plane ring: the stories file itself.
  const int fd = ::open(stories_path().c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ("NT_E_IO", load_error(ModelSource::vfio(fd, helper_->image_bytes(), "not a ring")));
  ::close(fd);
}

TEST_F(VfioModel, AHelperThatStopsTheSessionMidStreamFailsTheModelWithAnIoError) {
  auto m = Model::load(session(helper_->image_bytes()), everything_streams(), nullptr);
  helper_->stop_after(helper_->served() + 2);
  EXPECT_EQ("NT_E_IO", test::error_code_of([&] { m->evaluate(tokens_, 7); }));
  // Failed for good: the next pass is refused rather than reading a ring out of step.
  EXPECT_EQ("NT_E_IO", test::error_code_of([&] { m->evaluate(tokens_, 7); }));
}

TEST_F(VfioModel, AHelperThatDiesMidStreamFailsTheModelWithAnIoErrorNotAHang) {
  auto m = Model::load(session(helper_->image_bytes()), everything_streams(), nullptr);
  EXPECT_EQ("reader-buffers", m->stream_stats().tier_c_path);
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    helper_->die();
  });
  const auto t0 = std::chrono::steady_clock::now();
  const std::string first = test::error_code_of([&] {
    for (int i = 0; i < 50; ++i) m->evaluate(tokens_, 7);  // passes until the helper is gone
  });
  killer.join();
  EXPECT_EQ("NT_E_IO", first);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30)) << "within the session's timeout";
  EXPECT_EQ("NT_E_IO", test::error_code_of([&] { m->evaluate(tokens_, 7); }));
}

// The storage speed measured at load is cached per process by drive: a second model on the same
// drive reuses it, one on another drive (or a session naming none) is measured anew. Counted in
// the helper's completions: a measurement reads megabytes of the image, a load without one only
// the header and the resident tensors.
TEST_F(VfioModel, TheMeasuredStorageSpeedIsKeptPerDrive) {
  const auto requests_of_a_load = [&](const std::string& drive) {
    FakeDataplane helper(stories_path(), kLba, kSlots, kSlotBytes);
    ModelSource s = ModelSource::vfio(helper.fd(), helper.image_bytes(), "stories");
    s.timeout_ms = 2000;
    s.device = drive;
    Model::load(s, cpu_options(-1, -1, 3), nullptr);
    return helper.served();
  };
  const uint32_t first = requests_of_a_load("test:drive-a");
  const uint32_t again = requests_of_a_load("test:drive-a");
  EXPECT_LT(again + 10, first) << "the same drive's figure is reused";
  EXPECT_GT(requests_of_a_load("test:drive-b"), again + 10) << "another drive is measured";
  EXPECT_GT(requests_of_a_load(""), again + 10) << "a session naming no drive is measured";
}

}  // namespace nt

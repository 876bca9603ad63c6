// The dual path's calibration cache (model/calibration.h): entries round-trip per key, other keys'
// lines survive a rewrite, a malformed line or a missing file is no entry, an unwritable path is
// NT_E_IO; and a load with the dual path measures the CPU and writes the cache.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/engine_error.h"
#include "gguf/ggml_type.h"
#include "model/calibration.h"
#include "model/model.h"
#include "model/stories_model.h"
#include "test_data.h"

namespace nt {

namespace {

CpuRates rates(double base) {
  CpuRates r;
  r.cpu_gbps = base;
  r.cpu_batch_gbps = base / 4;
  r.batch = 8;
  r.h2d_together_gbps = base / 2;
  r.cpu_together_gbps = base / 3;
  return r;
}

void expect_rates(const CpuRates& got, const CpuRates& want) {
  EXPECT_NEAR(got.cpu_gbps, want.cpu_gbps, 1e-3);
  EXPECT_NEAR(got.cpu_batch_gbps, want.cpu_batch_gbps, 1e-3);
  EXPECT_EQ(got.batch, want.batch);
  EXPECT_NEAR(got.h2d_together_gbps, want.h2d_together_gbps, 1e-3);
  EXPECT_NEAR(got.cpu_together_gbps, want.cpu_together_gbps, 1e-3);
}

std::string temp_file(const std::string& name) {
  const std::string path = testing::TempDir() + "/" + name;
  std::filesystem::remove(path);
  return path;
}

}  // namespace

TEST(CalibrationCache, EntriesRoundTripPerKeyAndSurviveOtherKeysRewrites) {
  const std::string path = temp_file("calibration-roundtrip.tsv");
  const CalibrationKey a{"Some CPU\twith a tab", 16, "cuda NVIDIA H100", "q4_K"};
  const CalibrationKey b{"Some CPU\twith a tab", 8, "cuda NVIDIA H100", "q4_K"};
  CpuRates got;
  EXPECT_FALSE(read_calibration(path, a, got));  // no file: no entry
  write_calibration(path, a, rates(60));
  write_calibration(path, b, rates(30));
  ASSERT_TRUE(read_calibration(path, a, got));
  expect_rates(got, rates(60));
  write_calibration(path, a, rates(90));  // replaces a's line, keeps b's
  ASSERT_TRUE(read_calibration(path, a, got));
  expect_rates(got, rates(90));
  ASSERT_TRUE(read_calibration(path, b, got));
  expect_rates(got, rates(30));
  std::ifstream in(path);
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  EXPECT_EQ(lines, 2);
  EXPECT_FALSE(read_calibration(path, CalibrationKey{"other", 16, "cpu", "f32"}, got));
}

TEST(CalibrationCache, AMalformedLineIsNoEntry) {
  const std::string path = temp_file("calibration-malformed.tsv");
  const CalibrationKey key{"cpu", 2, "cpu", "f32"};
  std::ofstream(path) << key.text() << "\tnot numbers\n" << key.text() << "\t0\t0\t0\t0\t0\n";
  CpuRates got;
  EXPECT_FALSE(read_calibration(path, key, got));  // words, then a zero B_cpu the planner cannot use
}

// Figures of another format version were measured another way (v1: one synthetic matrix, which
// overstated what a pass's layers run at): never read, and gone after the next write.
TEST(CalibrationCache, LinesOfAnotherVersionAreNotReadAndARewriteDropsThem) {
  const std::string path = temp_file("calibration-version.tsv");
  const CalibrationKey key{"cpu", 2, "cpu", "layers"};
  std::string unversioned = key.text();
  unversioned = unversioned.substr(unversioned.find('\t') + 1);  // the v1 line: no version field
  std::ofstream(path) << unversioned << "\t60\t15\t8\t20\t30\n" << "v999\t" << unversioned << "\t60\t15\t8\t20\t30\n";
  CpuRates got;
  EXPECT_FALSE(read_calibration(path, key, got));
  write_calibration(path, CalibrationKey{"cpu", 4, "cpu", "layers"}, rates(10));
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind(std::string(kCalibrationVersion) + "\t", 0), 0u) << lines[0];
}

TEST(CalibrationCache, AnUnwritablePathIsAnIoError) {
  try {
    write_calibration("/nonexistent-dir/calibration.tsv", CalibrationKey{"cpu", 1, "cpu", "f32"}, rates(1));
    FAIL() << "wrote into a missing directory";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_IO");
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/calibration.tsv"), std::string::npos) << e.what();
  }
}

TEST(CalibrationCache, ALoadWithTheDualPathMeasuresTheCpuAndCachesIt) {
  REQUIRE_TEST_DATA();
  const std::string path = temp_file("calibration-load.tsv");
  ModelOptions o = test::cpu_options(-1, -1);
  o.dual_path = DualPathMode::On;  // auto plans as off on the CPU backend (dualPathEngine.test.ts)
  o.calibration_cache = path;
  o.recalibrate = true;  // another test of this process may have measured already
  auto m = Model::load(test::stories_path(), o, nullptr);
  const CpuRates& r = m->plan().cpu_rates;  // stories260K is F32 throughout
  EXPECT_GT(r.cpu_gbps, 0);
  EXPECT_GT(r.cpu_batch_gbps, 0);
  EXPECT_GT(r.h2d_together_gbps, 0);
  EXPECT_GT(r.cpu_together_gbps, 0);
  CpuRates cached;
  // The work field names the model's layers that were run: stories260K's F32 matrices.
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line)) << path;
  const std::string work = line.substr(0, line.find("\t", line.find("\tcpu\t") + 5)).substr(line.find("\tcpu\t") + 5);
  EXPECT_EQ(work.rfind("layers ", 0), 0u) << line;
  EXPECT_NE(work.find("F32,F32,F32,F32,F32,F32,F32"), std::string::npos) << line;
  ASSERT_TRUE(read_calibration(path, CalibrationKey{cpu_model_name(), 2, "cpu", work}, cached)) << path;
  expect_rates(cached, r);
  EXPECT_NE(m->plan_text().find("dual path on"), std::string::npos) << m->plan_text();
}

}  // namespace nt

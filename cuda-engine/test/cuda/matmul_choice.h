// An environment variable for the length of a test (nullptr: unset): NT_MATMUL, which the dispatcher
// in cuda/kernels/matmul.cu reads on every call ("fp32" keeps products on the float kernels), or
// NT_MMA_TILE, the integer GEMM's prefill tile (cuda/kernels/mma_tiles.h).
#pragma once

#include <cstdlib>
#include <string>

namespace nt::cuda::test {

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    set(value);
  }
  ~ScopedEnv() { set(had_ ? old_.c_str() : nullptr); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void set(const char* value) {
    if (value) {
      setenv(name_.c_str(), value, 1);
    } else {
      unsetenv(name_.c_str());
    }
  }
  std::string name_;
  bool had_ = false;
  std::string old_;
};

// NT_MATMUL: "fp32", "int8" or nullptr (the default).
class ScopedMatmulChoice : public ScopedEnv {
 public:
  explicit ScopedMatmulChoice(const char* choice) : ScopedEnv("NT_MATMUL", choice) {}
};

}  // namespace nt::cuda::test

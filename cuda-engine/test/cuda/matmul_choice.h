// NT_MATMUL for the length of a test: "fp32" keeps products on the float kernels (the choice the
// dispatcher in cuda/kernels/matmul.cu reads on every call), nullptr the default.
#pragma once

#include <cstdlib>
#include <string>

namespace nt::cuda::test {

class ScopedMatmulChoice {
 public:
  explicit ScopedMatmulChoice(const char* choice) {
    const char* old = std::getenv("NT_MATMUL");
    had_ = old != nullptr;
    if (had_) old_ = old;
    set(choice);
  }
  ~ScopedMatmulChoice() { set(had_ ? old_.c_str() : nullptr); }
  ScopedMatmulChoice(const ScopedMatmulChoice&) = delete;
  ScopedMatmulChoice& operator=(const ScopedMatmulChoice&) = delete;

 private:
  static void set(const char* choice) {
    if (choice) {
      setenv("NT_MATMUL", choice, 1);
    } else {
      unsetenv("NT_MATMUL");
    }
  }
  bool had_ = false;
  std::string old_;
};

}  // namespace nt::cuda::test

// The host clock around one synchronous op (the CPU backend's, the dual path's segments): adds
// the op's time to the profile when it ends. With no profile it reads no clock.
#pragma once

#include <chrono>
#include <cstdint>

#include "backend/op_profile.h"

namespace nt {

class HostOpTimer {
 public:
  HostOpTimer(OpProfile* profile, const char* op, uint64_t bytes) : profile_(profile), op_(op), bytes_(bytes) {
    if (profile_) start_ = std::chrono::steady_clock::now();
  }
  ~HostOpTimer() {
    if (profile_) profile_->add(op_, elapsed_ms(), bytes_);
  }
  HostOpTimer(const HostOpTimer&) = delete;
  HostOpTimer& operator=(const HostOpTimer&) = delete;

  double elapsed_ms() const {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  OpProfile* profile_;
  const char* op_;
  uint64_t bytes_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace nt

#pragma once

#include <string>
#include <vector>

namespace nt {

// Releases generated text as it arrives, except a tail that could still become one of the stop
// strings; reports when a stop string is complete. Text after a stop string is never released.
class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {}

  // Adds text; returns what can be released now. Sets stopped() once a stop string appears.
  std::string push(const std::string& text);
  // What is still held back (at the end of generation it is released, unless stopped).
  const std::string& held() const { return held_; }
  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

}  // namespace nt

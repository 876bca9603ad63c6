#include "engine/stop_matcher.h"

#include <algorithm>

namespace nt {

namespace {

// Length of the longest suffix of text that is a proper prefix of stop.
size_t partial_match(const std::string& text, const std::string& stop) {
  for (size_t len = std::min(text.size(), stop.size() - 1); len > 0; --len) {
    if (text.compare(text.size() - len, len, stop, 0, len) == 0) return len;
  }
  return 0;
}

}  // namespace

std::string StopMatcher::push(const std::string& text) {
  if (stopped_) return {};
  held_ += text;
  size_t first = std::string::npos;
  for (const auto& stop : stops_) {
    if (!stop.empty()) first = std::min(first, held_.find(stop));
  }
  if (first != std::string::npos) {
    stopped_ = true;
    std::string released = held_.substr(0, first);
    held_.clear();
    return released;
  }
  size_t keep = 0;
  for (const auto& stop : stops_) {
    if (!stop.empty()) keep = std::max(keep, partial_match(held_, stop));
  }
  std::string released = held_.substr(0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  return released;
}

}  // namespace nt

#include "backend/op_profile.h"

#include <algorithm>

namespace nt {

void OpProfile::add(const std::string& op, double ms, uint64_t bytes) {
  auto it = std::find_if(ops_.begin(), ops_.end(), [&](const OpTime& t) { return t.op == op; });
  if (it == ops_.end()) it = ops_.insert(ops_.end(), OpTime{op, 0, 0, 0});
  it->calls += 1;
  it->ms += ms;
  it->bytes += bytes;
}

void OpProfile::merge(const OpProfile& other, const std::string& prefix) {
  for (const OpTime& t : other.ops_) {
    auto it = std::find_if(ops_.begin(), ops_.end(), [&](const OpTime& o) { return o.op == prefix + t.op; });
    if (it == ops_.end()) it = ops_.insert(ops_.end(), OpTime{prefix + t.op, 0, 0, 0});
    it->calls += t.calls;
    it->ms += t.ms;
    it->bytes += t.bytes;
  }
}

void OpProfile::add_segment(const SegmentTime& s) {
  auto it = std::find_if(segments_.begin(), segments_.end(), [&](const SegmentTime& o) {
    return o.cpu == s.cpu && o.first == s.first && o.last == s.last && o.head == s.head;
  });
  if (it == segments_.end()) {
    segments_.push_back(s);
    return;
  }
  it->calls += s.calls;
  it->ms += s.ms;
  it->ops_ms += s.ops_ms;
  it->bytes += s.bytes;
}

double OpProfile::ops_ms() const {
  double sum = 0;
  for (const OpTime& t : ops_) sum += t.ms;
  return sum;
}

uint64_t OpProfile::ops_bytes() const {
  uint64_t sum = 0;
  for (const OpTime& t : ops_) sum += t.bytes;
  return sum;
}

const OpTime* OpProfile::find(const std::string& op) const {
  auto it = std::find_if(ops_.begin(), ops_.end(), [&](const OpTime& t) { return t.op == op; });
  return it == ops_.end() ? nullptr : &*it;
}

}  // namespace nt

#include "tier/plan_shape.h"

#include <algorithm>

#include "core/engine_error.h"

namespace nt::plan {

namespace {

// A vector in a block is "small" when the block's largest tensor is at least this many times its
// size (a norm is 1/n_embd of a matrix; K/V projections under GQA are only ~1/8, so they stay).
constexpr uint64_t kSmallRatio = 64;

// Groups: non-layer per-pass tensors first (input order), then every block 0..max layer.
std::vector<size_t> make_groups(const TierPlanInput& in, Shape& s) {
  std::vector<size_t> group_of(in.tensors.size(), SIZE_MAX);
  int32_t n_layer = 0;
  for (size_t i = 0; i < in.tensors.size(); ++i) {
    const TierTensor& t = in.tensors[i];
    n_layer = std::max(n_layer, t.layer + 1);
    if (!t.per_pass) {
      s.host_only.push_back(i);
      s.host_only_bytes += t.bytes;
    } else if (t.layer < 0) {
      group_of[i] = s.groups.size();
      s.groups.push_back({t.name, -1, 0});
    }
  }
  const size_t first_block = s.groups.size();
  for (int32_t l = 0; l < n_layer; ++l) s.groups.push_back({"blk." + std::to_string(l), l, 0});
  for (size_t i = 0; i < in.tensors.size(); ++i) {
    const TierTensor& t = in.tensors[i];
    if (t.per_pass && t.layer >= 0) group_of[i] = first_block + t.layer;
    if (group_of[i] != SIZE_MAX) s.groups[group_of[i]].bytes += t.bytes;
  }
  return group_of;
}

}  // namespace

Shape make_shape(const TierPlanInput& in) {
  Shape s;
  const std::vector<size_t> group_of = make_groups(in, s);
  std::vector<uint64_t> largest(s.groups.size(), 0);
  for (size_t i = 0; i < in.tensors.size(); ++i) {
    if (group_of[i] != SIZE_MAX) largest[group_of[i]] = std::max(largest[group_of[i]], in.tensors[i].bytes);
  }
  std::vector<Unit> bodies(s.groups.size());
  for (size_t i = 0; i < in.tensors.size(); ++i) {
    const size_t g = group_of[i];
    if (g == SIZE_MAX) continue;
    const uint64_t bytes = in.tensors[i].bytes;
    const bool small = in.tensors[i].layer >= 0 && bytes * kSmallRatio <= largest[g];
    Unit& unit = small ? s.units.emplace_back() : bodies[g];
    unit.tensors.push_back(i);
    unit.bytes += bytes;
    unit.group = g;
  }
  for (Unit& body : bodies) {
    if (!body.tensors.empty()) s.units.push_back(std::move(body));
  }
  std::stable_sort(s.units.begin(), s.units.end(), [](const Unit& x, const Unit& y) {
    if (x.bytes != y.bytes) return x.bytes < y.bytes;
    if (x.group != y.group) return x.group < y.group;
    return x.tensors.front() < y.tensors.front();
  });
  return s;
}

Tier as_streamed(Tier tier) { return tier == Tier::D ? Tier::B : tier; }

std::vector<uint64_t> streamed_per_group(const Shape& s, const Tiers& tiers, Tier to) {
  std::vector<uint64_t> bytes(s.groups.size(), 0);
  for (size_t u = 0; u < s.units.size(); ++u) {
    if (as_streamed(tiers[u]) > to) bytes[s.units[u].group] += s.units[u].bytes;
  }
  return bytes;
}

std::pair<uint64_t, size_t> largest_streamed(const Shape& s, const Tiers& tiers, Tier to) {
  const std::vector<uint64_t> bytes = streamed_per_group(s, tiers, to);
  std::pair<uint64_t, size_t> best{0, SIZE_MAX};
  for (size_t g = 0; g < bytes.size(); ++g) {
    if (bytes[g] > best.first) best = {bytes[g], g};
  }
  return best;
}

TierBytes per_pass_totals(const Shape& s, const Tiers& tiers) {
  TierBytes b;
  for (size_t u = 0; u < s.units.size(); ++u) b.add(tiers[u], s.units[u].bytes);
  return b;
}

[[noreturn]] void out_of_memory(const std::string& message) {
  throw EngineError(NT_E_OUT_OF_MEMORY, message);
}

}  // namespace nt::plan

#include "model/placed_weights.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/engine_error.h"
#include "io/image_reader.h"

namespace nt {

namespace {

constexpr uint64_t kTensorAlignment = 256;     // what both SIMD loads and CUDA kernels like
constexpr uint64_t kBounceBytes = 64ull << 20;  // reads for tier A pass through this, and progress steps

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

// Where one resident tensor goes: which memory, and its offset there. Tier D (the dual path) is
// resident in pinned memory beside tier B: the CPU computes it where it lies.
enum class Home { Device, Host, Streamed, Pinned };

struct Slot {
  Home home = Home::Streamed;
  uint64_t offset = 0;
};

Home home_of(const TensorPlacement& p) {
  if (!p.per_pass) return Home::Host;
  if (p.tier == Tier::A) return Home::Device;
  if (p.tier == Tier::D) return Home::Pinned;
  return Home::Streamed;
}

// Load-time reads of the source: a file by path, an image through a dup of the borrowed fd, a
// data-plane session through the model's one reader of it.
std::unique_ptr<ImageReader> open_source(const ModelSource& source, StorageReader* session) {
  if (source.is_vfio()) return ImageReader::over(*session, source.size, source.label);
  if (!source.is_image()) return ImageReader::open(source.path);
  return ImageReader::borrow(source.fd, source.offset, source.size, source.label);
}

// Reads every resident tensor into its home, tier A through a pinned bounce buffer.
class Loader {
 public:
  Loader(const ModelSource& source, StorageReader* session, uint64_t data_offset, StreamDevice& device, uint64_t total,
         const LoadProgress& progress)
      : file_(open_source(source, session)), data_offset_(data_offset), device_(device), total_(total), progress_(progress) {}
  ~Loader() { device_.free_pinned(bounce_); }

  void to_host(uint8_t* dst, const GgufTensorInfo& t) {
    for (uint64_t done = 0; done < t.bytes; done += kBounceBytes) {
      const uint64_t n = std::min(kBounceBytes, t.bytes - done);
      file_->read(dst + done, data_offset_ + t.offset + done, n);
      advance(n);
    }
  }
  void to_device(uint8_t* dst, const GgufTensorInfo& t) {
    if (!bounce_) bounce_ = static_cast<uint8_t*>(device_.alloc_pinned(kBounceBytes));
    for (uint64_t done = 0; done < t.bytes; done += kBounceBytes) {
      const uint64_t n = std::min(kBounceBytes, t.bytes - done);
      file_->read(bounce_, data_offset_ + t.offset + done, n);
      device_.upload(dst + done, bounce_, n);
      advance(n);
    }
  }

 private:
  void advance(uint64_t n) {
    done_ += n;
    if (progress_) progress_(done_, total_);
  }
  std::unique_ptr<ImageReader> file_;
  uint64_t data_offset_;
  StreamDevice& device_;
  uint64_t total_, done_ = 0;
  const LoadProgress& progress_;
  uint8_t* bounce_ = nullptr;
};

// Offsets of every resident tensor in its memory, and the bytes each memory needs.
std::vector<Slot> lay_out(const TierPlan& plan, const BoundWeights& bound, uint64_t sizes[2]) {
  std::vector<Slot> slots(bound.tensors.size());
  for (size_t i = 0; i < bound.tensors.size(); ++i) {
    const TensorPlacement& p = plan.tensors[i];
    Slot& s = slots[i];
    s.home = home_of(p);
    if (s.home == Home::Streamed || s.home == Home::Pinned) continue;
    const int k = static_cast<int>(s.home);
    s.offset = sizes[k];
    sizes[k] += align_up(bound.tensors[i].info->bytes, kTensorAlignment);
  }
  return slots;
}

// Tier B tensors live in pinned memory: the streamer copies them from there every pass. Tier D
// ones too, their views bound there for the CPU.
void place_pinned_tier(PlacedWeights& placed, const TierPlan& plan, const BoundWeights& bound, Loader& loader,
                       std::vector<const uint8_t*>& pinned_home) {
  const auto pinned = [&](size_t i) { return plan.tensors[i].tier == Tier::B || plan.tensors[i].tier == Tier::D; };
  uint64_t bytes = 0;
  for (size_t i = 0; i < bound.tensors.size(); ++i) {
    if (home_of(plan.tensors[i]) != Home::Host && pinned(i)) bytes += align_up(bound.tensors[i].info->bytes, kTensorAlignment);
  }
  uint8_t* base = bytes ? placed.own_pinned(bytes) : nullptr;
  uint64_t offset = 0;
  for (size_t i = 0; i < bound.tensors.size(); ++i) {
    if (home_of(plan.tensors[i]) == Home::Host || !pinned(i)) continue;
    loader.to_host(base + offset, *bound.tensors[i].info);
    pinned_home[i] = base + offset;
    if (plan.tensors[i].tier == Tier::D) bound.tensors[i].view(placed.views()).data = base + offset;
    offset += align_up(bound.tensors[i].info->bytes, kTensorAlignment);
  }
}

// One group per step that streams anything: blocks in order, then the output norm and head.
// Tier-D blocks are optional groups (streamed in the passes that do not use the CPU).
void list_groups(PlacedWeights& placed, const TierPlan& plan, const BoundWeights& bound,
                 const std::vector<const uint8_t*>& pinned_home, size_t n_layer, uint64_t data_offset) {
  placed.steps().assign(n_layer + 1, PassStep{});
  std::vector<StreamGroup> per_step(n_layer + 1);
  for (size_t i = 0; i < bound.tensors.size(); ++i) {
    const bool cpu = plan.tensors[i].tier == Tier::D;
    if (home_of(plan.tensors[i]) != Home::Streamed && !cpu) continue;
    const BoundTensor& t = bound.tensors[i];
    const size_t step = t.layer >= 0 ? static_cast<size_t>(t.layer) : n_layer;
    StreamGroup& g = per_step[step];
    g.optional = cpu;  // a block is in tier D whole
    placed.steps()[step].cpu = cpu;
    g.name = t.layer >= 0 ? "blk." + std::to_string(t.layer) : "output";
    StreamedTensor s;
    s.name = t.name;
    s.from_storage = plan.tensors[i].tier == Tier::C;
    s.pinned = pinned_home[i];
    s.file_offset = data_offset + t.info->offset;
    s.bytes = t.info->bytes;
    placed.steps()[step].patches.push_back({t, g.tensors.size()});
    g.tensors.push_back(std::move(s));
  }
  for (size_t step = 0; step <= n_layer; ++step) {
    if (per_step[step].tensors.empty()) continue;
    placed.steps()[step].group = static_cast<int32_t>(placed.groups().size());
    placed.groups().push_back(std::move(per_step[step]));
  }
}

uint64_t resident_bytes(const TierPlan& plan, const BoundWeights& bound) {
  uint64_t total = 0;
  for (size_t i = 0; i < bound.tensors.size(); ++i) {
    if (home_of(plan.tensors[i]) != Home::Streamed || plan.tensors[i].tier == Tier::B) total += bound.tensors[i].info->bytes;
  }
  return total;
}

}  // namespace

PlacedWeights::~PlacedWeights() {
  for (void* p : device_blocks_) device_.free_device(p);
  for (void* p : pinned_blocks_) device_.free_pinned(p);
  for (void* p : host_blocks_) std::free(p);
}

uint8_t* PlacedWeights::own_device(uint64_t bytes) {
  device_blocks_.push_back(device_.alloc_device(bytes));
  return static_cast<uint8_t*>(device_blocks_.back());
}

uint8_t* PlacedWeights::own_pinned(uint64_t bytes) {
  pinned_blocks_.push_back(device_.alloc_pinned(bytes));
  return static_cast<uint8_t*>(pinned_blocks_.back());
}

uint8_t* PlacedWeights::own_host(uint64_t bytes) {
  void* p = nullptr;
  if (posix_memalign(&p, kTensorAlignment, bytes ? bytes : 1) != 0) {
    throw EngineError(NT_E_OUT_OF_MEMORY, "cannot allocate " + std::to_string(bytes) + " bytes of host memory for the weights");
  }
  host_blocks_.push_back(p);
  return static_cast<uint8_t*>(p);
}

std::unique_ptr<PlacedWeights> place_weights(const ModelSource& source, StorageReader* session, const GgufFile& file, BoundWeights bound,
                                             const TierPlan& plan, StreamDevice& device,
                                             const LoadProgress& progress) {
  auto placed = std::make_unique<PlacedWeights>(device, bound.views);
  uint64_t sizes[2] = {0, 0};  // bytes of Home::Device and Home::Host
  const std::vector<Slot> slots = lay_out(plan, bound, sizes);
  uint8_t* device_base = sizes[0] ? placed->own_device(sizes[0]) : nullptr;
  uint8_t* host_base = sizes[1] ? placed->own_host(sizes[1]) : nullptr;
  Loader loader(source, session, file.data_offset, device, resident_bytes(plan, bound), progress);
  for (size_t i = 0; i < bound.tensors.size(); ++i) {
    const BoundTensor& t = bound.tensors[i];
    if (slots[i].home == Home::Device) {
      loader.to_device(device_base + slots[i].offset, *t.info);
      t.view(placed->views()).data = device_base + slots[i].offset;
    } else if (slots[i].home == Home::Host) {
      loader.to_host(host_base + slots[i].offset, *t.info);
      t.view(placed->views()).data = host_base + slots[i].offset;
    }
  }
  std::vector<const uint8_t*> pinned_home(bound.tensors.size(), nullptr);
  place_pinned_tier(*placed, plan, bound, loader, pinned_home);
  list_groups(*placed, plan, bound, pinned_home, placed->views().layers.size(), file.data_offset);
  return placed;
}

}  // namespace nt

// A model's weights where the tier plan put them (DESIGN §2): tier A in device memory, tier B in
// pinned host memory, tier C left in the file, and the host-only tensors (token embedding, rope
// factors) in host memory. Owns that memory. The streamed tensors (B and C) are described as one
// StreamGroup per step of the pass — a block, or the output — for the WeightStreamer; so are the
// tier-D blocks, as optional groups from their pinned home (the passes that stream every block).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/stream_device.h"
#include "io/model_source.h"
#include "io/storage_reader.h"
#include "model/weights.h"
#include "stream/weight_streamer.h"
#include "tier/tier_plan.h"

namespace nt {

// A streamed tensor's view, filled with its slot address when its step begins.
struct StreamPatch {
  BoundTensor tensor;
  size_t index = 0;  // in its group's tensors
};

// One step of the pass: layer i (steps 0..n_layer-1) or the output (the last step).
struct PassStep {
  int32_t group = -1;  // index into PlacedWeights::groups, -1 when nothing of the step streams
  std::vector<StreamPatch> patches;
  bool cpu = false;    // tier D: streamed only in the passes that do not compute it on the CPU
};

class PlacedWeights {
 public:
  PlacedWeights(StreamDevice& device, ModelWeights views) : device_(device), views_(std::move(views)) {}
  ~PlacedWeights();
  PlacedWeights(const PlacedWeights&) = delete;
  PlacedWeights& operator=(const PlacedWeights&) = delete;

  ModelWeights& views() { return views_; }  // A and host-only tensors bound; streamed ones null
  std::vector<StreamGroup>& groups() { return groups_; }
  std::vector<PassStep>& steps() { return steps_; }

  // Memory the placement owns, freed through the device that allocated it.
  uint8_t* own_device(uint64_t bytes);
  uint8_t* own_pinned(uint64_t bytes);
  uint8_t* own_host(uint64_t bytes);

 private:
  StreamDevice& device_;
  ModelWeights views_;
  std::vector<StreamGroup> groups_;
  std::vector<PassStep> steps_;
  std::vector<void*> device_blocks_, pinned_blocks_, host_blocks_;
};

// Allocates tier A, tier B and the host-only tensors, reads their bytes from the source's file or
// image (ordinary reads: loading is not the hot path), or for a vfio source through `session`, the
// model's reader of the data plane, and lists the streamed ones. Throws EngineError
// NT_E_OUT_OF_MEMORY / NT_E_IO naming what failed.
std::unique_ptr<PlacedWeights> place_weights(const ModelSource& source, StorageReader* session, const GgufFile& file, BoundWeights bound,
                                             const TierPlan& plan, StreamDevice& device,
                                             const LoadProgress& progress);

}  // namespace nt

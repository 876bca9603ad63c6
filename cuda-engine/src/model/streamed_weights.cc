#include "model/streamed_weights.h"

namespace nt {

void StreamedWeights::begin_pass(bool cpu_layers) {
  cpu_layers_ = cpu_layers;
  if (streamer_) streamer_->begin_pass(cpu_layers);
}

void StreamedWeights::begin_step(size_t step, ModelWeights& views) {
  const PassStep& s = placed_.steps()[step];
  if (s.group < 0) return;
  const StreamGroup& group = streamer_->groups()[static_cast<size_t>(s.group)];  // with slot offsets
  if (s.cpu && cpu_layers_) {  // read in place: undo what a streaming pass pointed into a slot
    for (const StreamPatch& p : s.patches) p.tensor.view(views).data = group.tensors[p.index].pinned;
    return;
  }
  uint8_t* slot = streamer_->acquire(static_cast<size_t>(s.group));
  for (const StreamPatch& p : s.patches) p.tensor.view(views).data = slot + group.tensors[p.index].slot_offset;
}

void StreamedWeights::end_step(size_t step) {
  const PassStep& s = placed_.steps()[step];
  if (s.group >= 0 && !(s.cpu && cpu_layers_)) streamer_->release(static_cast<size_t>(s.group));
}

// The slot addresses are written into the placed views themselves: only one pass runs at a time
// (Model serializes them), and the views are copied out before the next step rewrites them.
LayerWeights StreamedWeights::begin_layer(int layer) {
  begin_step(static_cast<size_t>(layer), placed_.views());
  return placed_.views().layers[static_cast<size_t>(layer)];
}

void StreamedWeights::end_layer(int layer) { end_step(static_cast<size_t>(layer)); }

OutputWeights StreamedWeights::begin_output() {
  begin_step(placed_.views().layers.size(), placed_.views());
  return {placed_.views().output_norm, placed_.views().output};
}

void StreamedWeights::end_output() { end_step(placed_.views().layers.size()); }

}  // namespace nt

// The WeightSource of a placed model: resident tensors straight from their views, streamed ones
// from the slot the WeightStreamer filled for their step.
#pragma once

#include "backend/weight_source.h"
#include "model/placed_weights.h"
#include "stream/weight_streamer.h"

namespace nt {

class StreamedWeights : public WeightSource {
 public:
  // streamer may be null when nothing streams.
  StreamedWeights(PlacedWeights& placed, WeightStreamer* streamer) : placed_(placed), streamer_(streamer) {}

  const TensorView& tok_embd() const override { return placed_.views().tok_embd; }
  const TensorView& rope_freqs() const override { return placed_.views().rope_freqs; }
  LayerWeights begin_layer(int layer) override;
  void end_layer(int layer) override;
  OutputWeights begin_output() override;
  void end_output() override;
  bool resident() const override { return streamer_ == nullptr; }

  // Declares the next pass: with cpu_layers the tier-D blocks are read in place from pinned RAM
  // by the CPU, else streamed to the device like tier B (WeightStreamer::begin_pass).
  void begin_pass(bool cpu_layers);

 private:
  // Acquires the step's group (if any) and points its streamed views into the slot.
  void begin_step(size_t step, ModelWeights& views);
  void end_step(size_t step);

  PlacedWeights& placed_;
  WeightStreamer* streamer_;
  bool cpu_layers_ = true;
};

}  // namespace nt

// A part of one forward pass, for the dual path (model/dual_pass.h): consecutive layers run on
// one backend, the activations entering and leaving through host memory — only kilobytes cross
// between backends at a switch, never weights.
#pragma once

#include <cstdint>

namespace nt {

struct PassSegment {
  int32_t first = 0;     // layers [first, last); first == 0 embeds the batch's tokens instead of reading x
  int32_t last = 0;
  bool head = true;      // after the layers (last must then be n_layer): the output head into the PassOutput
  float* x = nullptr;    // host memory of batch.size() × n_embd floats: the residual stream read at entry
                         // (unless first == 0) and written at exit (unless head). From the last layer
                         // on only the rows that want logits are in it, in batch order.
};

}  // namespace nt

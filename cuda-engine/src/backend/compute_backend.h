// Where a forward pass runs: the CPU (reference and fallback) or a CUDA device. Both compute the
// same llama-family graph (cpu/llama_forward.h) over weights reached through a WeightSource.
#pragma once

#include <memory>
#include <vector>

#include "backend/batch.h"
#include "backend/hparams.h"
#include "backend/kv_cache.h"
#include "backend/kv_pool.h"
#include "backend/op_profile.h"
#include "backend/pass_output.h"
#include "backend/pass_segment.h"
#include "backend/weight_source.h"

namespace nt {

class ComputeBackend {
 public:
  virtual ~ComputeBackend() = default;

  virtual const char* name() const = 0;  // "cpu" or "cuda"

  // The pool of n_blocks KV blocks of `type` (F32, F16 or Q8_0: kv_type.h) every sequence's cache
  // takes its blocks from, in this backend's memory, zeroed. Throws EngineError
  // NT_E_OUT_OF_MEMORY, NT_E_UNSUPPORTED for a type this backend does not compute with.
  virtual std::shared_ptr<KvPool> new_kv_pool(int32_t n_blocks, GgmlType type) = 0;

  // One pass over a batch: writes each token's keys and values into its cache (whose blocks the
  // caller has reserved up to the token's position; every cache of a pass shares one pool) and, for the tokens
  // that want logits, in batch order: with candidates == 0 their n_vocab logits each into
  // out.logits; with 0 < candidates <= min(kMaxTopCandidates, n_vocab) each row's top candidates
  // and log-sum-exp into out.rows, computed where the logits are (pass_output.h). Returns when
  // the results are on the host. Throws EngineError (NT_E_CUDA failures as NT_E_INTERNAL naming
  // the call, NT_E_OUT_OF_MEMORY, NT_E_IO from the weight source).
  virtual void forward(const Batch& batch, WeightSource& weights, int32_t candidates, PassOutput& out) = 0;

  // A part of a pass (backend/pass_segment.h): the same work as forward for the layers it names,
  // the tokens' keys and values into their caches for those layers, and the output into `out`
  // when it has the head. The weights' begin/end brackets are called for those layers only.
  // Throws as forward does.
  virtual void forward_segment(const Batch& batch, WeightSource& weights, const PassSegment& segment,
                               int32_t candidates, PassOutput& out) = 0;

  // The profile the following passes add their ops' times to (backend/op_profile.h), or nullptr:
  // then nothing is timed and nothing changes (a CUDA decode pass replays its graph). A profiled
  // pass runs without a graph, each kernel or group between its own pair of events.
  virtual void set_profile(OpProfile* profile) = 0;
};

}  // namespace nt

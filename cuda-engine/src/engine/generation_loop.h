// The engine's decode loop (DESIGN §4: the engine owns it; JS submits and cancels). One thread
// runs forward passes; every pass carries all active sequences — a chunk of each new prompt, or
// the last sampled token of each running one — so the weights are read once for all of them
// (continuous batching).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include "core/error_code.h"
#include "engine/generation.h"
#include "model/model.h"

namespace nt {

struct GenerationLoopOptions {
  int32_t max_sequences = 4;  // sequences in one pass; further requests wait their turn
  int32_t n_batch = 512;      // tokens in one pass at most (prompt chunks are cut to fit)
  // When every row of a pass can be sampled from its top candidates (Sampler::candidates_needed),
  // the backend returns only those and the log-sum-exp instead of all n_vocab logits per row
  // (computed on the GPU with the CUDA backend). false: always the full logits (the tests compare
  // the two paths; tokens and logprobs must agree).
  bool sample_from_candidates = true;
};

class GenerationLoop {
 public:
  GenerationLoop(Model& model, const GenerationLoopOptions& options);
  ~GenerationLoop();  // cancels what is left and joins the thread
  GenerationLoop(const GenerationLoop&) = delete;
  GenerationLoop& operator=(const GenerationLoop&) = delete;

  // Validates and queues a request; returns its id. Throws EngineError NT_E_BAD_REQUEST for an
  // empty or too long prompt, ids outside the vocabulary, or max_tokens == 0 or < -1.
  uint64_t submit(GenerationRequest request, GenerationCallbacks callbacks);

  // Ends the request with reason "cancelled" (its KV blocks go back to the pool) unless it has already ended;
  // false for an id this loop never issued.
  bool cancel(uint64_t id);

  int32_t active() const;
  int32_t queued() const;

 private:
  struct Sequence;
  void run();
  void admit_waiting();
  void end_waiting(ErrorCode code, const std::string& message);
  void drop_cancelled();
  Batch build_batch(std::vector<Sequence*>& with_logits);
  int32_t candidates_for(const std::vector<Sequence*>& with_logits) const;
  void after_pass(const std::vector<Sequence*>& with_logits, const PassOutput& out);
  // code and message only with reason "error" or a cancellation's.
  void finish(Sequence& seq, const std::string& reason, std::optional<ErrorCode> code = std::nullopt,
              const std::string& message = "");
  void fail_all(ErrorCode code, const std::string& message);

  Model& model_;
  GenerationLoopOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Sequence>> waiting_;
  std::deque<std::unique_ptr<Sequence>> running_;  // touched by the loop thread only
  std::unordered_set<uint64_t> cancelled_;
  uint64_t next_id_ = 1;
  int32_t active_count_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace nt

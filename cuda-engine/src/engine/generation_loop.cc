#include "engine/generation_loop.h"

#include <algorithm>
#include <chrono>

#include "core/engine_error.h"
#include "engine/stop_matcher.h"
#include "sample/sampler.h"

namespace nt {

namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// The chosen token's log-probability from the candidates: log softmax = logit - log Σ exp.
float candidate_logprob(const TopCandidates& row, TokenId token) {
  for (const Candidate& c : row.top) {
    if (c.id == token) return c.logit - row.log_sum_exp;
  }
  throw EngineError(NT_E_INTERNAL, "the sampled token " + std::to_string(token) + " is not among the candidates");
}

// The first `count` candidates of a row as logprobs (log softmax = logit - log Σ exp), with their bytes.
std::vector<TokenLogprob> top_logprobs_of(const TopCandidates& row, int32_t count, const Tokenizer& tokenizer) {
  std::vector<TokenLogprob> top;
  const size_t n = std::min(row.top.size(), static_cast<size_t>(std::max(count, 0)));
  for (size_t i = 0; i < n; ++i) {
    const Candidate& c = row.top[i];
    top.push_back({c.id, c.logit - row.log_sum_exp, tokenizer.token_to_piece(c.id, true)});
  }
  return top;
}

}  // namespace

struct GenerationLoop::Sequence {
  uint64_t id;
  GenerationRequest request;
  GenerationCallbacks callbacks;
  Sampler sampler;
  StopMatcher stops;
  Utf8Stream utf8;
  std::unique_ptr<KvCache> cache;
  std::vector<TokenId> history;  // prompt, then generated tokens
  size_t prefilled = 0;          // prompt tokens already through a pass
  int32_t generated = 0;
  Clock::time_point started, first_token;

  Sequence(uint64_t id_, GenerationRequest r, GenerationCallbacks cb, int32_t n_vocab)
      : id(id_), request(std::move(r)), callbacks(std::move(cb)), sampler(request.sampling, n_vocab),
        stops(request.stop), history(request.prompt) {}

  int32_t n_past() const { return static_cast<int32_t>(prefilled) + (generated > 0 ? generated - 1 : 0); }
};

GenerationLoop::GenerationLoop(Model& model, const GenerationLoopOptions& options)
    : model_(model), options_(options), thread_([this] { run(); }) {}

GenerationLoop::~GenerationLoop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

uint64_t GenerationLoop::submit(GenerationRequest request, GenerationCallbacks callbacks) {
  const int32_t n_ctx = model_.n_ctx();
  if (request.prompt.empty()) throw EngineError(NT_E_BAD_REQUEST, "the prompt is empty");
  if (static_cast<int64_t>(request.prompt.size()) >= n_ctx) {
    throw EngineError(NT_E_BAD_REQUEST, "the prompt has " + std::to_string(request.prompt.size()) +
                                            " tokens, which does not fit the context of " + std::to_string(n_ctx) +
                                            " tokens (leave room for at least one generated token)");
  }
  if (request.top_logprobs < -1 || request.top_logprobs > kMaxTopLogprobs) {
    throw EngineError(NT_E_BAD_REQUEST, "top_logprobs must be between 0 and " + std::to_string(kMaxTopLogprobs) +
                                            ", got " + std::to_string(request.top_logprobs));
  }
  if (request.max_tokens == 0 || request.max_tokens < -1) {
    throw EngineError(NT_E_BAD_REQUEST, "the number of tokens to generate must be positive (or -1 for no limit), got " +
                                            std::to_string(request.max_tokens));
  }
  model_.check_tokens(request.prompt);
  std::lock_guard<std::mutex> lock(mutex_);
  const uint64_t id = next_id_++;
  waiting_.push_back(std::make_unique<Sequence>(id, std::move(request), std::move(callbacks), model_.n_vocab()));
  wake_.notify_all();
  return id;
}

bool GenerationLoop::cancel(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if ((*it)->id == id) {
      std::unique_ptr<Sequence> seq = std::move(*it);
      waiting_.erase(it);
      DoneEvent done;
      done.reason = "cancelled";
      if (seq->callbacks.on_done) seq->callbacks.on_done(done);
      return true;
    }
  }
  if (id == 0 || id >= next_id_) return false;
  cancelled_.insert(id);  // the loop thread ends it before its next pass
  wake_.notify_all();
  return true;
}

int32_t GenerationLoop::active() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return active_count_;
}

int32_t GenerationLoop::queued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int32_t>(waiting_.size());
}

// A waiting request runs once its whole prompt has KV blocks, so the blocks of an admitted prompt
// are never short mid-prefill; it waits while running sequences hold them, and fails only when
// the pool could never hold it.
void GenerationLoop::admit_waiting() {
  std::lock_guard<std::mutex> lock(mutex_);
  while (!waiting_.empty() && static_cast<int32_t>(running_.size()) < options_.max_sequences) {
    Sequence& seq = *waiting_.front();
    if (!seq.cache) seq.cache = model_.new_cache();
    const int32_t prompt = static_cast<int32_t>(seq.request.prompt.size());
    if (!seq.cache->reserve(prompt)) {
      const int64_t needed = KvPool::blocks_for(prompt);
      if (needed <= model_.kv_pool().n_blocks() && !running_.empty()) break;  // blocks come back as others end
      end_waiting(NT_E_OUT_OF_MEMORY, "the prompt needs " + std::to_string(needed) + " KV blocks and the pool has " +
                                          std::to_string(model_.kv_pool().free_blocks()) + " free of " +
                                          std::to_string(model_.kv_pool().n_blocks()));
      continue;
    }
    seq.started = Clock::now();
    running_.push_back(std::move(waiting_.front()));
    waiting_.pop_front();
  }
  active_count_ = static_cast<int32_t>(running_.size());
}

// Ends the first waiting request with an error (mutex_ held).
void GenerationLoop::end_waiting(ErrorCode code, const std::string& message) {
  std::unique_ptr<Sequence> seq = std::move(waiting_.front());
  waiting_.pop_front();
  DoneEvent done;
  done.reason = "error";
  done.code = error_code_name(code);
  done.message = message;
  done.timings.prompt_n = static_cast<int32_t>(seq->request.prompt.size());
  if (seq->callbacks.on_done) seq->callbacks.on_done(done);
}

void GenerationLoop::drop_cancelled() {
  std::unordered_set<uint64_t> ids;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ids.swap(cancelled_);
  }
  for (auto& seq : running_) {
    if (seq && ids.count(seq->id)) finish(*seq, "cancelled");
  }
}

Batch GenerationLoop::build_batch(std::vector<Sequence*>& with_logits) {
  Batch batch;
  int32_t budget = options_.n_batch;
  for (auto& seq : running_) {
    if (!seq || budget <= 0) continue;
    const std::vector<TokenId>& prompt = seq->request.prompt;
    if (seq->prefilled < prompt.size()) {
      const size_t take = std::min(prompt.size() - seq->prefilled, static_cast<size_t>(budget));
      for (size_t i = 0; i < take; ++i) {
        const size_t pos = seq->prefilled + i;
        const bool last = pos + 1 == prompt.size();
        batch.push_back({seq->cache.get(), prompt[pos], static_cast<int32_t>(pos), last});
      }
      seq->prefilled += take;
      budget -= static_cast<int32_t>(take);
      if (seq->prefilled == prompt.size()) with_logits.push_back(seq.get());
    } else if (!seq->cache->reserve(seq->n_past() + 1)) {
      finish(*seq, "error", NT_E_OUT_OF_MEMORY,
             "the KV cache pool is full: every one of its " + std::to_string(model_.kv_pool().n_blocks()) +
                 " blocks is in use by the running sequences");
    } else {
      batch.push_back({seq->cache.get(), seq->history.back(), seq->n_past(), true});
      budget -= 1;
      with_logits.push_back(seq.get());
    }
  }
  return batch;
}

// The candidates per row a pass should return: the most any sequence's sampler or logprobs need,
// or 0 (all logits) when one of them needs the whole distribution.
int32_t GenerationLoop::candidates_for(const std::vector<Sequence*>& with_logits) const {
  if (!options_.sample_from_candidates) return 0;
  int32_t most = 0;
  for (const Sequence* seq : with_logits) {
    const int32_t needed = seq->sampler.candidates_needed();
    if (needed == 0) return 0;
    most = std::max({most, needed, seq->request.top_logprobs});
  }
  return most;
}

void GenerationLoop::after_pass(const std::vector<Sequence*>& with_logits, const PassOutput& out) {
  const int32_t n_vocab = model_.n_vocab();
  const Tokenizer& tokenizer = model_.tokenizer();
  for (size_t i = 0; i < with_logits.size(); ++i) {
    Sequence& seq = *with_logits[i];
    const float* row = out.candidates > 0 ? nullptr : out.logits.data() + i * static_cast<size_t>(n_vocab);
    const TokenId token = row ? seq.sampler.sample(row, seq.history) : seq.sampler.sample(out.rows[i]);
    if (seq.generated == 0) seq.first_token = Clock::now();
    seq.history.push_back(token);
    seq.generated += 1;
    if (!seq.request.ignore_eos && tokenizer.is_end_of_generation(token)) {
      finish(seq, "stop");
      continue;
    }
    TokenEvent event;
    event.token = token;
    event.logprob = row ? token_logprob(row, n_vocab, token) : candidate_logprob(out.rows[i], token);
    if (seq.request.top_logprobs >= 0) {
      const int32_t k = seq.request.top_logprobs;
      event.with_top = true;
      event.piece = tokenizer.token_to_piece(token, true);
      event.top = top_logprobs_of(row ? top_candidates(row, n_vocab, k) : out.rows[i], k, tokenizer);
    }
    event.text = seq.stops.push(seq.utf8.push(tokenizer.token_to_piece(token, false)));
    if (seq.callbacks.on_token) seq.callbacks.on_token(event);
    if (seq.stops.stopped()) {
      finish(seq, "stop");
    } else if (seq.request.max_tokens > 0 && seq.generated >= seq.request.max_tokens) {
      finish(seq, "length");
    } else if (seq.n_past() >= model_.n_ctx()) {  // no position left for the token just sampled
      finish(seq, "context");
    }
  }
}

void GenerationLoop::finish(Sequence& seq, const std::string& reason, std::optional<ErrorCode> code,
                            const std::string& message) {
  DoneEvent done;
  done.reason = reason;
  if (code) done.code = error_code_name(*code);
  done.message = message;
  if (!seq.stops.stopped() && reason != "error") done.text_tail = seq.stops.held() + seq.utf8.flush();
  const Clock::time_point now = Clock::now();
  done.timings.prompt_n = static_cast<int32_t>(seq.request.prompt.size());
  if (seq.generated > 0) {
    done.timings.prompt_ms = ms_between(seq.started, seq.first_token);
    done.timings.predicted_n = seq.generated;
    done.timings.predicted_ms = ms_between(seq.first_token, now);
  }
  if (seq.callbacks.on_done) seq.callbacks.on_done(done);
  for (auto& slot : running_) {
    if (slot.get() == &seq) slot.reset();  // frees the cache; the slot is compacted after the pass
  }
}

void GenerationLoop::fail_all(ErrorCode code, const std::string& message) {
  for (auto& seq : running_) {
    if (seq) finish(*seq, "error", code, message);
  }
}

void GenerationLoop::run() {
  PassOutput out;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !waiting_.empty() || !running_.empty() || !cancelled_.empty(); });
      if (stopping_) break;
    }
    admit_waiting();
    drop_cancelled();
    std::vector<Sequence*> with_logits;
    const Batch batch = build_batch(with_logits);
    if (!batch.empty()) {
      try {
        model_.forward(batch, candidates_for(with_logits), out);
        after_pass(with_logits, out);
      } catch (const EngineError& e) {
        fail_all(e.error_code(), e.what());
      } catch (const std::bad_alloc&) {
        fail_all(NT_E_OUT_OF_MEMORY, "out of memory during a forward pass");
      } catch (const std::exception& e) {
        fail_all(NT_E_INTERNAL, e.what());
      }
    }
    std::lock_guard<std::mutex> lock(mutex_);
    running_.erase(std::remove(running_.begin(), running_.end(), nullptr), running_.end());
    active_count_ = static_cast<int32_t>(running_.size());
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& seq : waiting_) running_.push_back(std::move(seq));
  waiting_.clear();
  for (auto& seq : running_) {
    if (seq) finish(*seq, "cancelled", NT_E_CANCELLED, "the engine is shutting down");
  }
}

}  // namespace nt

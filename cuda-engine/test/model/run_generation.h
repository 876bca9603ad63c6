// Runs requests through a GenerationLoop and collects what each produced (the model tests share it).
#pragma once

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "engine/generation_loop.h"
#include "model/model.h"

namespace nt::test {

struct Outcome {
  std::vector<TokenId> tokens;
  std::vector<float> logprobs;
  std::vector<bool> with_top;
  std::vector<std::vector<TokenLogprob>> tops;
  std::string text;
  DoneEvent done;
};

// Submits a request and returns a future of everything it produced. on_token, when given, also
// sees each token as it comes (on the loop's thread).
inline std::future<Outcome> run(GenerationLoop& loop, GenerationRequest request, uint64_t* id = nullptr,
                                std::function<void(const TokenEvent&)> on_token = nullptr) {
  auto outcome = std::make_shared<Outcome>();
  auto promise = std::make_shared<std::promise<Outcome>>();
  GenerationCallbacks callbacks;
  callbacks.on_token = [outcome, on_token](const TokenEvent& e) {
    outcome->tokens.push_back(e.token);
    outcome->logprobs.push_back(e.logprob);
    outcome->with_top.push_back(e.with_top);
    outcome->tops.push_back(e.top);
    outcome->text += e.text;
    if (on_token) on_token(e);
  };
  callbacks.on_done = [outcome, promise](const DoneEvent& d) {
    outcome->done = d;
    outcome->text += d.text_tail;
    promise->set_value(*outcome);
  };
  const uint64_t submitted = loop.submit(std::move(request), std::move(callbacks));
  if (id) *id = submitted;
  return promise->get_future();
}

inline GenerationRequest greedy(const Model& m, const std::string& prompt, int32_t n) {
  GenerationRequest r;
  r.prompt = m.tokenizer().encode(prompt, true, false);
  r.sampling.temperature = 0;
  r.max_tokens = n;
  return r;
}

}  // namespace nt::test

// What a generation request asks for and what it reports back.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sample/sampling_params.h"
#include "tokenizer/tokenizer.h"

namespace nt {

struct GenerationRequest {
  std::vector<TokenId> prompt;       // already tokenized, BOS included when the model wants one
  SamplingParams sampling;
  int32_t max_tokens = -1;           // -1: until the context is full; 0 or less otherwise is refused
  std::vector<std::string> stop;     // generation ends before the first occurrence of any of these
  bool ignore_eos = false;           // keep going past end-of-generation tokens (benchmarks, tests)
  // -1: token events carry only the chosen token's logprob. 0..kMaxTopLogprobs: they also carry
  // its bytes and this many of the most likely tokens at its position (OpenAI's logprobs).
  int32_t top_logprobs = -1;
};

// The most alternatives a token event lists (OpenAI's top_logprobs limit).
constexpr int32_t kMaxTopLogprobs = 20;

// A token at one position, for logprobs: its id, log softmax of its logit, and its bytes (a
// control token as its text, which may be an incomplete UTF-8 sequence).
struct TokenLogprob {
  TokenId token = 0;
  float logprob = 0.0f;
  std::string piece;
};

// One generated token. `text` is the newly complete, releasable UTF-8 text: empty while a piece
// is an unfinished character or might be the start of a stop string.
struct TokenEvent {
  TokenId token = 0;
  std::string text;
  float logprob = 0.0f;
  // Filled only when the request's top_logprobs >= 0: the token's bytes (as TokenLogprob::piece)
  // and the top_logprobs most likely tokens at its position, most likely first.
  bool with_top = false;
  std::string piece;
  std::vector<TokenLogprob> top;
};

struct Timings {
  int32_t prompt_n = 0;
  double prompt_ms = 0;     // from the request's first pass to its first sampled token
  int32_t predicted_n = 0;
  double predicted_ms = 0;  // from the first sampled token to the end
};

// The end of a request. reason: "stop" (end-of-generation token or stop string), "length"
// (max_tokens), "context" (context full), "cancelled", or "error" with code and message.
struct DoneEvent {
  std::string reason;
  std::string text_tail;  // text held back for stop-string matching and released at the end
  Timings timings;
  std::string code;  // the error's code (error_code_name) when there is one; else empty
  std::string message;
};

struct GenerationCallbacks {
  std::function<void(const TokenEvent&)> on_token;
  std::function<void(const DoneEvent&)> on_done;  // called exactly once, last
};

}  // namespace nt

#include "tokenizer/pre_tokenizer.h"

#include "core/engine_error.h"
#include "tokenizer/pattern_words.h"
#include "tokenizer/word_scanners.h"

namespace nt {

namespace {

struct NamedPreTokenizer {
  const char* name;
  PreTokenizerConfig config;
};

// The names llama-vocab.cpp maps to these pre-tokenizers, with the flags it sets for them.
// Llama 3's family skips merges for whole-token words and adds BOS.
const NamedPreTokenizer kPreTokenizers[] = {
    {"default", {PreTokenizer::kDefault, false, false}},
    {"gpt-2", {PreTokenizer::kGpt2, false, false}},
    {"llama3", {PreTokenizer::kLlama3, true, true}},
    {"llama-v3", {PreTokenizer::kLlama3, true, true}},
    {"llama-bpe", {PreTokenizer::kLlama3, true, true}},
    {"qwen2", {PreTokenizer::kQwen2, false, false}},
    {"deepseek-r1-qwen", {PreTokenizer::kQwen2, false, false}},
    {"deepseek-llm", {PreTokenizer::kDeepseekLlm, false, false}},
    {"deepseek-coder", {PreTokenizer::kDeepseekCoder, false, false}},
};

}  // namespace

PreTokenizerConfig pre_tokenizer_config(const std::string& name) {
  if (name.empty()) return {};
  for (const NamedPreTokenizer& known : kPreTokenizers) {
    if (name == known.name) return known.config;
  }
  throw EngineError(NT_E_UNSUPPORTED, "pre-tokenizer '" + name + "' (tokenizer.ggml.pre) is not supported");
}

Segments split_words(PreTokenizer kind, const std::vector<uint32_t>& text) {
  switch (kind) {
    case PreTokenizer::kDefault: return split_default_words(text);
    case PreTokenizer::kGpt2: return split_with_scanner(text, whole_text(text), scan_gpt2_words);
    case PreTokenizer::kLlama3: return split_with_scanner(text, whole_text(text), scan_llama3_words);
    case PreTokenizer::kQwen2: return split_with_scanner(text, whole_text(text), scan_qwen2_words);
    case PreTokenizer::kDeepseekLlm: return split_deepseek_llm_words(text);
    case PreTokenizer::kDeepseekCoder: return split_deepseek_coder_words(text);
  }
  return whole_text(text);
}

}  // namespace nt

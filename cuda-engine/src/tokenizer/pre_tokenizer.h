// Byte-level BPE pre-tokenizers: how text is cut into words before merges run inside each word.
// Named by tokenizer.ggml.pre; the word boundaries follow llama.cpp (llama-vocab.cpp's regex lists
// and unicode.cpp's scanners).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/word_splitting.h"

namespace nt {

enum class PreTokenizer {
  kDefault,        // llama.cpp's fallback list; also used when tokenizer.ggml.pre is absent
  kGpt2,
  kLlama3,
  kQwen2,
  kDeepseekLlm,
  kDeepseekCoder,
};

struct PreTokenizerConfig {
  PreTokenizer kind = PreTokenizer::kDefault;
  // A word that is itself a token is emitted whole, without merges (llama.cpp's ignore_merges).
  bool ignore_merges = false;
  // llama.cpp's default for tokenizer.ggml.add_bos_token with this pre-tokenizer.
  bool add_bos = false;
};

// The configuration for a tokenizer.ggml.pre value; "" when the key is absent. Throws
// EngineError NT_E_UNSUPPORTED naming a pre-tokenizer this engine does not implement.
PreTokenizerConfig pre_tokenizer_config(const std::string& name);

// The words of a text, as lengths in code points that add up to the text's length.
Segments split_words(PreTokenizer kind, const std::vector<uint32_t>& text);

}  // namespace nt

// The byte-level BPE tokenizer (tokenizer.ggml.model "gpt2"), as llama.cpp's BPE vocabulary.
#pragma once

#include <memory>

#include "gguf/gguf_file.h"
#include "tokenizer/tokenizer.h"

namespace nt {

// Throws EngineError NT_E_UNSUPPORTED for a tokenizer.ggml.pre it does not implement,
// NT_E_BAD_GGUF without tokenizer.ggml.merges.
std::unique_ptr<Tokenizer> make_bpe_tokenizer(const GgufFile& file);

}  // namespace nt

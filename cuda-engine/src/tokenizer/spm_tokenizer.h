// The SentencePiece tokenizer (tokenizer.ggml.model "llama"), as llama.cpp's SPM vocabulary.
#pragma once

#include <memory>

#include "gguf/gguf_file.h"
#include "tokenizer/tokenizer.h"

namespace nt {

std::unique_ptr<Tokenizer> make_spm_tokenizer(const GgufFile& file);

}  // namespace nt

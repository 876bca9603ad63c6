#include "tokenizer/tokenizer.h"

#include "core/engine_error.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/metadata.h"
#include "tokenizer/spm_tokenizer.h"

namespace nt {

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const GgufFile& file) {
  const std::optional<std::string> model = metadata_string(file, "tokenizer.ggml.model");
  if (!model) throw bad_gguf("the file has no tokenizer.ggml.model");
  if (*model == "llama") return make_spm_tokenizer(file);
  if (*model == "gpt2") return make_bpe_tokenizer(file);
  throw EngineError(NT_E_UNSUPPORTED, "tokenizer model '" + *model + "' (tokenizer.ggml.model) is not supported");
}

}  // namespace nt

// libFuzzer target for the GGUF reader and the checks a loaded file goes through next: the
// tokenizer built from its metadata (and an encode with it), the hyper-parameters, and the weight
// table's names, types and shapes. A clean EngineError is the expected answer to garbage at each
// stage; anything else — a sanitizer report, an uncaught exception (bad_alloc included: no stage
// may allocate more than the input justifies), a timeout — is a finding.
#include <cstddef>
#include <cstdint>

#include "core/engine_error.h"
#include "gguf/gguf_file.h"
#include "model/read_hparams.h"
#include "model/weights.h"
#include "tokenizer/tokenizer.h"

namespace {

// Text with the special-token texts the common vocabularies have, in a parsed and an unparsed
// part, so the special-token partition runs on whatever vocabulary the input carries.
void encode_sample(const nt::Tokenizer& tokenizer) {
  nt::TokenizerInput input;
  input.append("<s><|im_start|>user\n", true);
  input.append("Hello world <|eot_id|> [INST] 1234 \xC3\xA9\xE2\x96\x81 </s>", false);
  input.append("<|im_end|>\n", true);
  for (nt::TokenId id : tokenizer.encode_input(input, true)) {
    if (id < 0 || id >= tokenizer.n_vocab()) __builtin_trap();
    tokenizer.token_to_piece(id, true);
  }
}

void check_tokenizer(const nt::GgufFile& file) {
  try {
    encode_sample(*nt::Tokenizer::from_gguf(file));
  } catch (const nt::EngineError&) {
  }
}

void check_model(const nt::GgufFile& file) {
  try {
    nt::bind_weights(file, nt::read_hparams(file));
  } catch (const nt::EngineError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nt::GgufFile file;
  try {
    file = nt::parse_gguf(data, size);
  } catch (const nt::EngineError&) {
    return 0;
  }
  // Touch what a caller would: every tensor lies inside the input, and the metadata's memory
  // stays within the reader's bound.
  for (const auto& t : file.tensors) {
    if (file.data_offset + t.offset + t.bytes > size) __builtin_trap();
  }
  if (file.metadata_memory > nt::kMetadataMemoryPerByte * file.metadata_bytes + nt::kMetadataMemorySlack) __builtin_trap();
  check_tokenizer(file);
  check_model(file);
  return 0;
}

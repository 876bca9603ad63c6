// Hyper-parameters (backend/hparams.h) from GGUF metadata under the architecture's prefix
// ("llama.block_count", "qwen2.embedding_length", ...).
#pragma once

#include "backend/hparams.h"
#include "gguf/gguf_file.h"

namespace nt {

// Reads and checks the hyper-parameters; throws EngineError NT_E_UNSUPPORTED for an architecture
// other than llama/qwen2 (naming it), NT_E_BAD_GGUF for missing or inconsistent keys.
Hparams read_hparams(const GgufFile& file);

}  // namespace nt

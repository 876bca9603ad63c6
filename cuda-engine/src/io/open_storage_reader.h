// The storage reader (io/storage_reader.h) for a model's source.
#pragma once

#include <memory>

#include "io/direct_reader.h"
#include "io/model_source.h"
#include "io/storage_reader.h"

namespace nt {

// The reader of a model's source: `file` for a GGUF file, `raw` for an image, which reads a dup of
// the borrowed fd at the image's offset, so that tensor offsets stay GGUF-relative as for a file;
// `vfio`, a VfioReader over the data-plane session's memfd (one reader per session: it ends the
// session when destroyed, so a load reads its header and resident tiers through the same one).
// Throws EngineError NT_E_NOT_FOUND / NT_E_IO naming the source, NT_E_BAD_REQUEST for a session
// whose image is not the source's size.
std::unique_ptr<StorageReader> open_storage_reader(const ModelSource& source, const DirectReaderOptions& options);

}  // namespace nt

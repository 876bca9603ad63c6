# Storage: the StorageReader interface tier C is read through and its kinds (file and raw, both
# DirectReader; vfio, VfioReader over the helper's data-plane ring), the load-time ImageReader, and
# where a model's bytes come from (ModelSource).
set(NT_IO_SOURCES
  storage_reader.cc
  open_storage_reader.cc
  direct_reader.cc
  vfio_reader.cc
  image_reader.cc
)

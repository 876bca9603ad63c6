# Backends' common ground, as two layers in one folder. The interfaces every compute backend
# implements or is given — ComputeBackend, StreamDevice, Batch, KvPool and KvCache, PassOutput, WeightSource,
# Hparams, RoPE tables, the device report — which src/cpu and src/cuda build on; and, above them,
# the factory that opens a device and makes its backend (compute_target.h, query_devices.cc).
set(NT_BACKEND_SOURCES
  kv_cache.cc
  kv_pool.cc
  kv_type.cc
  rope_table.cc
  op_profile.cc
  cuda_unavailable_reason.cc
)
set(NT_BACKEND_FACTORY_HEADERS
  compute_target.h
)
set(NT_BACKEND_FACTORY_SOURCES
  compute_target.cc
  query_devices.cc
)
# The CUDA side of the device report when the CUDA backend is not built.
set(NT_BACKEND_FACTORY_NO_CUDA_SOURCES
  cuda_not_built.cc
)

# CUDA backend (only with NT_CUDA): device discovery, the stream device, the compute backend and
# its kernels. Paths relative to src/cuda; tests relative to the engine root.
set(NT_CUDA_SOURCES
  cuda_devices.cc
  probe_kernel.cu
  cuda_stream_device.cc
  cuda_backend.cc
  pass_buffers.cc
  kernels/matmul.cu
  kernels/matmul_float.cu
  kernels/matmul_legacy.cu
  kernels/matmul_kquants.cu
  kernels/rms_norm.cu
  kernels/rope.cu
  kernels/store_kv.cu
  kernels/attention.cu
  kernels/swiglu.cu
  kernels/add_rows.cu
  kernels/gather_rows.cu
)
set(NT_CUDA_TEST_SOURCES
  test/cuda/cuda_test_device.cc
  test/cuda/matmul_test.cc
  test/cuda/ops_test.cc
  test/cuda/attention_test.cc
  test/cuda/matmul_speed_test.cc
)

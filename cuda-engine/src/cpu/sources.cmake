# CPU backend: quantized matrix products and the thread pool (the kernels), the forward pass and
# its ops, the CPU's StreamDevice and its entry in the device report.
set(NT_CPU_KERNEL_SOURCES
  simd.cc
  thread_pool.cc
  matmul.cc
  quant/type_table.cc
  quant/f32.cc
  quant/f16.cc
  quant/bf16.cc
  quant/q4_0.cc
  quant/q4_1.cc
  quant/q5_0.cc
  quant/q5_1.cc
  quant/q8_0.cc
  quant/q8_1.cc
  quant/q8_k.cc
  quant/q2_k.cc
  quant/q3_k.cc
  quant/q4_k.cc
  quant/q5_k.cc
  quant/q6_k.cc
  ops/vec_steps.cc
)
# The kernels spell out each fused multiply-add they mean (where ggml's x86 build has one); no
# other a * b + c may be fused, or results would change with the compiler (GCC fuses by default).
set(NT_CPU_EXACT_FLOAT_SOURCES ${NT_CPU_KERNEL_SOURCES})
list(TRANSFORM NT_CPU_EXACT_FLOAT_SOURCES PREPEND ${CMAKE_CURRENT_LIST_DIR}/)
set_source_files_properties(${NT_CPU_EXACT_FLOAT_SOURCES} PROPERTIES COMPILE_OPTIONS -ffp-contract=off)
set(NT_CPU_SOURCES
  ${NT_CPU_KERNEL_SOURCES}
  ops/rms_norm.cc
  ops/rope.cc
  ops/attention.cc
  ops/flash_attention.cc
  ops/swiglu.cc
  llama_forward.cc
  cpu_backend.cc
  cpu_stream_device.cc
  cpu_device.cc
)

set(NT_CPU_TEST_SOURCES
  test/cpu/quant_test_rows.cc
  test/cpu/thread_pool_test.cc
  test/cpu/activation_quantize_test.cc
  test/cpu/vec_dot_test.cc
  test/cpu/matmul_test.cc
  test/cpu/ops_test.cc
  test/cpu/vec_steps_test.cc
)

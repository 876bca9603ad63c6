# The block formats' shared core: ggml's block layouts, f16/bf16 conversions and reference
# dequantization, which both backends use (paths relative to src/quant; tests to the engine root).
set(NT_QUANT_SOURCES
  dequantize.cc
)
# As the CPU kernels (src/cpu/sources.cmake): no a * b + c may be fused that ggml does not fuse,
# or a weight would round differently with the compiler.
set(NT_QUANT_EXACT_FLOAT_SOURCES ${NT_QUANT_SOURCES})
list(TRANSFORM NT_QUANT_EXACT_FLOAT_SOURCES PREPEND ${CMAKE_CURRENT_LIST_DIR}/)
set_source_files_properties(${NT_QUANT_EXACT_FLOAT_SOURCES} PROPERTIES COMPILE_OPTIONS -ffp-contract=off)

set(NT_QUANT_TEST_SOURCES
  test/quant/half_test.cc
  test/quant/dequantize_test.cc
)

# The block formats' shared core: ggml's block layouts, f16/bf16 conversions and reference
# dequantization, which both backends use (paths relative to src/quant; tests to the engine root).
set(NT_QUANT_TEST_SOURCES
  test/quant/half_test.cc
  test/quant/dequantize_test.cc
)

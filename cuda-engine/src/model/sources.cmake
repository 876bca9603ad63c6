# Model: hyper-parameters from GGUF, weights, KV cache, the forward pass per architecture.
set(NT_MODEL_SOURCES
  hparams.cc
  weights.cc
  llama_forward.cc
  model.cc
)
set(NT_MODEL_TEST_SOURCES
  test/model/ops_test.cc
  test/model/sampler_test.cc
  test/model/stop_matcher_test.cc
  test/model/model_test.cc
)

# Model: hyper-parameters and weights from GGUF, their placement in the tiers, and Model, which
# loads them and runs passes on a compute backend.
set(NT_MODEL_SOURCES
  read_hparams.cc
  weights.cc
  plan_input.cc
  placed_weights.cc
  streamed_weights.cc
  dual_pass.cc
  measured_links.cc
  calibration.cc
  model.cc
)
set(NT_MODEL_TEST_SOURCES
  test/model/sampler_test.cc
  test/model/top_candidates_test.cc
  test/model/stop_matcher_test.cc
  test/model/model_test.cc
  test/model/kv_pool_test.cc
  test/model/kv_type_test.cc
  test/model/batched_generation_test.cc
  test/model/tiered_model_test.cc
  test/model/dual_pass_test.cc
  test/model/calibration_test.cc
  test/model/image_model_test.cc
  test/model/vfio_model_test.cc
)

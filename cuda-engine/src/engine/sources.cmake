# The generation loop (continuous batching over a loaded model) and stop strings.
set(NT_ENGINE_SOURCES
  stop_matcher.cc
  generation_loop.cc
)

# Sampling: the sampler and the top candidates of a row of logits.
set(NT_SAMPLE_SOURCES
  sampler.cc
  top_candidates.cc
)

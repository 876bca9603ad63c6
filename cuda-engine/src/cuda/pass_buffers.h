// Everything one CUDA forward pass works in, sized once for max_batch tokens: the activations in
// VRAM, the per-token metadata (block-table rows, positions, RoPE tables, kept rows) staged in
// pinned memory and uploaded together, the sequences' block tables, the rows' top candidates
// and their scratch, and the
// logits, which grow with the rows kept.
#pragma once

#include <cstdint>

#include "backend/hparams.h"
#include "cuda/device_buffer.h"
#include "cuda/kernels/token_cache.h"
#include "sample/top_candidates.h"

namespace nt::cuda {

class PassBuffers {
 public:
  PassBuffers(const Hparams& h, int32_t n_vocab, int32_t max_batch);

  // Activations, max_batch rows each: x and xb of n_embd (xb also fits q_dim), q and att of
  // q_dim, k and v of kv_dim, gate and up of n_ff.
  float *x, *xb, *q, *k, *v, *att, *gate, *up;
  float* attention_scratch;
  int64_t attention_slots;

  // Per-token metadata: host side (pinned, filled by the pass) and its device copy.
  TokenCache* host_tokens;
  int32_t* host_kept;  // indices of the tokens that want logits
  float* host_rope;    // per token: rope_dim / 2 cosines, then as many sines (rope_stride floats)
  float* host_embd;    // max_batch × n_embd embedding rows
  const TokenCache* tokens;
  const int32_t* kept;
  const float* rope;
  int64_t rope_stride() const { return rope_floats_; }
  // Uploads the metadata of n tokens, their embeddings (or a segment's activations) into x, and
  // table_rows rows of block tables: with kernel uploads (NT_CUDA_UPLOAD=kernel; the default once
  // GPU-tested, pass_buffers.cc) up to kKernelUploadMaxBytes in one kernel that reads the pinned
  // memory (cuda/kernels/host_copy.h: it does not queue behind the streamer's copies), more (a
  // prompt's embeddings) on the copy engine, whose bandwidth then matters more.
  void upload(int64_t n, int64_t table_rows, cudaStream_t stream);
  static constexpr uint64_t kKernelUploadMaxBytes = 1 << 20;

  // The pass's block tables (token_cache.h), a row of table_width() block ids per sequence in
  // the pass: sized on the first pass for max_batch rows of `width` (a sequence's most blocks),
  // and again if a wider one comes (allocation synchronises the device).
  void reserve_tables(int32_t width);
  int32_t* host_tables() const { return host_tables_.get(); }
  const int32_t* tables() const { return tables_.get(); }
  int32_t table_width() const { return table_width_; }

  // Device and pinned space for rows × n_vocab logits, grown when a pass keeps more rows than any
  // before (allocation synchronises the device, so this happens once or twice per model).
  void reserve_logits(int64_t floats);
  float* logits() const { return logits_.get(); }
  float* host_logits() const { return host_logits_.get(); }

  // cuda::top_candidates for up to max_batch rows: its scratch, and where it puts rows × k pairs
  // followed by the rows' log-sum-exps, packed alike on the device and in pinned memory so that
  // one copy of `bytes` brings both to the host.
  struct CandidateSpace {
    Candidate* top;
    float* log_sum_exp;
    uint64_t bytes;
  };
  float* top_scratch() const { return top_scratch_.get(); }
  CandidateSpace candidates(int64_t rows, int32_t k) const;
  CandidateSpace host_candidates(int64_t rows, int32_t k) const;

 private:
  int64_t n_embd_;
  int32_t max_batch_;
  uint64_t meta_bytes_;   // bytes of the metadata block (tokens, kept, rope)
  int64_t rope_floats_;  // per token: rope_dim / 2 cosines and as many sines
  bool host_mapped_ = false;  // the device reads the pinned buffers at their host addresses
  DeviceBuffer<float> activations_;
  DeviceBuffer<float> attention_;
  DeviceBuffer<uint8_t> meta_;
  PinnedBuffer<uint8_t> host_meta_;
  PinnedBuffer<float> host_embd_;
  DeviceBuffer<float> top_scratch_;
  DeviceBuffer<uint8_t> candidates_;
  PinnedBuffer<uint8_t> host_candidates_;
  int32_t table_width_ = 0;
  DeviceBuffer<int32_t> tables_;
  PinnedBuffer<int32_t> host_tables_;
  DeviceBuffer<float> logits_;
  PinnedBuffer<float> host_logits_;
};

}  // namespace nt::cuda

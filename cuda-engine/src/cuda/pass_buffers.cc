#include "cuda/pass_buffers.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "cuda/kernels/attention.h"
#include "cuda/kernels/host_copy.h"
#include "cuda/kernels/top_candidates.h"

namespace nt::cuda {

namespace {

// Offsets inside the shared allocations stay 256-byte aligned (float4 loads, coalescing).
uint64_t aligned(uint64_t bytes) { return (bytes + 255) / 256 * 256; }

// rows × k pairs, then rows floats (the space PassBuffers::candidates describes).
PassBuffers::CandidateSpace candidate_space(uint8_t* base, int64_t rows, int32_t k) {
  const uint64_t pairs = static_cast<uint64_t>(rows) * static_cast<uint64_t>(k);
  Candidate* top = reinterpret_cast<Candidate*>(base);
  const uint64_t bytes = pairs * sizeof(Candidate) + static_cast<uint64_t>(rows) * sizeof(float);
  return {top, reinterpret_cast<float*>(top + pairs), bytes};
}

// True where the device reads pinned memory at its host address (unified addressing), so a
// kernel can take the uploads (cuda/kernels/host_copy.h).
bool mapped_at_same_address(const void* pinned) {
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, pinned) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return attributes.devicePointer == pinned;
}

// The kernel's own GPU tests (CudaHostCopy.*) passed on an H100 on 2026-12-07, and on the 70B's
// dual path it took the uploads from 9.2 to 0.5 ms a pass; it becomes the default once the whole
// suite has run with it (the passes' tests ran with the copies); until then it is opt-in.
// NT_CUDA_UPLOAD=kernel or copy (read per pass, like NT_MATMUL) chooses either way, for comparing
// the two in benches.
constexpr bool kKernelUploadsByDefault = false;

bool kernel_uploads() {
  const char* choice = std::getenv("NT_CUDA_UPLOAD");
  if (choice != nullptr && std::strcmp(choice, "kernel") == 0) return true;
  if (choice != nullptr && std::strcmp(choice, "copy") == 0) return false;
  return kKernelUploadsByDefault;
}

}  // namespace

PassBuffers::PassBuffers(const Hparams& h, int32_t n_vocab, int32_t max_batch)
    : n_embd_(h.n_embd), max_batch_(max_batch) {
  const uint64_t b = static_cast<uint64_t>(std::max(max_batch, 1));
  const uint64_t q_dim = static_cast<uint64_t>(h.n_head) * h.head_dim, kv_dim = h.n_embd_kv();
  const uint64_t widths[] = {static_cast<uint64_t>(h.n_embd), std::max<uint64_t>(h.n_embd, q_dim), q_dim, kv_dim,
                             kv_dim, q_dim, static_cast<uint64_t>(h.n_ff), static_cast<uint64_t>(h.n_ff)};
  uint64_t total = 0;
  for (uint64_t w : widths) total += aligned(b * w * sizeof(float)) / sizeof(float);
  activations_ = DeviceBuffer<float>(total, "the forward pass's activations");
  float** slots[] = {&x, &xb, &q, &k, &v, &att, &gate, &up};
  float* next = activations_.get();
  for (int i = 0; i < 8; ++i) {
    *slots[i] = next;
    next += aligned(b * widths[i] * sizeof(float)) / sizeof(float);
  }

  // Two chunks per (token, head) at a full batch; up to 64 for a single long-context token
  // (attention_chunks).
  attention_slots = static_cast<int64_t>(h.n_head) * std::max<int64_t>(2 * b, 64);
  attention_ = DeviceBuffer<float>(attention_scratch_floats(attention_slots, h.head_dim), "attention partials");
  attention_scratch = attention_.get();

  const uint64_t tokens_bytes = aligned(b * sizeof(TokenCache));
  const uint64_t kept_bytes = aligned(b * sizeof(int32_t));
  rope_floats_ = std::max(h.rope_dim, 2);
  const uint64_t rope_bytes = aligned(b * rope_floats_ * sizeof(float));
  meta_bytes_ = tokens_bytes + kept_bytes + rope_bytes;
  meta_ = DeviceBuffer<uint8_t>(meta_bytes_, "per-token metadata");
  host_meta_ = PinnedBuffer<uint8_t>(meta_bytes_, "per-token metadata");
  host_tokens = reinterpret_cast<TokenCache*>(host_meta_.get());
  host_kept = reinterpret_cast<int32_t*>(host_meta_.get() + tokens_bytes);
  host_rope = reinterpret_cast<float*>(host_meta_.get() + tokens_bytes + kept_bytes);
  tokens = reinterpret_cast<const TokenCache*>(meta_.get());
  kept = reinterpret_cast<const int32_t*>(meta_.get() + tokens_bytes);
  rope = reinterpret_cast<const float*>(meta_.get() + tokens_bytes + kept_bytes);

  host_embd_ = PinnedBuffer<float>(b * h.n_embd, "embedding rows");
  host_embd = host_embd_.get();
  host_mapped_ = mapped_at_same_address(host_meta_.get());

  top_scratch_ = DeviceBuffer<float>(top_candidates_scratch_floats(b, n_vocab), "top candidates' scratch");
  const uint64_t candidate_bytes = b * (kMaxTopCandidates * sizeof(Candidate) + sizeof(float));
  candidates_ = DeviceBuffer<uint8_t>(candidate_bytes, "top candidates");
  host_candidates_ = PinnedBuffer<uint8_t>(candidate_bytes, "top candidates");
}

PassBuffers::CandidateSpace PassBuffers::candidates(int64_t rows, int32_t k) const {
  return candidate_space(candidates_.get(), rows, k);
}

PassBuffers::CandidateSpace PassBuffers::host_candidates(int64_t rows, int32_t k) const {
  return candidate_space(host_candidates_.get(), rows, k);
}

void PassBuffers::reserve_tables(int32_t width) {
  if (width <= table_width_) return;
  const uint64_t ids = static_cast<uint64_t>(std::max(max_batch_, 1)) * static_cast<uint64_t>(width);
  tables_ = DeviceBuffer<int32_t>(ids, "KV block tables");
  host_tables_ = PinnedBuffer<int32_t>(ids, "KV block tables");
  table_width_ = width;
}

void PassBuffers::upload(int64_t n, int64_t table_rows, cudaStream_t stream) {
  // Only the n tokens' parts: a decode pass then moves a few hundred bytes, not max_batch rows.
  HostCopies parts;
  uint64_t total = 0;
  const auto add = [&](const void* device_dst, const void* host_src, uint64_t bytes) {
    if (bytes == 0) return;
    parts.part[parts.count++] = {host_src, const_cast<void*>(device_dst), bytes};
    total += bytes;
  };
  add(tokens, host_tokens, n * sizeof(TokenCache));
  add(kept, host_kept, n * sizeof(int32_t));
  add(rope, host_rope, n * rope_floats_ * sizeof(float));
  add(tables_.get(), host_tables_.get(), static_cast<uint64_t>(table_rows) * table_width_ * sizeof(int32_t));
  add(x, host_embd, static_cast<uint64_t>(n) * n_embd_ * sizeof(float));
  if (host_mapped_ && total <= kKernelUploadMaxBytes && kernel_uploads()) return copy_from_host(parts, stream);
  for (int i = 0; i < parts.count; ++i) {
    const HostCopy& p = parts.part[i];
    CUDA_CHECK(cudaMemcpyAsync(p.dst, p.src, p.bytes, cudaMemcpyHostToDevice, stream));
  }
}

void PassBuffers::reserve_logits(int64_t floats) {
  if (static_cast<uint64_t>(floats) <= logits_.size()) return;
  logits_ = DeviceBuffer<float>(floats, "logits");
  host_logits_ = PinnedBuffer<float>(floats, "logits");
}

}  // namespace nt::cuda

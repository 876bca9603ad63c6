// The llama-family forward pass on the GPU, step for step as cpu/llama_forward.cc: embed →
// per layer (norm → q,k,v → rope → attention → output → residual → norm → gate, up → swiglu →
// down → residual) → norm → output head. Every kernel goes on the device's compute stream; a
// layer's weights are only touched between its begin_layer and end_layer, and the pass
// synchronises once, when the logits (or only their top candidates) are on their way to the
// host. A decode pass over resident weights replays a CUDA graph of all of this
// (cuda/pass_graphs.h). A profiled pass (set_profile) launches directly instead, each kernel or
// group of kernels between a pair of events (cuda/op_events.h); unprofiled, the scopes record nothing.
// Where a decode step allows, neighbouring ops run as one kernel (cuda/kernels/fused_matvec.h:
// gate, up and SwiGLU; q, k and v; and rope with store_kv), bit for bit the separate kernels'
// results; opt-in with NT_CUDA_FUSED=1 (kFusedKernelsByDefault says why).
#include "cuda/cuda_backend.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "backend/kv_bytes_read.h"
#include "backend/kv_type.h"
#include "backend/view_bytes.h"
#include "backend/rope_table.h"
#include "core/engine_error.h"
#include "cuda/cuda_check.h"
#include "cuda/kernels/attention.h"
#include "cuda/kernels/fused_matvec.h"
#include "cuda/kernels/matmul.h"
#include "cuda/kernels/ops.h"
#include "cuda/kernels/top_candidates.h"
#include "cuda/op_events.h"
#include "cuda/pass_buffers.h"
#include "cuda/pass_graphs.h"
#include "cuda/side_stream.h"
#include "quant/dequantize.h"

namespace nt {

namespace {

// Norm weights and biases are F32 tensors (the loader checks types); the kernels read them as floats.
const float* f32(const TensorView& v, const char* what) {
  if (v.type != static_cast<uint32_t>(GgmlType::F32)) {
    throw EngineError(NT_E_UNSUPPORTED, std::string("the CUDA backend needs ") + what + " in F32, not " +
                                            ggml_type_name(v.type));
  }
  return reinterpret_cast<const float*>(v.data);
}

// The fused decode kernels give the separate kernels' bits (their GPU tests passed on an H100 on
// 2026-12-07) but are not faster where it counts: replayed as graphs, 8B q4_k_m tg128 305.6 t/s
// fused vs 315.9 separate (launched directly, 4.73 vs 5.20 ms a token). So they stay opt-in;
// NT_CUDA_FUSED=1 or 0 (read per pass, as NT_MATMUL per product) chooses either way.
constexpr bool kFusedKernelsByDefault = false;

bool fused_kernels() {
  const char* fused = std::getenv("NT_CUDA_FUSED");
  if (fused == nullptr) return kFusedKernelsByDefault;
  return std::string(fused) != "0";
}

cuda::KvElement kv_element(GgmlType type) {
  if (type == GgmlType::F16) return cuda::KvElement::F16;
  return type == GgmlType::Q8_0 ? cuda::KvElement::Q8_0 : cuda::KvElement::F32;
}

class CudaBackend final : public ComputeBackend {
 public:
  CudaBackend(const Hparams& h, int32_t n_vocab, CudaStreamDevice& device, int32_t max_batch, bool use_graphs)
      : h_(h), n_vocab_(n_vocab), device_(device), max_batch_(max_batch), use_graphs_(use_graphs),
        buffers_(h, n_vocab, max_batch) {}

  ~CudaBackend() override { device_.make_current(); }  // the buffers free on this device

  const char* name() const override { return "cuda"; }

  std::shared_ptr<KvPool> new_kv_pool(int32_t n_blocks, GgmlType type) override {
    check_kv_type(type, h_.head_dim);
    device_.make_current();
    const uint64_t bytes = KvPool::side_bytes(type, h_.n_layer, h_.n_embd_kv(), n_blocks);
    cuda::DeviceBuffer<uint8_t> k(bytes, "the KV cache pool (keys)");
    cuda::DeviceBuffer<uint8_t> v(bytes, "the KV cache pool (values)");
    // Zeroed so that a cache never holds NaN garbage; positions are always written before read.
    // On the compute stream: a plain cudaMemset runs on the legacy stream, which the non-blocking
    // compute stream does not wait for, so it could land after the first pass wrote keys.
    CUDA_CHECK(cudaMemsetAsync(k.get(), 0, bytes, device_.compute_stream()));
    CUDA_CHECK(cudaMemsetAsync(v.get(), 0, bytes, device_.compute_stream()));
    uint8_t* k_ptr = k.release();
    uint8_t* v_ptr = v.release();
    const int ordinal = device_.ordinal();
    auto release = [ordinal, k_ptr, v_ptr] {
      // The pool may die on another thread; its memory belongs to `ordinal`'s context.
      cudaSetDevice(ordinal);
      cudaFree(k_ptr);
      cudaFree(v_ptr);
    };
    return std::make_shared<KvPool>(type, h_.n_layer, h_.n_embd_kv(), n_blocks, k_ptr, v_ptr, release);
  }

  void forward(const Batch& batch, WeightSource& weights, int32_t candidates, PassOutput& out) override {
    forward_segment(batch, weights, PassSegment{0, h_.n_layer, true, nullptr}, candidates, out);
  }

  void forward_segment(const Batch& batch, WeightSource& weights, const PassSegment& segment, int32_t candidates,
                       PassOutput& out) override {
    device_.make_current();
    const cudaStream_t stream = device_.compute_stream();
    try {
      run_pass(batch, weights, segment, candidates, stream, out);
    } catch (...) {
      // Work already queued may still read the pinned staging buffers the next pass refills.
      side_.synchronize();
      cudaStreamSynchronize(stream);
      events_.clear();
      throw;
    }
  }

  void set_profile(OpProfile* profile) override { profile_ = profile; }

 private:
  // The buffers whose roles swap when rows are dropped (keep_logit_rows gathers out of place).
  struct Activations {
    float *x, *xb, *q, *att;
  };

  // The event pair around one op of a profiled pass; nothing without a profile.
  cuda::OpScope timed(const char* op, uint64_t bytes, cudaStream_t stream) {
    return cuda::OpScope(profile_ ? &events_ : nullptr, op, bytes, stream);
  }

  // Each sequence's block table, a row per distinct cache in the pass, and each token's row.
  // Returns the rows filled; kv_ then describes the pool.
  int64_t stage_tables(const Batch& batch) {
    int32_t width = 0;
    for (const BatchToken& b : batch) {
      if (!b.cache || b.pos < 0 || b.pos >= b.cache->capacity() || &b.cache->pool() != &batch.front().cache->pool()) {
        throw EngineError(NT_E_INTERNAL, "token position " + std::to_string(b.pos) + " is outside its KV cache");
      }
      width = std::max<int32_t>(width, static_cast<int32_t>(KvPool::blocks_for(b.cache->n_ctx())));
    }
    buffers_.reserve_tables(width);
    const KvPool& pool = batch.front().cache->pool();
    kv_ = cuda::KvLayout{pool.k_base(),         pool.v_base(),         buffers_.tables(),
                         pool.block_stride(),   pool.layer_stride(),   pool.row_stride(),
                         buffers_.table_width(), kv_element(pool.type())};
    std::vector<const KvCache*> rows;
    for (size_t t = 0; t < batch.size(); ++t) {
      const KvCache* cache = batch[t].cache;
      const auto it = std::find(rows.begin(), rows.end(), cache);
      buffers_.host_tokens[t].table = static_cast<int32_t>(it - rows.begin());
      if (it != rows.end()) continue;
      std::copy(cache->blocks().begin(), cache->blocks().end(),
                buffers_.host_tables() + rows.size() * static_cast<size_t>(buffers_.table_width()));
      rows.push_back(cache);
    }
    return static_cast<int64_t>(rows.size());
  }

  // Fills the pinned staging area: embedding rows (dequantized here: the table stays in host
  // memory), each token's position and RoPE table, the rows that want logits. Returns how many do.
  // A segment that starts past layer 0 takes its residual stream from `x_in` instead of the
  // embedding: rows_in rows (the batch, or past the last layer the kept rows).
  int64_t stage_tokens(const Batch& batch, const WeightSource& weights, const float* x_in, int64_t rows_in) {
    const TensorView& embd = weights.tok_embd();
    const RopeParams rope = rope_params(h_, weights.rope_freqs());
    RopeTable table;
    const int64_t pairs = h_.rope_dim / 2;
    int64_t kept = 0;
    for (size_t t = 0; t < batch.size(); ++t) {
      const BatchToken& b = batch[t];
      if (b.token < 0 || b.token >= embd.ne[1]) {
        throw EngineError(NT_E_BAD_REQUEST, "token id " + std::to_string(b.token) + " is outside the vocabulary");
      }
      if (!x_in) quant::dequantize_row(embd.type, embd.row(b.token), buffers_.host_embd + t * h_.n_embd, h_.n_embd);
      buffers_.host_tokens[t].pos = b.pos;
      rope_table(b.pos, rope, table);
      float* dst = buffers_.host_rope + t * buffers_.rope_stride();
      std::copy_n(table.cos.data(), pairs, dst);
      std::copy_n(table.sin.data(), pairs, dst + pairs);
      if (b.want_logits) buffers_.host_kept[kept++] = static_cast<int32_t>(t);
    }
    if (x_in) std::copy_n(x_in, rows_in * h_.n_embd, buffers_.host_embd);
    return kept;
  }

  void run_pass(const Batch& batch, WeightSource& weights, const PassSegment& seg, int32_t candidates,
                cudaStream_t stream, PassOutput& out) {
    const int64_t n = static_cast<int64_t>(batch.size());
    if (n > max_batch_) {
      throw EngineError(NT_E_INTERNAL, "a pass of " + std::to_string(n) + " tokens exceeds the CUDA backend's batch of " +
                                           std::to_string(max_batch_));
    }
    if (n == 0) throw EngineError(NT_E_INTERNAL, "an empty pass");
    const int64_t table_rows = stage_tables(batch);
    const int64_t wanted = std::count_if(batch.begin(), batch.end(), [](const BatchToken& b) { return b.want_logits; });
    const int64_t rows_in = seg.first >= h_.n_layer ? wanted : n;
    const int64_t kept = stage_tokens(batch, weights, seg.first > 0 ? seg.x : nullptr, rows_in);
    fused_ = fused_kernels();
    buffers_.reserve_logits(std::max<int64_t>(kept, 1) * n_vocab_);
    int32_t max_n_past = 0;
    for (const auto& b : batch) max_n_past = std::max(max_n_past, b.pos + 1);
    const auto issue = [&] { issue_pass(n, table_rows, kept, max_n_past, candidates, seg, weights, stream); };
    const bool whole = seg.first == 0 && seg.last == h_.n_layer && seg.head;
    if (profile_) kv_read_ = kv_bytes_read(batch, h_.n_embd_kv());
    // Prefill chunks are compute-bound GEMMs: launches cost them nothing worth a graph. A profiled
    // pass launches directly: its events must sit between the kernels, not in a replayed graph.
    if (whole && use_graphs_ && !profile_ && weights.resident() && n <= cuda::kMatvecMaxTokens) {
      const cuda::PassShape shape{n,
                                  kept,
                                  cuda::attention_chunks(max_n_past, n, h_.n_head, buffers_.attention_slots),
                                  candidates,
                                  buffers_.logits(),
                                  table_rows,
                                  buffers_.tables(),
                                  fused_,
                                  kv_.k,
                                  kv_.v,
                                  static_cast<int32_t>(kv_.element)};
      graphs_.run(shape, stream, issue);
    } else {
      issue();
    }
    CUDA_CHECK(cudaStreamSynchronize(stream));
    if (profile_) events_.collect(*profile_);
    if (!seg.head) {
      const int64_t rows_out = seg.last >= h_.n_layer ? kept : rows_in;
      std::copy_n(buffers_.host_embd, rows_out * h_.n_embd, seg.x);
      return;
    }
    read_results(std::min(kept, n), candidates, out);
  }

  // Everything a pass does on the device, from the upload of the staged tokens to the logits in
  // pinned memory; nothing here may synchronise or allocate (it may be captured as a graph).
  // A segment (backend/pass_segment.h) runs its layers only, and without the head ends by
  // copying x back to the pinned embedding rows (the stream orders it after their upload).
  void issue_pass(int64_t n, int64_t table_rows, int64_t kept, int32_t max_n_past, int32_t candidates,
                  const PassSegment& seg, WeightSource& weights, cudaStream_t stream) {
    {
      const auto t = timed("upload", 0, stream);
      buffers_.upload(n, table_rows, stream);
    }
    Activations a{buffers_.x, buffers_.xb, buffers_.q, buffers_.att};
    if (seg.first >= h_.n_layer) n = kept;  // entering past the last layer: only the kept rows
    for (int layer = seg.first; layer < seg.last; ++layer) {
      const LayerWeights l = begin_layer(weights, layer, stream);
      {
        const auto t = timed("attn_norm", view_bytes(l.attn_norm), stream);
        cuda::rms_norm(a.x, f32(l.attn_norm, "attn_norm"), n, h_.n_embd, h_.rms_eps, a.xb, stream);
      }
      project_qkv(l, layer, n, a, stream);
      {
        const auto t = timed("attention", kv_read_, stream);
        const cuda::AttentionShape shape{h_.n_head, h_.n_head_kv, h_.head_dim};
        // One table row: every token is one sequence's, so prefill's flash tiles may share blocks.
        cuda::attention(a.q, buffers_.tokens, kv_, n, table_rows == 1, layer, shape, max_n_past,
                        buffers_.attention_scratch, buffers_.attention_slots, a.att, stream);
      }
      if (layer == h_.n_layer - 1 && kept < n) n = keep_logit_rows(kept, a, stream);
      {
        const auto t = timed("o+residual", view_bytes(l.wo), stream);
        cuda::matmul_add(l.wo, a.att, n, a.x, stream);
      }
      feed_forward(l, n, a, stream);
      weights.end_layer(layer);  // this layer's kernels are issued: its slot may be refilled behind them
    }
    if (!seg.head) {
      if (n == 0) return;
      const auto t = timed("download", 0, stream);
      CUDA_CHECK(cudaMemcpyAsync(buffers_.host_embd, a.x, static_cast<uint64_t>(n) * h_.n_embd * sizeof(float),
                                 cudaMemcpyDeviceToHost, stream));
      return;
    }
    issue_head(n, candidates, weights, a, stream);
  }

  // A streamed block's begin orders the stream behind its copy (and may block the host until the
  // copy is issued): the profile's "weights wait" is that stall on the GPU's clock.
  LayerWeights begin_layer(WeightSource& weights, int layer, cudaStream_t stream) {
    const auto t = timed("weights wait", 0, stream);
    return weights.begin_layer(layer);
  }

  // The output norm and head, and the logits (or their top candidates) on their way to pinned memory.
  void issue_head(int64_t n, int32_t candidates, WeightSource& weights, const Activations& a, cudaStream_t stream) {
    const OutputWeights o = [&] {
      const auto t = timed("weights wait", 0, stream);
      return weights.begin_output();
    }();
    if (o.output.rows() != n_vocab_) {
      throw EngineError(NT_E_INTERNAL, "the output head has " + std::to_string(o.output.rows()) + " rows, not n_vocab " +
                                           std::to_string(n_vocab_));
    }
    {
      const auto t = timed("output_norm", view_bytes(o.output_norm), stream);
      cuda::rms_norm(a.x, f32(o.output_norm, "output_norm"), n, h_.n_embd, h_.rms_eps, a.xb, stream);
    }
    {
      const auto t = timed("output", view_bytes(o.output), stream);
      cuda::matmul(o.output, a.xb, n, buffers_.logits(), stream);
    }
    weights.end_output();
    if (n == 0) return;  // no row wants logits (a graph refuses an empty copy)
    if (candidates > 0) return copy_top_candidates(n, candidates, stream);
    const auto t = timed("download", 0, stream);
    CUDA_CHECK(cudaMemcpyAsync(buffers_.host_logits(), buffers_.logits(), static_cast<uint64_t>(n) * n_vocab_ * sizeof(float),
                               cudaMemcpyDeviceToHost, stream));
  }

  // Each row's top candidates and log-sum-exp, computed on the device: only rows × (k pairs + 1
  // float) cross to pinned memory, in one copy, instead of rows × n_vocab logits.
  void copy_top_candidates(int64_t rows, int32_t k, cudaStream_t stream) {
    const cuda::PassBuffers::CandidateSpace device = buffers_.candidates(rows, k);
    {
      const auto t = timed("top_candidates", 0, stream);
      cuda::top_candidates(buffers_.logits(), rows, n_vocab_, k, buffers_.top_scratch(), device.top,
                           device.log_sum_exp, stream);
    }
    const auto t = timed("download", 0, stream);
    CUDA_CHECK(cudaMemcpyAsync(buffers_.host_candidates(rows, k).top, device.top, device.bytes, cudaMemcpyDeviceToHost,
                               stream));
  }

  // What the synchronised pass left in pinned memory, into `out`.
  void read_results(int64_t rows, int32_t candidates, PassOutput& out) const {
    out.candidates = candidates;
    out.rows.clear();
    if (candidates == 0) {
      out.logits.assign(buffers_.host_logits(), buffers_.host_logits() + static_cast<uint64_t>(rows) * n_vocab_);
      return;
    }
    out.logits.clear();
    const cuda::PassBuffers::CandidateSpace host = buffers_.host_candidates(rows, candidates);
    out.rows.resize(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
      out.rows[r].log_sum_exp = host.log_sum_exp[r];
      out.rows[r].top.assign(host.top + r * candidates, host.top + (r + 1) * candidates);
    }
  }

  // q, k, v projections, biases, rope, and the new keys and values into each token's cache.
  void project_qkv(const LayerWeights& l, int layer, int64_t n, const Activations& a, cudaStream_t stream) {
    {
      // One pair around the fork and the join: the side stream's products are inside it.
      const auto t = timed("qkv",
                           view_bytes(l.wq) + view_bytes(l.wk) + view_bytes(l.wv) + view_bytes(l.bq) +
                               view_bytes(l.bk) + view_bytes(l.bv),
                           stream);
      if (fused_ && cuda::fuses_qkv(l.wq, l.wk, l.wv, n)) {
        cuda::matmul_qkv(l.wq, l.wk, l.wv, a.xb, n, a.q, buffers_.k, buffers_.v, stream);
        add_qkv_biases(l, n, a, stream, stream);
      } else {
        separate_qkv(l, n, a, stream);
      }
    }
    const cuda::RopeShape shape{h_.n_head, h_.n_head_kv, h_.head_dim, h_.rope_dim, h_.rope_mode};
    if (fused_) {
      const auto t = timed("rope+store_kv", 0, stream);
      cuda::rope_store_kv(a.q, buffers_.k, buffers_.v, buffers_.rope, shape, buffers_.tokens, kv_, n, layer,
                          h_.n_embd_kv(), stream);
      return;
    }
    {
      const auto t = timed("rope", 0, stream);
      cuda::rope(a.q, buffers_.k, buffers_.rope, n, shape, stream);
    }
    const auto t = timed("store_kv", 0, stream);
    cuda::store_kv(buffers_.k, buffers_.v, buffers_.tokens, kv_, n, layer, h_.n_embd_kv(), stream);
  }

  // q, k and v as three products: k and v (GQA: a quarter of q's rows or fewer) beside q on the side stream.
  void separate_qkv(const LayerWeights& l, int64_t n, const Activations& a, cudaStream_t stream) {
    const cudaStream_t side = side_.fork(stream);
    cuda::matmul(l.wk, a.xb, n, buffers_.k, side);
    cuda::matmul(l.wv, a.xb, n, buffers_.v, side);
    cuda::matmul(l.wq, a.xb, n, a.q, stream);
    add_qkv_biases(l, n, a, side, stream);
    side_.join(stream);
  }

  // qwen2's biases, each after its product: k's and v's on kv_stream, q's on q_stream.
  void add_qkv_biases(const LayerWeights& l, int64_t n, const Activations& a, cudaStream_t kv_stream,
                      cudaStream_t q_stream) {
    const int64_t q_dim = int64_t{h_.n_head} * h_.head_dim, kv_dim = h_.n_embd_kv();
    if (l.bk.data) cuda::add_bias(buffers_.k, f32(l.bk, "attn_k.bias"), n, kv_dim, kv_stream);
    if (l.bv.data) cuda::add_bias(buffers_.v, f32(l.bv, "attn_v.bias"), n, kv_dim, kv_stream);
    if (l.bq.data) cuda::add_bias(a.q, f32(l.bq, "attn_q.bias"), n, q_dim, q_stream);
  }

  // The down projection adds its product into x: the residual connection in its last store.
  void feed_forward(const LayerWeights& l, int64_t n, const Activations& a, cudaStream_t stream) {
    {
      const auto t = timed("ffn_norm", view_bytes(l.ffn_norm), stream);
      cuda::rms_norm(a.x, f32(l.ffn_norm, "ffn_norm"), n, h_.n_embd, h_.rms_eps, a.xb, stream);
    }
    if (fused_ && cuda::fuses_swiglu(l.w_gate, l.w_up, n)) {
      const auto t = timed("gate_up+swiglu", view_bytes(l.w_gate) + view_bytes(l.w_up), stream);
      cuda::matmul_swiglu(l.w_gate, l.w_up, a.xb, n, buffers_.gate, stream);
    } else {
      gate_up_swiglu(l, n, a, stream);
    }
    const auto t = timed("down+residual", view_bytes(l.w_down), stream);
    cuda::matmul_add(l.w_down, buffers_.gate, n, a.x, stream);
  }

  // gate and up as two products (up beside gate on the side stream), then SwiGLU into gate.
  void gate_up_swiglu(const LayerWeights& l, int64_t n, const Activations& a, cudaStream_t stream) {
    {
      const auto t = timed("gate_up", view_bytes(l.w_gate) + view_bytes(l.w_up), stream);
      const cudaStream_t side = side_.fork(stream);
      cuda::matmul(l.w_up, a.xb, n, buffers_.up, side);
      cuda::matmul(l.w_gate, a.xb, n, buffers_.gate, stream);
      side_.join(stream);
    }
    const auto t = timed("swiglu", 0, stream);
    cuda::swiglu(buffers_.gate, buffers_.up, n * h_.n_ff, stream);
  }

  // After the last layer's attention only the rows that want logits matter (llama.cpp prunes
  // them the same way), so a prompt's feed-forward runs for its final token alone. x moves into
  // xb's buffer (free until the output projection) and att into q's (free after attention).
  int64_t keep_logit_rows(int64_t kept, Activations& a, cudaStream_t stream) {
    const int64_t q_dim = int64_t{h_.n_head} * h_.head_dim;
    const auto t = timed("keep_rows", 0, stream);
    cuda::gather_rows(a.xb, a.x, buffers_.kept, kept, h_.n_embd, stream);
    cuda::gather_rows(a.q, a.att, buffers_.kept, kept, q_dim, stream);
    std::swap(a.x, a.xb);
    std::swap(a.att, a.q);
    return kept;
  }

  Hparams h_;
  int32_t n_vocab_;
  CudaStreamDevice& device_;
  int32_t max_batch_;
  bool use_graphs_;
  cuda::PassBuffers buffers_;
  cuda::KvLayout kv_;  // the pool and the pass's block tables, set by stage_tables
  cuda::SideStream side_;
  cuda::PassGraphs graphs_;  // declared after buffers_: destroyed first, while the memory they name exists
  OpProfile* profile_ = nullptr;  // set_profile: the passes' ops into it, or nullptr (not timed)
  cuda::OpEvents events_;
  uint64_t kv_read_ = 0;  // a profiled pass's cache bytes per layer's attention
  bool fused_ = false;    // this pass's NT_CUDA_FUSED: fused decode kernels where they apply
};

}  // namespace

std::unique_ptr<ComputeBackend> make_cuda_backend(const Hparams& h, int32_t n_vocab, CudaStreamDevice& device,
                                                  int32_t max_batch) {
  if (max_batch <= 0) throw EngineError(NT_E_INTERNAL, "the CUDA backend needs max_batch >= 1");
  device.make_current();  // the scratch buffers are allocated on the device's context
  // NT_CUDA_GRAPHS=0 launches every kernel directly: for comparing the two in tests and benches.
  const char* graphs = std::getenv("NT_CUDA_GRAPHS");
  const bool use_graphs = graphs == nullptr || std::string(graphs) != "0";
  return std::make_unique<CudaBackend>(h, n_vocab, device, max_batch, use_graphs);
}

}  // namespace nt

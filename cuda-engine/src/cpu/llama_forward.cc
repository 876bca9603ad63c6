// Reads as the math does: embed → per layer (norm → q,k,v → rope → attention → output → residual
// → norm → gate, up → swiglu → down → residual) → norm → output head. Ops are in src/cpu/ops,
// matrix products in src/cpu/matmul; q, k, v and gate, up are one parallel region each
// (matmul_group), which at one token saves a pool wake-up, a wait and an activation quantization.
#include "cpu/llama_forward.h"

#include <algorithm>
#include <cstring>

#include "backend/host_op_timer.h"
#include "backend/kv_bytes_read.h"
#include "backend/view_bytes.h"
#include "cpu/matmul.h"
#include "cpu/ops/attention.h"
#include "cpu/ops/flash_attention.h"
#include "cpu/quant/type_table.h"
#include "cpu/simd.h"
#include "cpu/ops/rms_norm.h"
#include "cpu/ops/rope.h"
#include "cpu/ops/swiglu.h"
#include "quant/dequantize.h"

namespace nt {

namespace {

const float* f32(const TensorView& v) { return reinterpret_cast<const float*>(v.data); }

void add_rows(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

void add_bias(float* rows, const TensorView& bias, int64_t n_rows, int64_t n) {
  if (!bias.data) return;
  for (int64_t r = 0; r < n_rows; ++r) add_rows(rows + r * n, f32(bias), n);
}

void embed(const TensorView& tok_embd, const Batch& batch, int64_t n_embd, float* x) {
  for (size_t t = 0; t < batch.size(); ++t) {
    quant::dequantize_row(tok_embd.type, tok_embd.row(batch[t].token), x + t * n_embd, n_embd);
  }
}

// A key or value row into the cache in its type, rounded as ggml's copy into llama.cpp's cache
// rounds it (F16: to nearest even; Q8_0: the type's own quantizer, blocks of 32).
void store_row(GgmlType type, const float* row, uint8_t* dst, int64_t n) {
  if (type == GgmlType::F32) {
    std::memcpy(dst, row, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  cpu::quant::type_kernels(static_cast<uint32_t>(type), cpu::simd_level())->quantize_activation(row, dst, n);
}

// q, k, v projections, biases, rope, and the new keys and values into each token's cache.
void project_qkv(const Hparams& h, const RopeParams& rope, const LayerWeights& l, int layer, const Batch& batch,
                 ForwardScratch& s, cpu::ThreadPool& pool, OpProfile* profile) {
  const int64_t n = static_cast<int64_t>(batch.size());
  const int64_t q_dim = int64_t{h.n_head} * h.head_dim, kv_dim = h.n_embd_kv();
  {
    const HostOpTimer timer(profile, "qkv", view_bytes(l.wq) + view_bytes(l.wk) + view_bytes(l.wv) +
                                                view_bytes(l.bq) + view_bytes(l.bk) + view_bytes(l.bv));
    const cpu::MatmulProduct qkv[] = {{&l.wq, s.q.data()}, {&l.wk, s.k.data()}, {&l.wv, s.v.data()}};
    cpu::matmul_group(qkv, 3, s.xb.data(), n, pool);
    add_bias(s.q.data(), l.bq, n, q_dim);
    add_bias(s.k.data(), l.bk, n, kv_dim);
    add_bias(s.v.data(), l.bv, n, kv_dim);
  }
  {
    const HostOpTimer timer(profile, "rope", 0);
    for (int64_t t = 0; t < n; ++t) {
      rope_table(batch[t].pos, rope, s.rope);
      ops::rope(s.q.data() + t * q_dim, h.n_head, s.rope, rope);
      ops::rope(s.k.data() + t * kv_dim, h.n_head_kv, s.rope, rope);
    }
  }
  const HostOpTimer timer(profile, "store_kv", 0);
  for (int64_t t = 0; t < n; ++t) {
    KvCache& cache = *batch[t].cache;
    store_row(cache.pool().type(), s.k.data() + t * kv_dim, cache.k(layer, batch[t].pos), kv_dim);
    store_row(cache.pool().type(), s.v.data() + t * kv_dim, cache.v(layer, batch[t].pos), kv_dim);
  }
}

// One head's rows of one layer through the cache's block table; base is that head's row 0 in block 0.
ops::PagedRows paged_rows(const KvCache& cache, const uint8_t* base) {
  const KvPool& pool = cache.pool();
  return {base, cache.blocks().data(), pool.block_stride(), pool.row_stride(), KvPool::kBlockPositions};
}

void attend(const Hparams& h, int layer, const Batch& batch, ForwardScratch& s, cpu::ThreadPool& pool) {
  const int64_t n = static_cast<int64_t>(batch.size());
  const int32_t group = h.n_head / h.n_head_kv;
  const int64_t q_dim = int64_t{h.n_head} * h.head_dim;
  int32_t max_ctx = 0;
  for (const auto& b : batch) max_ctx = std::max(max_ctx, b.pos + 1);
  // Per worker: the F32 path's scores, or the flash path's converted q and two rows.
  const size_t per_worker = std::max<size_t>(max_ctx, 3 * static_cast<size_t>(h.head_dim));
  s.scores.resize(static_cast<size_t>(pool.size()) * per_worker);
  const GgmlType type = batch.empty() ? GgmlType::F32 : batch.front().cache->pool().type();
  const int64_t head_bytes = static_cast<int64_t>(KvPool::row_bytes(type, h.head_dim));
  pool.parallel_for(n * h.n_head, [&](int64_t begin, int64_t end, int worker) {
    float* scratch = s.scores.data() + static_cast<size_t>(worker) * per_worker;
    for (int64_t i = begin; i < end; ++i) {
      const int64_t t = i / h.n_head;
      const int32_t head = static_cast<int32_t>(i % h.n_head);
      const KvCache& cache = *batch[t].cache;
      const int64_t kv_offset = static_cast<int64_t>(head / group) * head_bytes;
      const ops::PagedRows k = paged_rows(cache, cache.pool().k(0, layer, 0) + kv_offset);
      const ops::PagedRows v = paged_rows(cache, cache.pool().v(0, layer, 0) + kv_offset);
      const float* q = s.q.data() + t * q_dim + int64_t{head} * h.head_dim;
      float* out = s.att.data() + t * q_dim + int64_t{head} * h.head_dim;
      if (type == GgmlType::F32) {
        ops::attention_head(q, k, v, batch[t].pos + 1, h.head_dim, scratch, out);
      } else {
        ops::flash_attention_head(static_cast<uint32_t>(type), q, k, v, batch[t].pos + 1, h.head_dim,
                                  reinterpret_cast<uint8_t*>(scratch + 2 * h.head_dim), scratch, out);
      }
    }
  });
}

void feed_forward(const Hparams& h, const LayerWeights& l, int64_t n, ForwardScratch& s, cpu::ThreadPool& pool,
                  OpProfile* profile) {
  {
    const HostOpTimer timer(profile, "ffn_norm", view_bytes(l.ffn_norm));
    ops::rms_norm(s.x.data(), f32(l.ffn_norm), n, h.n_embd, h.rms_eps, s.xb.data());
  }
  {
    const HostOpTimer timer(profile, "gate_up", view_bytes(l.w_gate) + view_bytes(l.w_up));
    const cpu::MatmulProduct gate_up[] = {{&l.w_gate, s.ffn_gate.data()}, {&l.w_up, s.ffn_up.data()}};
    cpu::matmul_group(gate_up, 2, s.xb.data(), n, pool);
  }
  {
    const HostOpTimer timer(profile, "swiglu", 0);
    // Element by element, so split across the pool with the same results: one thread's expf over
    // a 70B layer's 28672 elements would hold up the other fifteen for tens of microseconds.
    pool.parallel_for(n * h.n_ff, [&](int64_t begin, int64_t end, int) {
      ops::swiglu(s.ffn_gate.data() + begin, s.ffn_up.data() + begin, end - begin);
    });
  }
  const HostOpTimer timer(profile, "down+residual", view_bytes(l.w_down));
  cpu::matmul(l.w_down, s.ffn_gate.data(), n, s.xb.data(), pool);
  add_rows(s.x.data(), s.xb.data(), n * h.n_embd);
}

// After the last layer's attention only the rows that want logits matter (llama.cpp prunes them
// the same way), so a prompt's feed-forward runs for its final token alone.
int64_t keep_logit_rows(const Hparams& h, const Batch& batch, ForwardScratch& s) {
  const int64_t q_dim = int64_t{h.n_head} * h.head_dim;
  int64_t kept = 0;
  for (size_t t = 0; t < batch.size(); ++t) {
    if (!batch[t].want_logits) continue;
    std::copy_n(s.x.data() + t * h.n_embd, h.n_embd, s.x.data() + kept * h.n_embd);
    std::copy_n(s.att.data() + t * q_dim, q_dim, s.att.data() + kept * q_dim);
    ++kept;
  }
  return kept;
}

int64_t logit_rows(const Batch& batch) {
  return std::count_if(batch.begin(), batch.end(), [](const BatchToken& b) { return b.want_logits; });
}

// The weights' brackets, timed: a streamed block's begin waits for its copy (CPU backend over
// the streamer) — the profile's "weights wait".
LayerWeights begin_layer(WeightSource& w, int layer, OpProfile* profile) {
  const HostOpTimer timer(profile, "weights wait", 0);
  return w.begin_layer(layer);
}

OutputWeights begin_output(WeightSource& w, OpProfile* profile) {
  const HostOpTimer timer(profile, "weights wait", 0);
  return w.begin_output();
}

void resize_scratch(const Hparams& h, int64_t n, ForwardScratch& s) {
  const int64_t q_dim = int64_t{h.n_head} * h.head_dim;
  s.x.resize(n * h.n_embd);
  s.xb.resize(n * std::max<int64_t>(h.n_embd, q_dim));
  s.q.resize(n * q_dim);
  s.att.resize(n * q_dim);
  s.k.resize(n * h.n_embd_kv());
  s.v.resize(n * h.n_embd_kv());
  s.ffn_gate.resize(n * h.n_ff);
  s.ffn_up.resize(n * h.n_ff);
}

}  // namespace

void llama_forward(const Hparams& h, WeightSource& w, const Batch& batch, ForwardScratch& s, cpu::ThreadPool& pool,
                   std::vector<float>& logits) {
  llama_forward_segment(h, w, batch, PassSegment{0, h.n_layer, true, nullptr}, s, pool, logits);
}

void llama_forward_segment(const Hparams& h, WeightSource& w, const Batch& batch, const PassSegment& seg,
                           ForwardScratch& s, cpu::ThreadPool& pool, std::vector<float>& logits, OpProfile* profile) {
  int64_t n = static_cast<int64_t>(batch.size());
  resize_scratch(h, n, s);
  if (seg.first == 0) {
    const HostOpTimer timer(profile, "embed", 0);
    embed(w.tok_embd(), batch, h.n_embd, s.x.data());
  } else {
    if (seg.first >= h.n_layer) n = logit_rows(batch);  // past the last layer only those rows are left
    std::copy_n(seg.x, n * h.n_embd, s.x.data());
  }
  const RopeParams rope = rope_params(h, w.rope_freqs());
  for (int layer = seg.first; layer < seg.last; ++layer) {
    const LayerWeights l = begin_layer(w, layer, profile);
    {
      const HostOpTimer timer(profile, "attn_norm", view_bytes(l.attn_norm));
      ops::rms_norm(s.x.data(), f32(l.attn_norm), n, h.n_embd, h.rms_eps, s.xb.data());
    }
    project_qkv(h, rope, l, layer, batch, s, pool, profile);
    {
      const HostOpTimer timer(profile, "attention", kv_bytes_read(batch, h.n_embd_kv()));
      attend(h, layer, batch, s, pool);
    }
    if (layer == h.n_layer - 1) n = keep_logit_rows(h, batch, s);
    {
      const HostOpTimer timer(profile, "o+residual", view_bytes(l.wo));
      cpu::matmul(l.wo, s.att.data(), n, s.xb.data(), pool);
      add_rows(s.x.data(), s.xb.data(), n * h.n_embd);
    }
    feed_forward(h, l, n, s, pool, profile);
    w.end_layer(layer);
  }
  if (!seg.head) {
    std::copy_n(s.x.data(), n * h.n_embd, seg.x);
    return;
  }
  const OutputWeights out = begin_output(w, profile);
  {
    const HostOpTimer timer(profile, "output_norm", view_bytes(out.output_norm));
    ops::rms_norm(s.x.data(), f32(out.output_norm), n, h.n_embd, h.rms_eps, s.xb.data());
  }
  logits.resize(static_cast<size_t>(n) * out.output.ne[1]);
  {
    const HostOpTimer timer(profile, "output", view_bytes(out.output));
    cpu::matmul(out.output, s.xb.data(), n, logits.data(), pool);
  }
  w.end_output();
}

}  // namespace nt

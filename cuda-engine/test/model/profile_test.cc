// Model::profile on the CPU backend (nt-bench --profile; the CUDA side runs on the GPU machine):
// every op of the pass is in the table once per layer, the ops' time fits inside the pass's wall
// time, the weight bytes are the tensors', the results are the unprofiled pass's, and a dual-path
// pass adds its segments and the CPU layers' ops under their own names.
#include <gtest/gtest.h>

#include <string>

#include "backend/op_profile.h"
#include "backend/view_bytes.h"
#include "model/model.h"
#include "model/stories_model.h"
#include "test_data.h"

namespace nt {

namespace {

const char* const kLayerOps[] = {"attn_norm", "qkv",      "rope",   "store_kv",      "attention",
                                 "o+residual", "ffn_norm", "gate_up", "swiglu", "down+residual"};
const char* const kHeadOps[] = {"output_norm", "output", "top_candidates"};

std::unique_ptr<Model> load(const std::string& pattern = "") {
  ModelOptions o = test::cpu_options(-1, -1);
  o.dual_pattern = pattern;
  return Model::load(test::stories_path(), o, nullptr);
}

uint64_t calls_of(const OpProfile& p, const std::string& op) {
  const OpTime* t = p.find(op);
  return t ? t->calls : 0;
}

// A decode pass at position 3 after a 3-token prompt, profiled, with its output.
OpProfile profile_decode(Model& m, PassOutput& out) {
  auto cache = m.new_cache();
  m.forward({{cache.get(), 1, 0, false}, {cache.get(), 2, 1, false}, {cache.get(), 3, 2, true}}, 4, out);
  OpProfile p;
  m.profile({{cache.get(), 4, 3, true}}, 4, out, p);
  return p;
}

}  // namespace

TEST(ModelProfile, EveryOpOncePerLayerWithinTheWallTime) {
  REQUIRE_TEST_DATA();
  auto m = load();
  const uint32_t layers = static_cast<uint32_t>(m->hparams().n_layer);
  PassOutput out;
  const OpProfile p = profile_decode(*m, out);
  EXPECT_EQ(p.passes(), 1u);
  for (const char* op : kLayerOps) EXPECT_EQ(calls_of(p, op), layers) << op;
  for (const char* op : kHeadOps) EXPECT_EQ(calls_of(p, op), 1u) << op;
  EXPECT_EQ(calls_of(p, "weights wait"), layers + 1);  // each layer's begin and the head's
  EXPECT_GT(p.wall_ms(), 0);
  EXPECT_LE(p.ops_ms(), p.wall_ms());  // shares sum to <= 100 %: no op is counted twice
  for (const OpTime& t : p.ops()) EXPECT_GE(t.ms, 0) << t.op;
  EXPECT_TRUE(p.segments().empty());  // no dual path
}

TEST(ModelProfile, WeightBytesAreTheTensorsAndAttentionReadsTheCache) {
  REQUIRE_TEST_DATA();
  auto m = load();
  PassOutput out;
  const OpProfile p = profile_decode(*m, out);
  uint64_t qkv = 0, down = 0;
  for (const LayerWeights& l : m->weights().layers) {
    qkv += view_bytes(l.wq) + view_bytes(l.wk) + view_bytes(l.wv);
    down += view_bytes(l.w_down);
  }
  ASSERT_GT(qkv, 0u);
  EXPECT_EQ(p.find("qkv")->bytes, qkv);
  EXPECT_EQ(p.find("down+residual")->bytes, down);
  EXPECT_EQ(p.find("output")->bytes, view_bytes(m->weights().output));
  // Four positions of keys and values per layer, in the cache's type.
  const Hparams& h = m->hparams();
  const uint64_t per_layer = 2 * 4 * KvPool::row_bytes(m->kv_pool().type(), h.n_embd_kv());
  EXPECT_EQ(p.find("attention")->bytes, per_layer * static_cast<uint64_t>(h.n_layer));
}

TEST(ModelProfile, ChangesNoResultAndEndsWithThePass) {
  REQUIRE_TEST_DATA();
  auto m = load();
  PassOutput profiled, plain;
  OpProfile p = profile_decode(*m, profiled);
  auto cache = m->new_cache();
  m->forward({{cache.get(), 1, 0, false}, {cache.get(), 2, 1, false}, {cache.get(), 3, 2, true}}, 4, plain);
  m->forward({{cache.get(), 4, 3, true}}, 4, plain);
  ASSERT_EQ(plain.rows.size(), 1u);
  ASSERT_EQ(profiled.rows.size(), 1u);
  EXPECT_EQ(profiled.rows[0].log_sum_exp, plain.rows[0].log_sum_exp);
  ASSERT_EQ(profiled.rows[0].top.size(), plain.rows[0].top.size());
  for (size_t i = 0; i < plain.rows[0].top.size(); ++i) {
    EXPECT_EQ(profiled.rows[0].top[i].id, plain.rows[0].top[i].id);
    EXPECT_EQ(profiled.rows[0].top[i].logit, plain.rows[0].top[i].logit);
  }
  // The passes after Model::profile add nothing to its profile.
  const double wall = p.wall_ms();
  const uint64_t calls = calls_of(p, "qkv");
  m->forward({{cache.get(), 5, 4, true}}, 4, plain);
  EXPECT_EQ(p.wall_ms(), wall);
  EXPECT_EQ(calls_of(p, "qkv"), calls);
}

TEST(ModelProfile, PromptPassesSumOverTheirPasses) {
  REQUIRE_TEST_DATA();
  auto m = load();  // n_batch 16: a 20-token prompt is two passes
  auto cache = m->new_cache();
  Batch prompt;
  for (int32_t pos = 0; pos < 20; ++pos) prompt.push_back({cache.get(), pos + 1, pos, pos == 19});
  PassOutput out;
  OpProfile p;
  m->profile(prompt, 1, out, p);
  EXPECT_EQ(p.passes(), 2u);
  EXPECT_EQ(calls_of(p, "attention"), 2u * static_cast<uint64_t>(m->hparams().n_layer));
  EXPECT_EQ(calls_of(p, "output"), 2u);
  EXPECT_LE(p.ops_ms(), p.wall_ms());
}

TEST(ModelProfile, DualPathSegmentsAndTheCpuLayersOps) {
  REQUIRE_TEST_DATA();
  auto m = load("GCGCG");
  PassOutput out;
  const OpProfile p = profile_decode(*m, out);
  // G 0, C 1, G 2, C 3, G 4 + head.
  ASSERT_EQ(p.segments().size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    const SegmentTime& s = p.segments()[i];
    EXPECT_EQ(s.cpu, i % 2 == 1) << i;
    EXPECT_EQ(s.first, static_cast<int32_t>(i)) << i;
    EXPECT_EQ(s.last, static_cast<int32_t>(i + 1)) << i;
    EXPECT_EQ(s.head, i == 4) << i;
    EXPECT_LE(s.ops_ms, s.ms) << i;
  }
  EXPECT_EQ(calls_of(p, "qkv"), 3u);
  EXPECT_EQ(calls_of(p, "cpu qkv"), 2u);
  EXPECT_EQ(calls_of(p, "cpu output"), 0u);  // the head runs on the device
  EXPECT_EQ(calls_of(p, "kv sync"), 1u);
  const LayerWeights& l1 = m->weights().layers[1];
  const uint64_t kv = 2 * 4 * KvPool::row_bytes(m->kv_pool().type(), m->hparams().n_embd_kv());
  uint64_t layer1 = kv;
  for (const TensorView* v : {&l1.attn_norm, &l1.wq, &l1.wk, &l1.wv, &l1.wo, &l1.ffn_norm, &l1.w_gate, &l1.w_up,
                              &l1.w_down}) {
    layer1 += view_bytes(*v);
  }
  EXPECT_EQ(p.segments()[1].bytes, layer1);  // the CPU segment's bytes: its layer's weights and cache
  double segments_ms = 0;
  for (const SegmentTime& s : p.segments()) segments_ms += s.ms;
  EXPECT_LE(segments_ms, p.wall_ms());
}

}  // namespace nt

// The tier plan and the streamer's stage timers as the JS side sees them (NativePlacement and
// the `stages` of stats() in cuda-engine/js/EngineBinding.ts).
#include "napi/js_values.h"

#include "model/plan_input.h"
#include "tier/dual_split.h"

namespace nt {

namespace {

Napi::Object tier_bytes_to_js(Napi::Env env, const TierBytes& b) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("a", static_cast<double>(b.a));
  o.Set("b", static_cast<double>(b.b));
  o.Set("c", static_cast<double>(b.c));
  o.Set("d", static_cast<double>(b.d));
  return o;
}

// NativeDualPath: the split, the calibration and the prediction.
Napi::Object dual_path_to_js(Napi::Env env, const TierPlan& p) {
  const CpuRates& r = p.cpu_rates;
  Napi::Object c = Napi::Object::New(env);
  c.Set("cpuGBps", r.cpu_gbps);
  c.Set("cpuBatchGBps", r.cpu_batch_gbps);
  c.Set("cpuBatch", r.batch);
  c.Set("h2dTogetherGBps", r.h2d_together_gbps);
  c.Set("cpuTogetherGBps", r.cpu_together_gbps);
  Napi::Object o = Napi::Object::New(env);
  o.Set("mode", dual_path_mode_name(p.dual_mode));
  o.Set("layers", p.layer_pattern);
  o.Set("cpuBytes", static_cast<double>(p.totals.d));
  o.Set("switches", p.switches);
  o.Set("batch", p.dual_batch);
  o.Set("calibration", c);
  o.Set("dualBoundGBps", p.dual_bound_gbps());
  o.Set("predictedPassMs", p.pass.ms());
  o.Set("streamingPassMs", p.streaming_ms);
  if (chooses_per_pass(p)) o.Set("splitMaxTokens", dual_max_tokens(p));
  return o;
}

Napi::Array rows_to_js(Napi::Env env, const std::vector<PlanRow>& rows) {
  Napi::Array a = Napi::Array::New(env, rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    Napi::Object r = Napi::Object::New(env);
    r.Set("name", rows[i].name);
    r.Set("layer", rows[i].layer);
    r.Set("bytes", tier_bytes_to_js(env, rows[i].bytes));
    r.Set("ms", rows[i].time.ms());
    a.Set(static_cast<uint32_t>(i), r);
  }
  return a;
}

Napi::Object links_to_js(Napi::Env env, const LinkSpeeds& l) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("vramGBps", l.vram_gbps);
  o.Set("h2dGBps", l.h2d_gbps);
  o.Set("storageGBps", l.storage_gbps);
  return o;
}

}  // namespace

Napi::Object placement_to_js(Napi::Env env, const Model& model) {
  const TierPlan& p = model.plan();
  Napi::Object o = Napi::Object::New(env);
  o.Set("rows", rows_to_js(env, p.rows));
  o.Set("totals", tier_bytes_to_js(env, p.totals));
  o.Set("streamedBytes", static_cast<double>(p.streamed_bytes));
  o.Set("hostOnlyBytes", static_cast<double>(p.host_only_bytes));
  o.Set("vramBudget", static_cast<double>(p.vram_budget));
  o.Set("pinnedBudget", static_cast<double>(p.pinned_budget));
  o.Set("vramUsed", static_cast<double>(p.vram_used));
  o.Set("pinnedUsed", static_cast<double>(p.pinned_used));
  o.Set("kvBytes", static_cast<double>(p.kv_bytes));
  o.Set("activationBytes", static_cast<double>(p.activation_bytes));
  o.Set("stagingBytes", static_cast<double>(p.staging_bytes()));
  o.Set("stagingSlots", p.staging_slots);
  o.Set("slotSlackBytes", static_cast<double>(kSlotSlackBytes));
  o.Set("links", links_to_js(env, p.links));
  o.Set("passMs", p.pass.ms());
  o.Set("boundTokS", p.bound_tok_s);
  o.Set("directIo", model.direct_io());
  o.Set("text", model.plan_text());
  if (p.dual_mode != DualPathMode::Off || model.runs_segments()) o.Set("dualPath", dual_path_to_js(env, p));
  return o;
}

Napi::Object stream_stats_to_js(Napi::Env env, const StreamStats& s, bool dual) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("passes", static_cast<double>(s.passes));
  o.Set("bytesRead", static_cast<double>(s.bytes_read));
  o.Set("bytesCopied", static_cast<double>(s.bytes_copied));
  o.Set("readMs", s.read_ms);
  o.Set("h2dMs", s.h2d_ms);
  o.Set("computeMs", s.compute_ms);
  o.Set("stallMs", s.stall_ms);
  if (dual) o.Set("splitPasses", static_cast<double>(s.split_passes));
  if (!s.tier_c_path.empty()) o.Set("tierCPath", s.tier_c_path);
  if (!s.tier_c_fallback.empty()) o.Set("tierCFallback", s.tier_c_fallback);
  return o;
}

}  // namespace nt

#include "bench_json.h"

#include <string>

#include "json_text.h"

namespace nt::bench {

namespace {

std::string u64(uint64_t v) { return std::to_string(v); }

std::string device_json(const DeviceInfo& d) {
  return "{\"backend\":" + json_string(d.backend) + ",\"index\":" + std::to_string(d.index) +
         ",\"name\":" + json_string(d.name) + ",\"totalBytes\":" + u64(d.total_bytes) +
         ",\"freeBytes\":" + u64(d.free_bytes) + ",\"computeCapability\":" + json_string(d.compute_capability) +
         ",\"cores\":" + std::to_string(d.cores) + "}";
}

std::string cuda_json(const CudaStatus& c) {
  return "{\"built\":" + json_bool(c.built) + ",\"available\":" + json_bool(c.available) +
         ",\"reason\":" + json_string(c.reason) + ",\"runtimeVersion\":" + json_string(c.runtime_version) +
         ",\"driverVersion\":" + json_string(c.driver_version) + "}";
}

std::string links_json(const LinkSpeeds& s) {
  return "{\"vramGBps\":" + json_number(s.vram_gbps) + ",\"h2dGBps\":" + json_number(s.h2d_gbps) +
         ",\"storageGBps\":" + json_number(s.storage_gbps) + "}";
}

std::string pass_json(const PassTime& p) {
  return "{\"vramMs\":" + json_number(p.vram_ms) + ",\"h2dMs\":" + json_number(p.h2d_ms) +
         ",\"storageMs\":" + json_number(p.storage_ms) + ",\"cpuMs\":" + json_number(p.cpu_ms) +
         ",\"switchMs\":" + json_number(p.switch_ms) + ",\"ms\":" + json_number(p.ms()) + "}";
}

// The dual path's split and calibration (tier_plan.h); rates of 0 were not measured.
std::string dual_json(const TierPlan& p) {
  const CpuRates& r = p.cpu_rates;
  return "{\"mode\":" + json_string(dual_path_mode_name(p.dual_mode)) + ",\"layers\":" + json_string(p.layer_pattern) +
         ",\"switches\":" + std::to_string(p.switches) + ",\"batch\":" + std::to_string(p.dual_batch) +
         ",\"calibration\":{\"cpuGBps\":" + json_number(r.cpu_gbps) + ",\"cpuBatchGBps\":" +
         json_number(r.cpu_batch_gbps) + ",\"cpuBatch\":" + std::to_string(r.batch) +
         ",\"h2dTogetherGBps\":" + json_number(r.h2d_together_gbps) + ",\"cpuTogetherGBps\":" +
         json_number(r.cpu_together_gbps) + "},\"dualBoundGBps\":" + json_number(p.dual_bound_gbps()) +
         ",\"predictedPassMs\":" + json_number(p.pass.ms()) + ",\"streamingPassMs\":" + json_number(p.streaming_ms) + "}";
}

std::string plan_json(const TierPlan& p) {
  return "{\"tierBytes\":{\"a\":" + u64(p.totals.a) + ",\"b\":" + u64(p.totals.b) + ",\"c\":" + u64(p.totals.c) +
         ",\"d\":" + u64(p.totals.d) + "},\"dualPath\":" + dual_json(p) + ",\"hostOnlyBytes\":" + u64(p.host_only_bytes) +
         ",\"streamedBytes\":" + u64(p.streamed_bytes) +
         ",\"kvBytes\":" + u64(p.kv_bytes) + ",\"activationBytes\":" + u64(p.activation_bytes) +
         ",\"stagingSlots\":" + std::to_string(p.staging_slots) + ",\"vramSlotBytes\":" + u64(p.vram_slot_bytes) +
         ",\"pinnedSlotBytes\":" + u64(p.pinned_slot_bytes) + ",\"vramBudget\":" + u64(p.vram_budget) +
         ",\"pinnedBudget\":" + u64(p.pinned_budget) + ",\"vramUsed\":" + u64(p.vram_used) +
         ",\"pinnedUsed\":" + u64(p.pinned_used) + ",\"links\":" + links_json(p.links) +
         ",\"pass\":" + pass_json(p.pass) + ",\"boundTokS\":" + json_number(p.bound_tok_s) + "}";
}

std::string stages_json(const StagesPerPass& s) {
  return "{\"passes\":" + u64(s.passes) + ",\"readMs\":" + json_number(s.read_ms) +
         ",\"h2dMs\":" + json_number(s.h2d_ms) + ",\"computeMs\":" + json_number(s.compute_ms) +
         ",\"stallMs\":" + json_number(s.stall_ms) + ",\"bytesRead\":" + json_number(s.bytes_read) +
         ",\"bytesCopied\":" + json_number(s.bytes_copied) + "}";
}

std::string samples_json(const std::vector<double>& xs) {
  std::string out = "[";
  for (size_t i = 0; i < xs.size(); ++i) out += (i ? "," : "") + json_number(xs[i]);
  return out + "]";
}

// --profile's pass: totals over its passes (ms, bytes), as the table's per-pass figures times passes.
std::string profile_json(const TestResult& t) {
  if (!t.profiled) return "null";
  const OpProfile& p = t.profile;
  std::string ops = "[";
  for (size_t i = 0; i < p.ops().size(); ++i) {
    const OpTime& o = p.ops()[i];
    ops += (i ? ",{" : "{") + std::string("\"op\":") + json_string(o.op) + ",\"calls\":" + u64(o.calls) +
           ",\"ms\":" + json_number(o.ms) + ",\"bytes\":" + u64(o.bytes) + "}";
  }
  std::string segments = "[";
  for (size_t i = 0; i < p.segments().size(); ++i) {
    const SegmentTime& s = p.segments()[i];
    segments += (i ? ",{" : "{") + std::string("\"cpu\":") + json_bool(s.cpu) + ",\"first\":" +
                std::to_string(s.first) + ",\"last\":" + std::to_string(s.last) + ",\"head\":" + json_bool(s.head) +
                ",\"calls\":" + u64(s.calls) + ",\"ms\":" + json_number(s.ms) + ",\"opsMs\":" +
                json_number(s.ops_ms) + ",\"bytes\":" + u64(s.bytes) + "}";
  }
  return "{\"passes\":" + u64(p.passes()) + ",\"depth\":" + std::to_string(t.profile_depth) +
         ",\"wallMs\":" + json_number(p.wall_ms()) + ",\"opsMs\":" + json_number(p.ops_ms()) + ",\"ops\":" + ops +
         "],\"segments\":" + segments + "]}";
}

// A figure without a bound (nothing read per pass) has null bound and ratio, not 0.
std::string bound_or_null(const TestResult& t, double value) {
  return t.bound_tok_s > 0 ? json_number(value) : "null";
}

std::string test_json(const TestResult& t) {
  return "{\"test\":" + json_string(t.name) + ",\"sequences\":" + std::to_string(t.sequences) +
         ",\"tokens\":" + std::to_string(t.tokens) + ",\"depth\":" + std::to_string(t.depth) +
         ",\"kvPositionsPerPass\":" + json_number(t.kv_positions_per_pass) +
         ",\"passesPerRep\":" + std::to_string(t.passes_per_rep) + ",\"samplesTokS\":" + samples_json(t.tok_s) +
         ",\"meanTokS\":" + json_number(t.mean) + ",\"sdTokS\":" + json_number(t.sd) +
         ",\"boundTokS\":" + bound_or_null(t, t.bound_tok_s) + ",\"ratio\":" + bound_or_null(t, t.ratio) +
         ",\"dualBoundTokS\":" + (t.dual_bound_tok_s > 0 ? json_number(t.dual_bound_tok_s) : "null") +
         ",\"dualRatio\":" + (t.dual_bound_tok_s > 0 ? json_number(t.dual_ratio) : "null") +
         ",\"stagesPerPass\":" + stages_json(t.stages) + ",\"profile\":" + profile_json(t) + "}";
}

std::string model_json(const ModelResult& m) {
  std::string tests = "[";
  for (size_t i = 0; i < m.tests.size(); ++i) tests += (i ? "," : "") + test_json(m.tests[i]);
  tests += "]";
  return "{\"model\":" + json_string(m.path) + ",\"sizeBytes\":" + u64(m.size_bytes) + ",\"params\":" + u64(m.params) +
         ",\"backend\":" + json_string(m.backend) + ",\"threads\":" + std::to_string(m.threads) +
         ",\"nCtx\":" + std::to_string(m.n_ctx) + ",\"kvType\":" + json_string(m.kv_type) +
         ",\"nBatch\":" + std::to_string(m.n_batch) + ",\"kvBytesPerPosition\":" + u64(m.kv_bytes_per_position) +
         ",\"directIo\":" + json_bool(m.direct_io) + ",\"plan\":" + plan_json(m.plan) +
         ",\"links\":" + links_json(m.links.speeds) +
         ",\"linksSource\":" + json_string(m.links.remeasured ? "remeasured" : "load") +
         ",\"linksRemeasureError\":" + (m.links.remeasure_error.empty() ? "null" : json_string(m.links.remeasure_error)) +
         ",\"pass\":" + pass_json(m.pass) + ",\"decodeBoundTokS\":" + json_number(m.decode_bound_tok_s) +
         ",\"dualBoundTokS\":" + (m.dual_bound_tok_s > 0 ? json_number(m.dual_bound_tok_s) : "null") +
         ",\"tests\":" + tests + "}";
}

}  // namespace

void print_json(std::FILE* out, const DeviceReport& report, const std::vector<ModelResult>& results,
                const std::string& error) {
  std::string devices = "[";
  for (size_t i = 0; i < report.devices.size(); ++i) devices += (i ? "," : "") + device_json(report.devices[i]);
  devices += "]";
  std::string models = "[";
  for (size_t i = 0; i < results.size(); ++i) models += (i ? "," : "") + model_json(results[i]);
  models += "]";
  const std::string text = "{\"engine\":" + json_string(NT_ENGINE_VERSION) +
                           ",\"cudaArchitectures\":" + json_string(NT_CUDA_ARCHITECTURES) +
                           ",\"cuda\":" + cuda_json(report.cuda) + ",\"devices\":" + devices +
                           ",\"results\":" + models + (error.empty() ? "" : ",\"error\":" + json_string(error)) +
                           "}\n";
  std::fputs(text.c_str(), out);
}

}  // namespace nt::bench

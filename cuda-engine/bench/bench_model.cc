#include "bench_model.h"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "core/engine_error.h"
#include "link_bound.h"
#include "profile_tests.h"
#include "model/model.h"
#include "remeasure_links.h"
#include "run_tests.h"

namespace nt::bench {

namespace {

ModelOptions model_options(const BenchArgs& args) {
  ModelOptions o;
  o.n_ctx = args.context_tokens();
  o.threads = args.threads;
  o.backend = args.backend;
  o.vram_budget = args.vram_budget;
  o.pinned_budget = args.pinned_budget;
  o.n_sequences = args.most_parallel();
  o.kv_size = args.kv_positions();
  // A batched test's prompts go in one pass, as the generation loop sends them.
  o.n_batch = std::max(args.batch_tokens(), args.parallel.empty() ? 0 : args.most_parallel() * args.parallel_prompt);
  o.staging_slots = args.staging_slots;
  o.kv_type = args.kv_type;
  o.allow_buffered_io = args.allow_buffered_io;
  o.dual_path = args.dual_path == "on" ? DualPathMode::On : args.dual_path == "auto" ? DualPathMode::Auto : DualPathMode::Off;
  o.dual_pattern = args.dual_pattern;
  return o;
}

// Progress on stderr in tenths: a 100 GB model takes minutes to place.
LoadProgress progress_printer(const std::string& path) {
  auto last = std::make_shared<int>(-1);
  return [path, last](uint64_t done, uint64_t total) {
    const int tenth = total > 0 ? static_cast<int>(done * 10 / total) : 10;
    if (tenth == *last) return;
    *last = tenth;
    std::fprintf(stderr, "nt-bench: loading %s: %d%%\n", path.c_str(), tenth * 10);
  };
}

std::string file_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void describe(const Model& model, const std::string& path, ModelResult& r) {
  r.path = path;
  r.name = file_name(path);
  for (const GgufTensorInfo& t : model.gguf().tensors) {
    r.size_bytes += t.bytes;
    r.params += t.element_count();
  }
  r.backend = model.backend_name();
  r.threads = model.threads();
  r.n_ctx = model.n_ctx();
  r.direct_io = model.direct_io();
  r.plan = model.plan();
}

LinkFigures links_for_bounds(const Model& model, const std::string& path, const BenchArgs& args) {
  LinkFigures links;
  links.speeds = model.plan().links;
  if (!args.measure_links) return links;
  try {
    links.speeds = remeasure_links(model, path, args.allow_buffered_io);
    links.remeasured = true;
  } catch (const EngineError& e) {
    links.remeasure_error = e.code() + ": " + e.what();
    std::fprintf(stderr, "nt-bench: --measure-links failed (%s); using the load-time links\n",
                 links.remeasure_error.c_str());
  }
  return links;
}

// Every pass streams the whole per-pass set once, whatever its token count, so a test's link
// bound is its tokens over its passes' time: N × the tg bound for N sequences decoding together.
// A pass also reads the cached keys and values its attention covers, at the VRAM rate
// (kv_read_ms: what makes tg at depth slower). Compute usually binds first for pp and for many
// sequences.
void set_bound(TestResult& t, const ModelResult& m) {
  if (t.passes_per_rep <= 0) return;
  if (m.dual_bound_tok_s > 0) {
    t.dual_bound_tok_s = m.dual_bound_tok_s * t.tokens / t.passes_per_rep;
    t.dual_ratio = t.mean / t.dual_bound_tok_s;
  }
  PassTime pass = m.pass;
  pass.vram_ms += kv_read_ms(t.kv_positions_per_pass, m.kv_bytes_per_position, m.links.speeds.vram_gbps);
  const double pass_bound = decode_bound_tok_s(pass);
  if (m.decode_bound_tok_s <= 0 || pass_bound <= 0) return;
  t.bound_tok_s = pass_bound * t.tokens / t.passes_per_rep;
  t.ratio = t.mean / t.bound_tok_s;
}

// Each -d: a cache filled to that depth (untimed), then pp and tg after it.
void run_depth(Model& model, const BenchArgs& args, int32_t depth, ModelResult& r) {
  std::unique_ptr<KvCache> filled;
  if (depth > 0) {
    std::fprintf(stderr, "nt-bench: filling %d positions of the cache (-d)\n", depth);
    filled = cache_at_depth(model, depth, r.n_batch);
  }
  const Depth at{depth, filled.get()};
  // --profile: each test's extra pass right after its timed runs, on the same warm model (at depth 0).
  if (args.n_prompt > 0) {
    r.tests.push_back(run_prompt_test(model, args.n_prompt, r.n_batch, args.repetitions, at));
    if (args.profile && depth == 0) profile_prompt(model, args.n_prompt, r.n_batch, r.tests.back());
  }
  if (args.n_gen > 0) {
    r.tests.push_back(run_generation_test(model, args.n_gen, args.repetitions, at));
    if (args.profile && depth == 0) profile_generation(model, args.n_gen, r.tests.back());
  }
}

}  // namespace

ModelResult bench_model(const std::string& path, const BenchArgs& args) {
  std::unique_ptr<Model> model = Model::load(path, model_options(args), progress_printer(path));
  std::fprintf(stderr, "%s\n", model->plan_text().c_str());
  ModelResult r;
  describe(*model, path, r);
  r.n_batch = args.batch_tokens();
  r.kv_type = args.kv_type;
  const KvPool& pool = model->kv_pool();
  r.kv_bytes_per_position = 2ull * static_cast<uint64_t>(pool.n_layer()) * static_cast<uint64_t>(pool.row_stride());
  for (int32_t depth : args.depths) run_depth(*model, args, depth, r);
  for (int32_t n : args.parallel) {
    r.tests.push_back(run_parallel_test(*model, n, args.parallel_prompt, args.parallel_gen, args.repetitions));
    // Its step at prompt + 1 is within the positions the test itself used from --parallel-gen 3 on.
    if (args.profile && args.parallel_gen >= 3) profile_parallel(*model, n, args.parallel_prompt, r.tests.back());
  }
  r.links = links_for_bounds(*model, path, args);
  r.pass = pass_under_links(r.plan, r.links.speeds);
  r.decode_bound_tok_s = decode_bound_tok_s(r.pass);
  r.dual_bound_tok_s = dual_bound_tok_s(r.plan);
  for (TestResult& t : r.tests) set_bound(t, r);
  return r;
}

}  // namespace nt::bench

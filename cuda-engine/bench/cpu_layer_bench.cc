// nt-cpu-layer-bench: where a CPU layer forward at one token spends its time (issue 13's dual
// path: a pass's CPU segments ran at ~39 GB/s where one synthetic product measured 51). For a
// model's shapes and types (its header only: the weights are zero, as the calibration's):
//   nt-cpu-layer-bench MODEL.gguf [THREADS] [REPEATS] [BATCHES] [--device cpu|auto] [--copies]
// prints, over the calibration's copies of its layers (model/calibration_layers.h) in pinned
// memory (the GPU's, as tier D's, where there is one; `--device cpu`: plain host memory), each
// product alone (q, k, v, o, gate, up, down; a line per type where the copies' types differ) and
// the two groups (matmul_group) in ms per layer and GB/s of weights, the layer forward as the
// calibration times it, what the forward spends outside the products, and one synthetic Q4_K
// product as the old calibration ran.
// BATCHES (e.g. 1,4,8,16) adds a line per token count: each product's GB/s of weights when it
// multiplies that many tokens at once, and the forward's products (o, down and the two groups)
// together, as a batch of sequences' decode step runs them. `--copies` times each product a second
// time with H2D copies running beside it (stream/copy_load.h, as the calibration's together run),
// and prints the copies' rate: in a dual pass the streamer reads DRAM while the CPU computes.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend/compute_target.h"
#include "cpu/matmul.h"
#include "gguf/ggml_type.h"
#include "gguf/gguf_file.h"
#include "model/calibration_layers.h"
#include "model/read_hparams.h"
#include "model/weights.h"
#include "stream/copy_load.h"

namespace {

using namespace nt;
using Clock = std::chrono::steady_clock;

// Reading 1 GiB between runs leaves none of the weights in any CPU cache (a server's L3 is up to
// a few hundred MB), as a pass finds a layer's: a product over a few MB would otherwise be timed
// from cache.
void evict_caches() {
  static std::vector<uint64_t> big((1ull << 30) / sizeof(uint64_t), 1);
  static volatile uint64_t sink;
  uint64_t sum = 0;
  for (size_t i = 0; i < big.size(); i += 8) sum += big[i];
  sink = sink + sum;
}

// The best of `repeats` runs after one untimed, in milliseconds, each from cold caches. `warm`
// runs untimed just before each: the products' pool is woken there, since its workers sleep
// while the caches are evicted, and a product's wake-up would be timed with it (the forward's
// pool is left asleep: a pass's CPU segment also starts with sleeping workers).
double best_ms(int repeats, const std::function<void()>& op, const std::function<void()>& warm = [] {}) {
  op();
  double best = 1e300;
  for (int i = 0; i < repeats; ++i) {
    evict_caches();
    warm();
    const auto t0 = Clock::now();
    op();
    best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return best;
}

double bytes_of(const TensorView& v) { return static_cast<double>(v.rows()) * static_cast<double>(v.row_bytes()); }

struct Row {
  const char* name;
  std::vector<TensorView LayerWeights::*> views;
  bool in_forward;  // the forward runs q,k,v and gate,up as groups, o and down alone
};

// One row's products over the layer copies `which` (1-based) at `batch` tokens (out holds their
// rows × batch): the best time of `repeats`, and the weight bytes one run reads.
struct RowTime {
  double ms = 0;
  double bytes = 0;
  double gbps() const { return bytes / (ms * 1e6); }
};

RowTime time_row(CalibrationLayers& layers, const Row& row, const std::vector<int>& which, const float* x, float* out,
                 int batch, int repeats, cpu::ThreadPool& pool) {
  RowTime t;
  t.ms = best_ms(repeats, [&] {
    for (int l : which) {
      const LayerWeights w = layers.begin_layer(l);
      std::vector<cpu::MatmulProduct> group;
      float* o = out;
      for (auto view : row.views) {
        group.push_back({&(w.*view), o});
        o += (w.*view).rows() * batch;
      }
      cpu::matmul_group(group.data(), static_cast<int>(group.size()), x, batch, pool);
    }
  }, [&] { pool.parallel_for(pool.size(), [](int64_t, int64_t, int) {}); });
  for (int l : which) {
    for (auto view : row.views) t.bytes += bytes_of(layers.begin_layer(l).*view);
  }
  return t;
}

// What the bench runs on: the copies, the device that holds them (and copies beside them with
// --copies), the pool, and every copy's index.
struct Bench {
  CalibrationLayers& layers;
  StreamDevice& device;
  cpu::ThreadPool& pool;
  int repeats;
  bool copies;
  std::vector<int> all;  // 1..layers()
};

// `time` once alone and, with --copies, once more beside a CopyLoad; prints " X GB/s" and, beside
// copies, " | Y GB/s beside Z GB/s of H2D". Returns the time alone.
RowTime time_both(const Bench& b, const std::function<RowTime()>& time) {
  const RowTime alone = time();
  std::printf(" %7.1f GB/s", alone.gbps());
  if (b.copies) {
    CopyLoad load(b.device, 1ull << 30, 64ull << 20);
    load.start();
    const RowTime beside = time();
    load.stop();
    std::printf(" | %7.1f GB/s beside %.1f GB/s of H2D", beside.gbps(), load.gbps_while_running());
  }
  return alone;
}

// The copies whose `view` is of each type, where there is more than one type: a q4_k_m's down is
// Q4_K in some layers and Q6_K in others.
std::vector<std::pair<uint32_t, std::vector<int>>> copies_by_type(CalibrationLayers& layers,
                                                                   TensorView LayerWeights::* view) {
  std::vector<std::pair<uint32_t, std::vector<int>>> types;
  for (int l = 1; l <= layers.layers(); ++l) {
    const uint32_t type = (layers.begin_layer(l).*view).type;
    auto it = std::find_if(types.begin(), types.end(), [&](const auto& t) { return t.first == type; });
    if (it == types.end()) {
      types.push_back({type, {l}});
    } else {
      it->second.push_back(l);
    }
  }
  if (types.size() < 2) types.clear();
  return types;
}

// Each product at `batch` tokens (GB/s of weights read per call), then the forward's products
// together: at batch 1 this is the rate the rows above print, and it stays near it while the
// products are bound by memory rather than by the CPU's arithmetic.
void batch_line(const Bench& b, const Row* rows, int n_rows, size_t width, int batch) {
  std::vector<float> x(width * batch, 0.5f), out(width * 4 * batch);
  std::printf("batch %-4d", batch);
  double forward_ms = 0, forward_bytes = 0;
  for (int i = 0; i < n_rows; ++i) {
    const Row& row = rows[i];
    const auto [ms, bytes] = time_row(b.layers, row, b.all, x.data(), out.data(), batch, b.repeats, b.pool);
    if (row.in_forward) {
      forward_ms += ms;
      forward_bytes += bytes;
    }
    if (row.views.size() == 1) std::printf(" %s %.1f", row.name, bytes / (ms * 1e6));
  }
  std::printf("  products %.1f GB/s, %.1f token-GB/s\n", forward_bytes / (forward_ms * 1e6),
              batch * forward_bytes / (forward_ms * 1e6));
}

// Each row at one token, over every copy and, for a product whose type differs between copies,
// over each type's copies; returns the forward's products' time (ms over every copy).
double product_lines(const Bench& b, const Row* rows, int n_rows, size_t width) {
  std::vector<float> x(width, 0.5f), out(static_cast<size_t>(2) * width * 4);
  const int k = b.layers.layers();
  double products_ms = 0;
  for (int i = 0; i < n_rows; ++i) {
    const Row& row = rows[i];
    std::printf("%-14s", row.name);
    const RowTime t =
        time_both(b, [&] { return time_row(b.layers, row, b.all, x.data(), out.data(), 1, b.repeats, b.pool); });
    std::printf("  %8.3f ms/layer\n", t.ms / k);
    if (row.in_forward) products_ms += t.ms;
    if (row.views.size() != 1) continue;
    for (const auto& [type, which] : copies_by_type(b.layers, row.views[0])) {
      std::printf("  %-12s", (ggml_type_name(type) + " x" + std::to_string(which.size())).c_str());
      time_both(b, [&] { return time_row(b.layers, row, which, x.data(), out.data(), 1, b.repeats, b.pool); });
      std::printf("\n");
    }
  }
  return products_ms;
}

struct Options {
  const char* path = nullptr;
  int threads = 0;
  int repeats = 5;
  std::vector<int> batches;
  std::string device = "auto";
  bool copies = false;
};

int run(const Options& o) {
  const GgufFile file = read_gguf_file(o.path);
  const Hparams h = read_hparams(file);
  const BoundWeights bound = bind_weights(file, h);
  const ComputeTarget target = open_compute_target(o.device);
  StreamDevice& device = *target.device;
  CalibrationLayers layers(device, h, bound.views, GgmlType::F32, o.threads);
  const int k = layers.layers();
  std::printf("%s\n%d threads, %d layer copies, %.1f MB of weights in %s memory%s\n",
              CalibrationLayers::signature(h, bound.views, GgmlType::F32).c_str(), o.threads, k, layers.bytes() / 1e6,
              target.fallback_reason.empty() && o.device != "cpu" ? "the GPU's pinned" : "host",
              o.copies ? "; each product alone | beside H2D copies" : "");
  cpu::ThreadPool pool(o.threads);
  Bench b{layers, device, pool, o.repeats, o.copies, {}};
  for (int l = 1; l <= k; ++l) b.all.push_back(l);
  const size_t width = static_cast<size_t>(std::max({h.n_embd, h.n_ff, h.n_head * h.head_dim}));
  const Row rows[] = {{"q", {&LayerWeights::wq}, false},
                      {"k", {&LayerWeights::wk}, false},
                      {"v", {&LayerWeights::wv}, false},
                      {"o", {&LayerWeights::wo}, true},
                      {"gate", {&LayerWeights::w_gate}, false},
                      {"up", {&LayerWeights::w_up}, false},
                      {"down", {&LayerWeights::w_down}, true},
                      {"q,k,v group", {&LayerWeights::wq, &LayerWeights::wk, &LayerWeights::wv}, true},
                      {"gate,up group", {&LayerWeights::w_gate, &LayerWeights::w_up}, true}};
  const int n_rows = static_cast<int>(sizeof rows / sizeof rows[0]);
  const double products_ms = product_lines(b, rows, n_rows, width);
  std::printf("%-14s", "layer forward");
  const RowTime forward = time_both(b, [&] {
    return RowTime{best_ms(o.repeats, [&] { layers.run(1); }), static_cast<double>(layers.bytes())};
  });
  std::printf("  %8.3f ms/layer  (the calibration's B_cpu at batch 1)\n", forward.ms / k);
  std::printf("%-14s %8.3f ms/layer  (forward - o - down - groups: norms, rope, attention, cache, pool)\n",
              "outside", (forward.ms - products_ms) / k);
  // The old calibration: 256 MiB of 4096-wide Q4_K in one product.
  TensorView big;
  big.type = static_cast<uint32_t>(GgmlType::Q4_K);
  big.ne[0] = 4096;
  big.ne[1] = (256ll << 20) / 2304;
  std::vector<uint8_t> bytes(static_cast<size_t>(bytes_of(big)), 0);
  big.data = bytes.data();
  std::vector<float> bx(4096, 0.5f), by(static_cast<size_t>(big.ne[1]));
  const double mv_ms = best_ms(o.repeats, [&] { cpu::matmul(big, bx.data(), 1, by.data(), pool); },
                               [&] { pool.parallel_for(pool.size(), [](int64_t, int64_t, int) {}); });
  std::printf("%-14s %8.3f ms       %7.1f GB/s  (v1 calibration: one synthetic Q4_K product)\n", "synthetic",
              mv_ms, bytes_of(big) / (mv_ms * 1e6));
  if (!o.batches.empty()) std::printf("GB/s of weights per product at each batch (tokens per call):\n");
  for (int batch : o.batches) batch_line(b, rows, n_rows, width, batch);
  return 0;
}

// "1,4,8" -> {1, 4, 8}; anything not a positive count is an error.
std::vector<int> parse_batches(const char* text) {
  std::vector<int> batches;
  const char* p = text;
  while (*p) {
    char* end = nullptr;
    const long value = std::strtol(p, &end, 10);
    if (end == p || value < 1 || value > 4096 || (*end != ',' && *end != '\0')) {
      throw std::runtime_error(std::string("BATCHES must be token counts like 1,4,8, not ") + text);
    }
    batches.push_back(static_cast<int>(value));
    p = *end == ',' ? end + 1 : end;
  }
  return batches;
}

Options parse(int argc, char** argv) {
  Options o;
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--copies") {
      o.copies = true;
    } else if (arg == "--device" && i + 1 < argc) {
      o.device = argv[++i];
      if (o.device != "cpu" && o.device != "auto") throw std::runtime_error("--device is cpu or auto, not " + o.device);
    } else if (arg.rfind("--", 0) == 0) {
      throw std::runtime_error("unknown option " + arg);
    } else if (positional == 0) {
      o.path = argv[i], ++positional;
    } else if (positional == 1) {
      o.threads = std::atoi(argv[i]), ++positional;
    } else if (positional == 2) {
      o.repeats = std::max(1, std::atoi(argv[i])), ++positional;
    } else if (positional == 3) {
      o.batches = parse_batches(argv[i]), ++positional;
    } else {
      throw std::runtime_error(std::string("unexpected argument ") + argv[i]);
    }
  }
  if (!o.path) throw std::runtime_error("no MODEL.gguf given");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr,
                 "nt-cpu-layer-bench: %s\nusage: nt-cpu-layer-bench MODEL.gguf [THREADS] [REPEATS] [BATCHES, e.g. "
                 "1,4,8,16] [--device cpu|auto] [--copies]\n",
                 e.what());
    return 2;
  }
}

// nt-cpu-layer-bench: where a CPU layer forward at one token spends its time (issue 13's dual
// path: a pass's CPU segments ran at ~39 GB/s where one synthetic product measured 51). For a
// model's shapes and types (its header only: the weights are zero, as the calibration's):
//   nt-cpu-layer-bench MODEL.gguf [THREADS] [REPEATS] [BATCHES]
// prints, over the calibration's copies of its layers (model/calibration_layers.h) in host
// memory, each product alone (q, k, v, o, gate, up, down) and the two groups (matmul_group) in
// ms per layer and GB/s of weights, the layer forward as the calibration times it, what the
// forward spends outside the products, and one synthetic Q4_K product as the old calibration ran.
// BATCHES (e.g. 1,4,8,16) adds a line per token count: each product's GB/s of weights when it
// multiplies that many tokens at once, and the forward's products (o, down and the two groups)
// together, as a batch of sequences' decode step runs them.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu/cpu_stream_device.h"
#include "cpu/matmul.h"
#include "gguf/gguf_file.h"
#include "model/calibration_layers.h"
#include "model/read_hparams.h"
#include "model/weights.h"

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

// One row's products over every layer copy at `batch` tokens (out holds their rows × batch): the
// best time of `repeats`, and the weight bytes one run reads.
struct RowTime {
  double ms = 0;
  double bytes = 0;
};

RowTime time_row(CalibrationLayers& layers, const Row& row, const float* x, float* out, int batch, int repeats,
                 cpu::ThreadPool& pool) {
  const int k = layers.layers();
  RowTime t;
  t.ms = best_ms(repeats, [&] {
    for (int l = 1; l <= k; ++l) {
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
  for (int l = 1; l <= k; ++l) {
    for (auto view : row.views) t.bytes += bytes_of(layers.begin_layer(l).*view);
  }
  return t;
}

// Each product at `batch` tokens (GB/s of weights read per call), then the forward's products
// together: at batch 1 this is the rate the rows above print, and it stays near it while the
// products are bound by memory rather than by the CPU's arithmetic.
void batch_line(CalibrationLayers& layers, const Row* rows, int n_rows, size_t width, int batch, int repeats,
                cpu::ThreadPool& pool) {
  std::vector<float> x(width * batch, 0.5f), out(width * 4 * batch);
  std::printf("batch %-4d", batch);
  double forward_ms = 0, forward_bytes = 0;
  for (int i = 0; i < n_rows; ++i) {
    const Row& row = rows[i];
    const auto [ms, bytes] = time_row(layers, row, x.data(), out.data(), batch, repeats, pool);
    if (row.in_forward) {
      forward_ms += ms;
      forward_bytes += bytes;
    }
    if (row.views.size() == 1) std::printf(" %s %.1f", row.name, bytes / (ms * 1e6));
  }
  std::printf("  products %.1f GB/s, %.1f token-GB/s\n", forward_bytes / (forward_ms * 1e6),
              batch * forward_bytes / (forward_ms * 1e6));
}

int run(const char* path, int threads, int repeats, const std::vector<int>& batches) {
  const GgufFile file = read_gguf_file(path);
  const Hparams h = read_hparams(file);
  const BoundWeights bound = bind_weights(file, h);
  CpuStreamDevice device;
  CalibrationLayers layers(device, h, bound.views, GgmlType::F32, threads);
  const int k = layers.layers();
  std::printf("%s\n%d threads, %d layer copies, %.1f MB of weights\n",
              CalibrationLayers::signature(h, bound.views, GgmlType::F32).c_str(), threads, k, layers.bytes() / 1e6);
  cpu::ThreadPool pool(threads);
  const size_t width = static_cast<size_t>(std::max({h.n_embd, h.n_ff, h.n_head * h.head_dim}));
  std::vector<float> x(width, 0.5f), out(static_cast<size_t>(2) * width * 4);
  const Row rows[] = {{"q", {&LayerWeights::wq}, false},
                      {"k", {&LayerWeights::wk}, false},
                      {"v", {&LayerWeights::wv}, false},
                      {"o", {&LayerWeights::wo}, true},
                      {"gate", {&LayerWeights::w_gate}, false},
                      {"up", {&LayerWeights::w_up}, false},
                      {"down", {&LayerWeights::w_down}, true},
                      {"q,k,v group", {&LayerWeights::wq, &LayerWeights::wk, &LayerWeights::wv}, true},
                      {"gate,up group", {&LayerWeights::w_gate, &LayerWeights::w_up}, true}};
  double products_ms = 0;
  for (const Row& row : rows) {
    const auto [ms, bytes] = time_row(layers, row, x.data(), out.data(), 1, repeats, pool);
    if (row.in_forward) products_ms += ms;
    std::printf("%-14s %8.3f ms/layer %7.1f GB/s\n", row.name, ms / k, bytes / (ms * 1e6));
  }
  const double layer_ms = best_ms(repeats, [&] { layers.run(1); });
  std::printf("%-14s %8.3f ms/layer %7.1f GB/s  (the calibration's B_cpu at batch 1)\n", "layer forward", layer_ms / k,
              layers.bytes() / (layer_ms * 1e6));
  std::printf("%-14s %8.3f ms/layer  (forward - o - down - groups: norms, rope, attention, cache, pool)\n",
              "outside", (layer_ms - products_ms) / k);
  // The old calibration: 256 MiB of 4096-wide Q4_K in one product.
  TensorView big;
  big.type = static_cast<uint32_t>(GgmlType::Q4_K);
  big.ne[0] = 4096;
  big.ne[1] = (256ll << 20) / 2304;
  std::vector<uint8_t> bytes(static_cast<size_t>(bytes_of(big)), 0);
  big.data = bytes.data();
  std::vector<float> bx(4096, 0.5f), by(static_cast<size_t>(big.ne[1]));
  const double mv_ms = best_ms(repeats, [&] { cpu::matmul(big, bx.data(), 1, by.data(), pool); },
                               [&] { pool.parallel_for(pool.size(), [](int64_t, int64_t, int) {}); });
  std::printf("%-14s %8.3f ms       %7.1f GB/s  (v1 calibration: one synthetic Q4_K product)\n", "synthetic",
              mv_ms, bytes_of(big) / (mv_ms * 1e6));
  if (!batches.empty()) std::printf("GB/s of weights per product at each batch (tokens per call):\n");
  for (int batch : batches) {
    batch_line(layers, rows, static_cast<int>(sizeof rows / sizeof rows[0]), width, batch, repeats, pool);
  }
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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: nt-cpu-layer-bench MODEL.gguf [THREADS] [REPEATS] [BATCHES, e.g. 1,4,8,16]\n");
    return 2;
  }
  try {
    return run(argv[1], argc > 2 ? std::atoi(argv[2]) : 0, argc > 3 ? std::max(1, std::atoi(argv[3])) : 5,
               argc > 4 ? parse_batches(argv[4]) : std::vector<int>{});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nt-cpu-layer-bench: %s\n", e.what());
    return 1;
  }
}

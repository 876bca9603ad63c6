#include "cuda_host/mma_reference.h"

#include <cmath>

#include "cpu/quant_test_rows.h"
#include "cuda/quant/mma_q8.h"
#include "cuda/quant/mma_unpack.h"

namespace nt::cuda::mma::test {

namespace {

struct Activations {
  std::vector<int8_t> q;     // n_tokens x n
  std::vector<float> d;      // per 32 values
  std::vector<int32_t> sum;  // per 16 values
};

Activations quantize(const float* x, int64_t n, int64_t n_tokens) {
  const int64_t blocks = n_tokens * (n / 32);
  Activations a{std::vector<int8_t>(blocks * 32), std::vector<float>(blocks), std::vector<int32_t>(2 * blocks)};
  for (int64_t b = 0; b < blocks; ++b) quantize_block32(x + 32 * b, a.q.data() + 32 * b, a.d[b], a.sum.data() + 2 * b);
  return a;
}

template <class U>
std::vector<float> product(const uint8_t* w, int64_t rows, int64_t n, const float* x, int64_t n_tokens) {
  const Activations a = quantize(x, n, n_tokens);
  const size_t row_bytes = static_cast<size_t>(n / U::kBlockElements) * U::kBlockBytes;
  const int64_t slices = n / 32;
  std::vector<float> out(static_cast<size_t>(rows * n_tokens));
  std::vector<uint32_t> q(static_cast<size_t>(n / 4));  // the row's quants, 4 per word as the tiles keep them
  std::vector<float> ws(static_cast<size_t>(2 * slices)), wb(static_cast<size_t>(2 * slices));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < slices; ++j) {
      const int64_t e = 32 * j;
      U::unpack32(w + r * row_bytes + (e / U::kBlockElements) * U::kBlockBytes,
                  static_cast<int>((e % U::kBlockElements) / 32), q.data() + e / 4, ws.data() + 2 * j,
                  wb.data() + 2 * j);
    }
    for (int64_t t = 0; t < n_tokens; ++t) {
      float acc = 0.0f;
      for (int64_t j = 0; j < slices; ++j) {
        int32_t sumi[2] = {0, 0};
        const int8_t* xq = a.q.data() + t * n + 32 * j;
        for (int i = 0; i < 32; ++i) {
          const int32_t wq = static_cast<int8_t>((q[8 * j + i / 4] >> (8 * (i % 4))) & 0xFF);
          sumi[U::kGroup == 32 ? 0 : i / 16] += wq * xq[i];
        }
        const int64_t block = t * slices + j;
        acc = combine_step<U::kGroup, U::kBias>(acc, a.d[block], sumi, ws.data() + 2 * j, wb.data() + 2 * j,
                                                a.sum.data() + 2 * block);
      }
      out[t * rows + r] = acc;
    }
  }
  return out;
}

}  // namespace

const std::vector<GgmlType>& mma_weight_types() {
  static const std::vector<GgmlType> types = {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1,
                                              GgmlType::Q8_0, GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K,
                                              GgmlType::Q5_K, GgmlType::Q6_K};
  return types;
}

std::vector<float> reference_product(GgmlType type, const uint8_t* w, int64_t rows, int64_t n, const float* x,
                                     int64_t n_tokens) {
  switch (type) {
    case GgmlType::Q4_0: return product<UnpackQ4_0>(w, rows, n, x, n_tokens);
    case GgmlType::Q4_1: return product<UnpackQ4_1>(w, rows, n, x, n_tokens);
    case GgmlType::Q5_0: return product<UnpackQ5_0>(w, rows, n, x, n_tokens);
    case GgmlType::Q5_1: return product<UnpackQ5_1>(w, rows, n, x, n_tokens);
    case GgmlType::Q8_0: return product<UnpackQ8_0>(w, rows, n, x, n_tokens);
    case GgmlType::Q2_K: return product<UnpackQ2_K>(w, rows, n, x, n_tokens);
    case GgmlType::Q3_K: return product<UnpackQ3_K>(w, rows, n, x, n_tokens);
    case GgmlType::Q4_K: return product<UnpackQ4_K>(w, rows, n, x, n_tokens);
    case GgmlType::Q5_K: return product<UnpackQ5_K>(w, rows, n, x, n_tokens);
    case GgmlType::Q6_K: return product<UnpackQ6_K>(w, rows, n, x, n_tokens);
    default: return {};
  }
}

double activation_rounding_bound(const float* weights, const float* x, int64_t n) {
  double bound = 0.0;
  for (int64_t b = 0; b < n / 32; ++b) {
    double amax = 0.0, sum_w = 0.0;
    for (int i = 0; i < 32; ++i) {
      amax = std::fmax(amax, std::fabs(x[32 * b + i]));
      sum_w += std::fabs(weights[32 * b + i]);
    }
    bound += amax / 127.0 / 2.0 * sum_w;
  }
  return bound;
}

}  // namespace nt::cuda::mma::test

#include "cuda_host/mma_reference.h"

#include <algorithm>
#include <cmath>

#include "cpu/quant_test_rows.h"
#include "cuda/kernels/q8_split.h"
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

// One weight row unpacked: its quants (4 per word, as the kernels keep them), scales and offsets.
struct UnpackedRow {
  std::vector<uint32_t> q;
  std::vector<float> ws, wb;
};

template <class U>
UnpackedRow unpack_row(const uint8_t* row, int64_t n) {
  const int64_t slices = n / 32;
  UnpackedRow u{std::vector<uint32_t>(static_cast<size_t>(n / 4)), std::vector<float>(static_cast<size_t>(2 * slices)),
                std::vector<float>(static_cast<size_t>(2 * slices))};
  for (int64_t j = 0; j < slices; ++j) {
    const int64_t e = 32 * j;
    U::unpack32(row + (e / U::kBlockElements) * U::kBlockBytes, static_cast<int>((e % U::kBlockElements) / 32),
                u.q.data() + e / 4, u.ws.data() + 2 * j, u.wb.data() + 2 * j);
  }
  return u;
}

// acc after one 32-value step (slice j) of row u with token t: the kernels' integer sums and float step.
template <class U>
float step(float acc, const UnpackedRow& u, const Activations& a, int64_t n, int64_t t, int64_t j) {
  int32_t sumi[2] = {0, 0};
  const int8_t* xq = a.q.data() + t * n + 32 * j;
  for (int i = 0; i < 32; ++i) {
    const int32_t wq = static_cast<int8_t>((u.q[8 * j + i / 4] >> (8 * (i % 4))) & 0xFF);
    sumi[U::kGroup == 32 ? 0 : i / 16] += wq * xq[i];
  }
  const int64_t block = t * (n / 32) + j;
  return combine_step<U::kGroup, U::kBias>(acc, a.d[block], sumi, u.ws.data() + 2 * j, u.wb.data() + 2 * j,
                                           a.sum.data() + 2 * block);
}

template <class U>
std::vector<float> product(const uint8_t* w, int64_t rows, int64_t n, const float* x, int64_t n_tokens) {
  const Activations a = quantize(x, n, n_tokens);
  const size_t row_bytes = static_cast<size_t>(n / U::kBlockElements) * U::kBlockBytes;
  std::vector<float> out(static_cast<size_t>(rows * n_tokens));
  for (int64_t r = 0; r < rows; ++r) {
    const UnpackedRow u = unpack_row<U>(w + r * row_bytes, n);
    for (int64_t t = 0; t < n_tokens; ++t) {
      float acc = 0.0f;
      for (int64_t j = 0; j < n / 32; ++j) acc = step<U>(acc, u, a, n, t, j);
      out[t * rows + r] = acc;
    }
  }
  return out;
}

template <class U>
std::vector<float> matvec(const uint8_t* w, int64_t rows, int64_t n, const float* x, int64_t n_tokens, int splits) {
  const Activations a = quantize(x, n, n_tokens);
  const size_t row_bytes = static_cast<size_t>(n / U::kBlockElements) * U::kBlockBytes;
  std::vector<float> out(static_cast<size_t>(rows * n_tokens));
  for (int64_t r = 0; r < rows; ++r) {
    const UnpackedRow u = unpack_row<U>(w + r * row_bytes, n);
    for (int64_t t = 0; t < n_tokens; ++t) {
      float total = 0.0f;
      for (int s = 0; s < splits; ++s) {
        int64_t begin, end;
        split_range(n / 32, splits, s, begin, end);
        float lanes[32] = {};
        for (int64_t j = begin; j < end; ++j) lanes[(j - begin) % 32] = step<U>(lanes[(j - begin) % 32], u, a, n, t, j);
        for (int offset = 16; offset > 0; offset /= 2) {  // warp_sum: lane l adds lane l ^ offset
          float next[32];
          for (int l = 0; l < 32; ++l) next[l] = lanes[l] + lanes[l ^ offset];
          std::copy(next, next + 32, lanes);
        }
        total = s == 0 ? lanes[0] : total + lanes[0];
      }
      out[t * rows + r] = total;
    }
  }
  return out;
}

template <template <class> class F, class... Args>
std::vector<float> for_type(GgmlType type, Args... args) {
  switch (type) {
    case GgmlType::Q4_0: return F<UnpackQ4_0>::run(args...);
    case GgmlType::Q4_1: return F<UnpackQ4_1>::run(args...);
    case GgmlType::Q5_0: return F<UnpackQ5_0>::run(args...);
    case GgmlType::Q5_1: return F<UnpackQ5_1>::run(args...);
    case GgmlType::Q8_0: return F<UnpackQ8_0>::run(args...);
    case GgmlType::Q2_K: return F<UnpackQ2_K>::run(args...);
    case GgmlType::Q3_K: return F<UnpackQ3_K>::run(args...);
    case GgmlType::Q4_K: return F<UnpackQ4_K>::run(args...);
    case GgmlType::Q5_K: return F<UnpackQ5_K>::run(args...);
    case GgmlType::Q6_K: return F<UnpackQ6_K>::run(args...);
    default: return {};
  }
}

template <class U>
struct Product {
  static std::vector<float> run(const uint8_t* w, int64_t rows, int64_t n, const float* x, int64_t n_tokens) {
    return product<U>(w, rows, n, x, n_tokens);
  }
};

template <class U>
struct Matvec {
  static std::vector<float> run(const uint8_t* w, int64_t rows, int64_t n, const float* x, int64_t n_tokens,
                                int splits) {
    return matvec<U>(w, rows, n, x, n_tokens, splits);
  }
};

}  // namespace

const std::vector<GgmlType>& mma_weight_types() {
  static const std::vector<GgmlType> types = {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1,
                                              GgmlType::Q8_0, GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K,
                                              GgmlType::Q5_K, GgmlType::Q6_K};
  return types;
}

std::vector<float> reference_product(GgmlType type, const uint8_t* w, int64_t rows, int64_t n, const float* x,
                                     int64_t n_tokens) {
  return for_type<Product>(type, w, rows, n, x, n_tokens);
}

std::vector<float> reference_matvec(GgmlType type, const uint8_t* w, int64_t rows, int64_t n, const float* x,
                                    int64_t n_tokens, int splits) {
  return for_type<Matvec>(type, w, rows, n, x, n_tokens, splits);
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

// Chooses the kernel for a weight type and token count, after the checks that keep a kernel from
// reading out of bounds or misaligned (a misaligned load would poison the whole CUDA context).
#include "cuda/kernels/matmul.h"

#include <cstdlib>
#include <string>
#include <type_traits>

#include "core/engine_error.h"
#include "cuda/kernels/matmul_args.h"
#include "cuda/kernels/matmul_ragged.h"
#include "cuda/kernels/mma_float_tiles.h"
#include "cuda/kernels/q8_choice.h"
#include "cuda/quant/bf16.cuh"
#include "cuda/quant/f16.cuh"
#include "cuda/quant/f32.cuh"
#include "cuda/quant/q2_k.cuh"
#include "cuda/quant/q3_k.cuh"
#include "cuda/quant/q4_0.cuh"
#include "cuda/quant/q4_1.cuh"
#include "cuda/quant/q4_k.cuh"
#include "cuda/quant/q5_0.cuh"
#include "cuda/quant/q5_1.cuh"
#include "cuda/quant/q5_k.cuh"
#include "cuda/quant/q6_k.cuh"
#include "cuda/quant/mma_unpack.h"
#include "cuda/quant/q8_0.cuh"
#include "gguf/ggml_type.h"

namespace nt::cuda {

namespace {

// NT_MATMUL (read per call, so a test or bench can switch it): unset, the default below; "fp32"
// keeps every product on the float kernels, for comparison; "int8" takes every quantized product
// of up to 8 tokens to 8-bit activations (q8_matvec.cuh), whichever is faster.
enum class Choice { kDefault, kFloat, kInt8 };

Choice matmul_choice() {
  const char* choice = std::getenv("NT_MATMUL");
  if (choice == nullptr) return Choice::kDefault;
  const std::string c(choice);
  return c == "fp32" ? Choice::kFloat : c == "int8" ? Choice::kInt8 : Choice::kDefault;
}

// The default per type and token count.
// Up to 8 tokens (decode, a few sequences decoding together): the float matrix-vector kernel
// (matvec.cuh) or the 8-bit one (q8_matvec.cuh), whichever CudaMatmulSpeed measured faster on the
// H100 for the type, token count and matrix size (q8_choice.h: the size in MB from which the 8-bit
// kernel wins; bench/README.md, "Decode kernels", has the table and the measurements):
//   tokens        1    2    3    4    5    6    7    8
//   Q4_0         28   22   19   17   14   12   11   10
//   Q4_1         28   25   23   22   19   17   16   14
//   Q5_0         32   24   20   17   15   14   12   11
//   Q5_1         25   27   30   33   28   24   21   19
//   Q8_0          -    -    -   58   43   34   28   24
//   Q2_K         62   24   16   12   11   10   10    9
//   Q3_K          -    -   29   17   13   10    9    8
//   Q4_K          -   17    8    5    5    5    4    4
//   Q5_K          -   22   12    9    6    5    4    3
//   Q6_K          -    -    -   44   32   26   23   20
// So one token stays on the float kernel except for the large legacy-format matrices, and from 4
// tokens the 8-bit kernel takes the large matrices of every type (an 8B model's 14336 x 4096
// projections) and the K-quants' 4096 x 4096 ones. 2 and 3 tokens were not measured: each kernel's
// time is c + s x bytes, with s linear in the token count (per weight element and token, the
// float kernel does a multiply-add and reads 4 activation bytes, the 8-bit one a quarter dp4a and
// 1 byte), so they are interpolated between 1 and 4.
// More tokens (prefill, batches): a quantized format (U, its unpacker) takes the integer
// tensor-core GEMM on 8-bit activations (mma_gemm.cuh; mma_tiles.h's choose_mma_tile picks its
// tile: 16 or 32 tokens for a few sequences decoding together, up to 128 x 128 for a prompt on a
// large matrix), F16 and BF16 (U, their tile tag) the
// 16-bit one on activations rounded to their format (mma_float_gemm.cuh), F32 (U = void) the float
// GEMM (gemm.cuh).
template <class U>
constexpr bool kFloatTiles = std::is_same_v<U, mma::F16Tiles> || std::is_same_v<U, mma::BF16Tiles>;

bool take_q8_decode(Choice choice, GgmlType type, const MatmulArgs& a) {
  if (a.n_tokens > kMatvecMaxTokens || choice == Choice::kFloat) return false;
  const uint64_t bytes = static_cast<uint64_t>(a.rows) * a.row_bytes;
  return choice == Choice::kInt8 || q8_decode_wins(type, a.n_tokens, bytes);
}

template <class Q, class U = void>
void launch(GgmlType type, const MatmulArgs& a, cudaStream_t stream) {
  const Choice choice = matmul_choice();
  if constexpr (kFloatTiles<U>) {
    if (a.n_tokens > kMatvecMaxTokens && choice != Choice::kFloat) return launch_mma_float_gemm<U>(a, stream);
  } else if constexpr (!std::is_void_v<U>) {
    if (take_q8_decode(choice, type, a)) return launch_q8_matvec<U>(a, stream);
    if (a.n_tokens > kMatvecMaxTokens && choice != Choice::kFloat) return launch_mma_gemm<U>(a, stream);
  }
  if (a.n_tokens <= kMatvecMaxTokens) return launch_matvec<Q>(a, stream);
  launch_gemm<Q>(a, stream);
}

bool shape_fits(const TensorView& w) {
  const auto layout = ggml_block_layout(w.type);
  const int64_t n = w.ne[0];
  return layout && n > 0 && n % 8 == 0 && n % layout->block_elements == 0;
}

bool aligned(const TensorView& w) { return reinterpret_cast<uintptr_t>(w.data) % 16 == 0; }

void check_shape(const TensorView& w) {
  const int64_t n = w.ne[0];
  if (!shape_fits(w)) {
    throw EngineError(NT_E_INTERNAL, "the CUDA matmul needs rows of whole blocks and a multiple of 8 elements; got " +
                                         std::to_string(n) + " elements of " + ggml_type_name(w.type));
  }
  if (!aligned(w)) {
    throw EngineError(NT_E_INTERNAL, "a " + ggml_type_name(w.type) +
                                         " weight tensor in GPU memory is not 16-byte aligned");
  }
}

void product(const TensorView& w, const float* x, int64_t n_tokens, float* out, bool accumulate, cudaStream_t stream) {
  if (n_tokens <= 0 || w.rows() <= 0) return;
  const MatmulArgs a{w.data, w.row_bytes(), w.rows(), w.ne[0], x, n_tokens, out, accumulate};
  if (is_ragged(static_cast<GgmlType>(w.type), w.ne[0])) return launch_ragged(static_cast<GgmlType>(w.type), a, stream);
  check_shape(w);
  const auto type = static_cast<GgmlType>(w.type);
  switch (type) {
    case GgmlType::F32: return launch<quant::F32>(type, a, stream);
    case GgmlType::F16: return launch<quant::F16, mma::F16Tiles>(type, a, stream);
    case GgmlType::BF16: return launch<quant::BF16, mma::BF16Tiles>(type, a, stream);
    case GgmlType::Q4_0: return launch<quant::Q4_0, mma::UnpackQ4_0>(type, a, stream);
    case GgmlType::Q4_1: return launch<quant::Q4_1, mma::UnpackQ4_1>(type, a, stream);
    case GgmlType::Q5_0: return launch<quant::Q5_0, mma::UnpackQ5_0>(type, a, stream);
    case GgmlType::Q5_1: return launch<quant::Q5_1, mma::UnpackQ5_1>(type, a, stream);
    case GgmlType::Q8_0: return launch<quant::Q8_0, mma::UnpackQ8_0>(type, a, stream);
    case GgmlType::Q2_K: return launch<quant::Q2_K, mma::UnpackQ2_K>(type, a, stream);
    case GgmlType::Q3_K: return launch<quant::Q3_K, mma::UnpackQ3_K>(type, a, stream);
    case GgmlType::Q4_K: return launch<quant::Q4_K, mma::UnpackQ4_K>(type, a, stream);
    case GgmlType::Q5_K: return launch<quant::Q5_K, mma::UnpackQ5_K>(type, a, stream);
    case GgmlType::Q6_K: return launch<quant::Q6_K, mma::UnpackQ6_K>(type, a, stream);
    default:
      throw EngineError(NT_E_UNSUPPORTED, "the CUDA backend cannot compute with tensor type " + ggml_type_name(w.type));
  }
}

// The formats whose struct has matvec_part (matvec.cuh's HasMatvecPart).
bool has_blocks_matvec(GgmlType type) {
  switch (type) {
    case GgmlType::Q4_0:
    case GgmlType::Q4_1:
    case GgmlType::Q5_0:
    case GgmlType::Q5_1:
    case GgmlType::Q8_0:
    case GgmlType::Q2_K:
    case GgmlType::Q3_K:
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
    case GgmlType::Q6_K:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool takes_blocks_matvec(const TensorView& w, int64_t n_tokens) {
  const auto type = static_cast<GgmlType>(w.type);
  if (n_tokens < 1 || n_tokens > kMatvecMaxTokens || w.rows() <= 0 || !has_blocks_matvec(type)) return false;
  if (is_ragged(type, w.ne[0]) || !shape_fits(w) || !aligned(w)) return false;
  const MatmulArgs a{w.data, w.row_bytes(), w.rows(), w.ne[0], nullptr, n_tokens, nullptr, false};
  return !take_q8_decode(matmul_choice(), type, a);
}

void matmul(const TensorView& w, const float* x, int64_t n_tokens, float* out, cudaStream_t stream) {
  product(w, x, n_tokens, out, false, stream);
}

void matmul_add(const TensorView& w, const float* x, int64_t n_tokens, float* out, cudaStream_t stream) {
  product(w, x, n_tokens, out, true, stream);
}

}  // namespace nt::cuda

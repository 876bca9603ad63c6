// Chooses the fused decode kernel's format (matvec_fused.cuh) after checking that the separate
// products would each take matvec_blocks_kernel, which the fused kernels compute alike.
#include "cuda/kernels/fused_matvec.h"

#include <string>

#include "core/engine_error.h"
#include "cuda/kernels/matmul.h"
#include "cuda/kernels/matmul_args.h"
#include "cuda/quant/q2_k.cuh"
#include "cuda/quant/q3_k.cuh"
#include "cuda/quant/q4_0.cuh"
#include "cuda/quant/q4_1.cuh"
#include "cuda/quant/q4_k.cuh"
#include "cuda/quant/q5_0.cuh"
#include "cuda/quant/q5_1.cuh"
#include "cuda/quant/q5_k.cuh"
#include "cuda/quant/q6_k.cuh"
#include "cuda/quant/q8_0.cuh"
#include "gguf/ggml_type.h"

namespace nt::cuda {

namespace {

// Calls launch.template run<Q>() for the block format `type` (one takes_blocks_matvec accepted).
template <class Launch>
void for_format(GgmlType type, const Launch& launch) {
  switch (type) {
    case GgmlType::Q4_0: return launch.template run<quant::Q4_0>();
    case GgmlType::Q4_1: return launch.template run<quant::Q4_1>();
    case GgmlType::Q5_0: return launch.template run<quant::Q5_0>();
    case GgmlType::Q5_1: return launch.template run<quant::Q5_1>();
    case GgmlType::Q8_0: return launch.template run<quant::Q8_0>();
    case GgmlType::Q2_K: return launch.template run<quant::Q2_K>();
    case GgmlType::Q3_K: return launch.template run<quant::Q3_K>();
    case GgmlType::Q4_K: return launch.template run<quant::Q4_K>();
    case GgmlType::Q5_K: return launch.template run<quant::Q5_K>();
    case GgmlType::Q6_K: return launch.template run<quant::Q6_K>();
    default: return;  // unreachable: takes_blocks_matvec accepts only these
  }
}

struct SwigluFormat {
  const SwigluArgs& a;
  cudaStream_t stream;
  template <class Q>
  void run() const {
    launch_matvec_swiglu<Q>(a, stream);
  }
};

struct QkvFormat {
  const QkvArgs& a;
  cudaStream_t stream;
  template <class Q>
  void run() const {
    launch_matvec_qkv<Q>(a, stream);
  }
};

bool same_matrix_shape(const TensorView& a, const TensorView& b) {
  return a.type == b.type && a.ne[0] == b.ne[0] && a.rows() == b.rows();
}

void refuse(bool fuses, const char* what) {
  if (!fuses) {
    throw EngineError(NT_E_INTERNAL, std::string("the fused ") + what + " kernel was called where it does not apply");
  }
}

}  // namespace

bool fuses_swiglu(const TensorView& gate, const TensorView& up, int64_t n_tokens) {
  return same_matrix_shape(gate, up) && takes_blocks_matvec(gate, n_tokens) && takes_blocks_matvec(up, n_tokens);
}

void matmul_swiglu(const TensorView& gate, const TensorView& up, const float* x, int64_t n_tokens, float* out,
                   cudaStream_t stream) {
  refuse(fuses_swiglu(gate, up, n_tokens), "gate, up and SwiGLU");
  const SwigluArgs a{gate.data, up.data, gate.row_bytes(), gate.rows(), gate.ne[0], x, n_tokens, out};
  for_format(static_cast<GgmlType>(gate.type), SwigluFormat{a, stream});
}

bool fuses_qkv(const TensorView& wq, const TensorView& wk, const TensorView& wv, int64_t n_tokens) {
  if (wq.type != wk.type || wq.ne[0] != wk.ne[0] || !same_matrix_shape(wk, wv)) return false;
  return takes_blocks_matvec(wq, n_tokens) && takes_blocks_matvec(wk, n_tokens) && takes_blocks_matvec(wv, n_tokens);
}

void matmul_qkv(const TensorView& wq, const TensorView& wk, const TensorView& wv, const float* x, int64_t n_tokens,
                float* q, float* k, float* v, cudaStream_t stream) {
  refuse(fuses_qkv(wq, wk, wv, n_tokens), "q, k, v");
  const QkvArgs a{{wq.data, wk.data, wv.data}, wq.row_bytes(), {wq.rows(), wk.rows(), wv.rows()}, wq.ne[0], x,
                  n_tokens, {q, k, v}};
  for_format(static_cast<GgmlType>(wq.type), QkvFormat{a, stream});
}

}  // namespace nt::cuda

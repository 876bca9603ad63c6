// The tensor-core GEMM's activation quantizer and scratch (mma_gemm.cuh), and its instances for
// the 32-element block formats (the K-quants' are in matmul_mma_kquants.cu, to compile in parallel).
#include <string>

#include "cuda/kernels/mma_gemm.cuh"

namespace nt::cuda {

__global__ void __launch_bounds__(128)
    mma_quantize_kernel(const float* __restrict__ x, int64_t n_blocks, int8_t* __restrict__ q, float* __restrict__ d,
                        int32_t* __restrict__ sums) {
  const int64_t b = int64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  if (b >= n_blocks) return;
  float v[32];
  const float4* src = reinterpret_cast<const float4*>(x + 32 * b);
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const float4 f = src[i];
    v[4 * i] = f.x, v[4 * i + 1] = f.y, v[4 * i + 2] = f.z, v[4 * i + 3] = f.w;
  }
  alignas(16) int8_t qb[32];
  int32_t s[2];
  mma::quantize_block32(v, qb, d[b], s);
  uint4* dst = reinterpret_cast<uint4*>(q + 32 * b);
  dst[0] = reinterpret_cast<const uint4*>(qb)[0];
  dst[1] = reinterpret_cast<const uint4*>(qb)[1];
  sums[2 * b] = s[0];
  sums[2 * b + 1] = s[1];
}

void mma_quantize_activations(const MatmulArgs& a, int8_t*& q, float*& d, int32_t*& sums, void*& scratch,
                              cudaStream_t stream) {
  const int64_t n_blocks = a.n_tokens * (a.n / 32);
  const uint64_t q_bytes = static_cast<uint64_t>(n_blocks) * 32;  // a multiple of 32: d stays aligned
  const uint64_t bytes = q_bytes + static_cast<uint64_t>(n_blocks) * (sizeof(float) + 2 * sizeof(int32_t));
  const cudaError_t err = cudaMallocAsync(&scratch, bytes, stream);
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw EngineError(NT_E_OUT_OF_MEMORY, "cannot allocate " + std::to_string(bytes) +
                                              " bytes of GPU memory for quantized activations: " + error_text(err));
  }
  q = static_cast<int8_t*>(scratch);
  d = reinterpret_cast<float*>(q + q_bytes);
  sums = reinterpret_cast<int32_t*>(d + n_blocks);
  const unsigned grid = static_cast<unsigned>((n_blocks + 127) / 128);
  mma_quantize_kernel<<<grid, 128, 0, stream>>>(a.x, n_blocks, q, d, sums);
  const cudaError_t launched = cudaGetLastError();
  if (launched != cudaSuccess) {
    cudaFreeAsync(scratch, stream);
    CUDA_CHECK(launched);
  }
}

template void launch_mma_gemm<mma::UnpackQ4_0>(const MatmulArgs&, cudaStream_t);
template void launch_mma_gemm<mma::UnpackQ4_1>(const MatmulArgs&, cudaStream_t);
template void launch_mma_gemm<mma::UnpackQ5_0>(const MatmulArgs&, cudaStream_t);
template void launch_mma_gemm<mma::UnpackQ5_1>(const MatmulArgs&, cudaStream_t);
template void launch_mma_gemm<mma::UnpackQ8_0>(const MatmulArgs&, cudaStream_t);

}  // namespace nt::cuda

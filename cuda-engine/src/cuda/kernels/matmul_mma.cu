// The 8-bit activation kernels' shared pieces: the activation quantizer, the stream-ordered
// scratch, the split-K reduction of the decode kernel (q8_matvec.cuh), and the instances of both
// kernels for the 32-element block formats (the K-quants' are in matmul_mma_kquants.cu, to compile
// in parallel).
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "cuda/kernels/mma_gemm_launch.cuh"
#include "cuda/kernels/q8_matvec.cuh"

namespace nt::cuda {

namespace {

// Stream-ordered scratch, so products on two streams never share it and nothing synchronises
// the device (a pass recorded as a CUDA graph records the allocation as a node). The device's
// default pool would hand its memory back at every synchronisation (release threshold 0) and map
// it again in the next pass; keeping up to 256 MiB pooled avoids that (the largest scratch, 512
// tokens of a 70B feed-forward row, is about 20 MB). The pool is set up outside any capture.
void* scratch_alloc(uint64_t bytes, const char* what, cudaStream_t stream) {
  static std::mutex mutex;
  static std::set<int> pooled;
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  CUDA_CHECK(cudaStreamIsCapturing(stream, &capture));
  if (capture == cudaStreamCaptureStatusNone) {
    const std::lock_guard<std::mutex> lock(mutex);
    if (pooled.insert(device).second) {
      cudaMemPool_t pool;
      CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
      uint64_t threshold = uint64_t{256} << 20;
      CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold));
    }
  }
  void* p = nullptr;
  const cudaError_t err = cudaMallocAsync(&p, bytes, stream);
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw EngineError(NT_E_OUT_OF_MEMORY, "cannot allocate " + std::to_string(bytes) + " bytes of GPU memory for " +
                                              what + ": " + error_text(err));
  }
  return p;
}

// The current device's multiprocessor count, asked once per device.
int multiprocessors() {
  static std::mutex mutex;
  static std::map<int, int> counts;
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  const std::lock_guard<std::mutex> lock(mutex);
  const auto known = counts.find(device);
  if (known != counts.end()) return known->second;
  int sms = 0;
  CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  counts.emplace(device, sms);
  return sms;
}

}  // namespace

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
  scratch = scratch_alloc(bytes, "quantized activations", stream);
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

__global__ void q8_matvec_reduce_kernel(const float* __restrict__ partial, int splits, int64_t count,
                                        float* __restrict__ out, bool accumulate) {
  const int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  if (i >= count) return;
  float s = partial[i];
  for (int k = 1; k < splits; ++k) s += partial[k * count + i];
  out[i] = accumulate ? out[i] + s : s;
}

MmaTileKind mma_gemm_tile(const MatmulArgs& a, bool large_fits) {
  return choose_mma_tile(a.rows, a.n_tokens, multiprocessors(), large_fits, std::getenv("NT_MMA_TILE"));
}

bool mma_gemm_fused() { return mma_fused_epilogue(std::getenv("NT_MMA_FUSED")); }

int q8_matvec_splits_for(const MatmulArgs& a) { return mma::matvec_splits(a.rows, a.n, multiprocessors()); }

float* q8_matvec_partials(int splits, const MatmulArgs& a, cudaStream_t stream) {
  const uint64_t bytes = static_cast<uint64_t>(splits) * a.n_tokens * a.rows * sizeof(float);
  return static_cast<float*>(scratch_alloc(bytes, "split-K partial sums", stream));
}

void q8_matvec_reduce(const float* partial, int splits, const MatmulArgs& a, cudaStream_t stream) {
  const int64_t count = a.n_tokens * a.rows;
  q8_matvec_reduce_kernel<<<static_cast<unsigned>((count + 255) / 256), 256, 0, stream>>>(partial, splits, count, a.out,
                                                                                          a.accumulate);
  const cudaError_t launched = cudaGetLastError();
  CUDA_CHECK(cudaFreeAsync(const_cast<float*>(partial), stream));
  if (launched != cudaSuccess) CUDA_CHECK(launched);
}

template void launch_q8_matvec<mma::UnpackQ4_0>(const MatmulArgs&, cudaStream_t);
template void launch_q8_matvec<mma::UnpackQ4_1>(const MatmulArgs&, cudaStream_t);
template void launch_q8_matvec<mma::UnpackQ5_0>(const MatmulArgs&, cudaStream_t);
template void launch_q8_matvec<mma::UnpackQ5_1>(const MatmulArgs&, cudaStream_t);
template void launch_q8_matvec<mma::UnpackQ8_0>(const MatmulArgs&, cudaStream_t);
template void launch_mma_gemm<mma::UnpackQ4_0>(const MatmulArgs&, cudaStream_t);
template void launch_mma_gemm<mma::UnpackQ4_1>(const MatmulArgs&, cudaStream_t);
template void launch_mma_gemm<mma::UnpackQ5_0>(const MatmulArgs&, cudaStream_t);
template void launch_mma_gemm<mma::UnpackQ5_1>(const MatmulArgs&, cudaStream_t);
template void launch_mma_gemm<mma::UnpackQ8_0>(const MatmulArgs&, cudaStream_t);

}  // namespace nt::cuda

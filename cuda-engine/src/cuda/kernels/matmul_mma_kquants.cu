// The tensor-core GEMM (mma_gemm_launch.cuh) and the 8-bit decode kernel (q8_matvec.cuh) instantiated for
// the K-quant formats.
#include "cuda/kernels/mma_gemm_launch.cuh"
#include "cuda/kernels/q8_matvec.cuh"

namespace nt::cuda {

template void launch_q8_matvec<mma::UnpackQ2_K>(const MatmulArgs&, cudaStream_t);
template void launch_q8_matvec<mma::UnpackQ3_K>(const MatmulArgs&, cudaStream_t);
template void launch_q8_matvec<mma::UnpackQ4_K>(const MatmulArgs&, cudaStream_t);
template void launch_q8_matvec<mma::UnpackQ5_K>(const MatmulArgs&, cudaStream_t);
template void launch_q8_matvec<mma::UnpackQ6_K>(const MatmulArgs&, cudaStream_t);
template void launch_mma_gemm<mma::UnpackQ2_K>(const MatmulArgs&, cudaStream_t);
template void launch_mma_gemm<mma::UnpackQ3_K>(const MatmulArgs&, cudaStream_t);
template void launch_mma_gemm<mma::UnpackQ4_K>(const MatmulArgs&, cudaStream_t);
template void launch_mma_gemm<mma::UnpackQ5_K>(const MatmulArgs&, cudaStream_t);
template void launch_mma_gemm<mma::UnpackQ6_K>(const MatmulArgs&, cudaStream_t);

}  // namespace nt::cuda

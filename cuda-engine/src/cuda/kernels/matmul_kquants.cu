// The matmul kernels instantiated for the K-quant formats (split by family so they compile in parallel).
#include "cuda/quant/q2_k.cuh"
#include "cuda/quant/q3_k.cuh"
#include "cuda/quant/q4_k.cuh"
#include "cuda/quant/q5_k.cuh"
#include "cuda/quant/q6_k.cuh"
#include "cuda/kernels/gemm.cuh"
#include "cuda/kernels/matvec.cuh"

namespace nt::cuda {

template void launch_matvec<quant::Q2_K>(const MatmulArgs&, cudaStream_t);
template void launch_gemm<quant::Q2_K>(const MatmulArgs&, cudaStream_t);
template void launch_matvec<quant::Q3_K>(const MatmulArgs&, cudaStream_t);
template void launch_gemm<quant::Q3_K>(const MatmulArgs&, cudaStream_t);
template void launch_matvec<quant::Q4_K>(const MatmulArgs&, cudaStream_t);
template void launch_gemm<quant::Q4_K>(const MatmulArgs&, cudaStream_t);
template void launch_matvec<quant::Q5_K>(const MatmulArgs&, cudaStream_t);
template void launch_gemm<quant::Q5_K>(const MatmulArgs&, cudaStream_t);
template void launch_matvec<quant::Q6_K>(const MatmulArgs&, cudaStream_t);
template void launch_gemm<quant::Q6_K>(const MatmulArgs&, cudaStream_t);

}  // namespace nt::cuda

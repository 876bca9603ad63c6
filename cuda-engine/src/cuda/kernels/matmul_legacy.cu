// The matmul kernels instantiated for the 32-element block formats (split by family so they compile in parallel).
#include "cuda/quant/q4_0.cuh"
#include "cuda/quant/q4_1.cuh"
#include "cuda/quant/q5_0.cuh"
#include "cuda/quant/q5_1.cuh"
#include "cuda/quant/q8_0.cuh"
#include "cuda/kernels/gemm.cuh"
#include "cuda/kernels/matvec.cuh"

namespace nt::cuda {

template void launch_matvec<quant::Q4_0>(const MatmulArgs&, cudaStream_t);
template void launch_gemm<quant::Q4_0>(const MatmulArgs&, cudaStream_t);
template void launch_matvec<quant::Q4_1>(const MatmulArgs&, cudaStream_t);
template void launch_gemm<quant::Q4_1>(const MatmulArgs&, cudaStream_t);
template void launch_matvec<quant::Q5_0>(const MatmulArgs&, cudaStream_t);
template void launch_gemm<quant::Q5_0>(const MatmulArgs&, cudaStream_t);
template void launch_matvec<quant::Q5_1>(const MatmulArgs&, cudaStream_t);
template void launch_gemm<quant::Q5_1>(const MatmulArgs&, cudaStream_t);
template void launch_matvec<quant::Q8_0>(const MatmulArgs&, cudaStream_t);
template void launch_gemm<quant::Q8_0>(const MatmulArgs&, cudaStream_t);

}  // namespace nt::cuda

// The matmul kernels instantiated for the F32, F16 and BF16 formats (split by family so they compile in parallel).
#include "cuda/quant/f32.cuh"
#include "cuda/quant/f16.cuh"
#include "cuda/quant/bf16.cuh"
#include "cuda/kernels/gemm.cuh"
#include "cuda/kernels/matvec.cuh"

namespace nt::cuda {

template void launch_matvec<quant::F32>(const MatmulArgs&, cudaStream_t);
template void launch_gemm<quant::F32>(const MatmulArgs&, cudaStream_t);
template void launch_matvec<quant::F16>(const MatmulArgs&, cudaStream_t);
template void launch_gemm<quant::F16>(const MatmulArgs&, cudaStream_t);
template void launch_matvec<quant::BF16>(const MatmulArgs&, cudaStream_t);
template void launch_gemm<quant::BF16>(const MatmulArgs&, cudaStream_t);

}  // namespace nt::cuda

// The 16-bit tensor-core GEMM (mma_float_gemm.cuh) instantiated for F16 and BF16 weights.
#include "cuda/kernels/mma_float_gemm.cuh"

namespace nt::cuda {

template void launch_mma_float_gemm<mma::F16Tiles>(const MatmulArgs&, cudaStream_t);
template void launch_mma_float_gemm<mma::BF16Tiles>(const MatmulArgs&, cudaStream_t);

}  // namespace nt::cuda

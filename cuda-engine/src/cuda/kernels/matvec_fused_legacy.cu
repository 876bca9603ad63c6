// The fused decode kernels (matvec_fused.cuh) instantiated for the 32-element block formats.
#include "cuda/kernels/matvec_fused.cuh"
#include "cuda/quant/q4_0.cuh"
#include "cuda/quant/q4_1.cuh"
#include "cuda/quant/q5_0.cuh"
#include "cuda/quant/q5_1.cuh"
#include "cuda/quant/q8_0.cuh"

namespace nt::cuda {

template void launch_matvec_swiglu<quant::Q4_0>(const SwigluArgs&, cudaStream_t);
template void launch_matvec_qkv<quant::Q4_0>(const QkvArgs&, cudaStream_t);
template void launch_matvec_swiglu<quant::Q4_1>(const SwigluArgs&, cudaStream_t);
template void launch_matvec_qkv<quant::Q4_1>(const QkvArgs&, cudaStream_t);
template void launch_matvec_swiglu<quant::Q5_0>(const SwigluArgs&, cudaStream_t);
template void launch_matvec_qkv<quant::Q5_0>(const QkvArgs&, cudaStream_t);
template void launch_matvec_swiglu<quant::Q5_1>(const SwigluArgs&, cudaStream_t);
template void launch_matvec_qkv<quant::Q5_1>(const QkvArgs&, cudaStream_t);
template void launch_matvec_swiglu<quant::Q8_0>(const SwigluArgs&, cudaStream_t);
template void launch_matvec_qkv<quant::Q8_0>(const QkvArgs&, cudaStream_t);

}  // namespace nt::cuda

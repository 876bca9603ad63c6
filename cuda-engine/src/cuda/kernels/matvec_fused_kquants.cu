// The fused decode kernels (matvec_fused.cuh) instantiated for the K-quant formats.
#include "cuda/kernels/matvec_fused.cuh"
#include "cuda/quant/q2_k.cuh"
#include "cuda/quant/q3_k.cuh"
#include "cuda/quant/q4_k.cuh"
#include "cuda/quant/q5_k.cuh"
#include "cuda/quant/q6_k.cuh"

namespace nt::cuda {

template void launch_matvec_swiglu<quant::Q2_K>(const SwigluArgs&, cudaStream_t);
template void launch_matvec_qkv<quant::Q2_K>(const QkvArgs&, cudaStream_t);
template void launch_matvec_swiglu<quant::Q3_K>(const SwigluArgs&, cudaStream_t);
template void launch_matvec_qkv<quant::Q3_K>(const QkvArgs&, cudaStream_t);
template void launch_matvec_swiglu<quant::Q4_K>(const SwigluArgs&, cudaStream_t);
template void launch_matvec_qkv<quant::Q4_K>(const QkvArgs&, cudaStream_t);
template void launch_matvec_swiglu<quant::Q5_K>(const SwigluArgs&, cudaStream_t);
template void launch_matvec_qkv<quant::Q5_K>(const QkvArgs&, cudaStream_t);
template void launch_matvec_swiglu<quant::Q6_K>(const SwigluArgs&, cudaStream_t);
template void launch_matvec_qkv<quant::Q6_K>(const QkvArgs&, cudaStream_t);

}  // namespace nt::cuda

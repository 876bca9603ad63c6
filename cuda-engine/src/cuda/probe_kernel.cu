#include "cuda/probe_kernel.h"

namespace nt {

namespace {

__global__ void write_answer(int* out) { *out = 42; }

}  // namespace

cudaError_t run_probe_kernel(int device) {
  cudaError_t err = cudaSetDevice(device);
  if (err != cudaSuccess) return err;
  int* answer = nullptr;
  if ((err = cudaMalloc(&answer, sizeof(int))) != cudaSuccess) return err;
  write_answer<<<1, 1>>>(answer);
  err = cudaGetLastError();
  int host = 0;
  if (err == cudaSuccess) err = cudaMemcpy(&host, answer, sizeof(int), cudaMemcpyDeviceToHost);
  cudaFree(answer);
  if (err == cudaSuccess && host != 42) err = cudaErrorUnknown;
  return err;
}

}  // namespace nt

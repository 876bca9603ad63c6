#pragma once

#include <cuda_runtime_api.h>

namespace nt {

// Runs a one-thread kernel on `device` and checks its result, proving that this build carries
// code the device can execute (a build for sm_80 only fails here on an sm_75 card with
// cudaErrorNoKernelImageForDevice, which is clearer now than at the first token).
cudaError_t run_probe_kernel(int device);

}  // namespace nt

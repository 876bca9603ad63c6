#!/usr/bin/env bash
# Builds the engine's C++ tests for one GPU architecture with plain cmake (no node needed) and runs
# the CUDA kernel suites on this machine's GPU:
#   scripts/testGpuKernels.sh [GTEST_FILTER]
# NT_CUDA_ARCHITECTURES (default 90) picks the architecture, NT_GPU_BUILD (default
# cuda-engine/build-gpu-tests) the build folder. The default filter is the matrix-product suites
# (the tensor-core GEMM, the float kernels, the residual store) and the CPU-side checks of the
# tensor-core layouts, of the GEMM's tile choice and of the decode kernels' choice; pass '*' for
# everything.
set -euo pipefail

build=${NT_GPU_BUILD:-cuda-engine/build-gpu-tests}
arch=${NT_CUDA_ARCHITECTURES:-90}
filter=${1:-'CudaMatmul*:MmaFragments*:MmaUnpack*:MmaQ8*:MmaReference*:Q8Choice*:MmaTileChoice*'}
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi
cmake -S cuda-engine -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DWITH_CUDA=ON \
  -DNT_CUDA_ARCHITECTURES="$arch" -DNT_BUILD_TESTS=ON -DNT_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target nt_engine_tests nt-bench -j "$(nproc)"
NT_TEST_DATA=${NT_TEST_DATA:-/nonexistent} "$build/nt_engine_tests" --gtest_filter="$filter"

#!/usr/bin/env bash
# The engine's native checks: a CPU-only build (the addon variant for machines without nvcc) with
# its C++ unit tests under ctest, which also prove that the layering holds (ctest -L layers: a
# wrong #include fails to compile; ARCHITECTURE.md, "Engine"), then the GGUF reader's libFuzzer
# target for a bounded time.
#   NT_FUZZ_SECONDS  fuzzing time (default 60 under CI=true, else 15; 0 skips fuzzing locally)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/localNodeHeaders.sh

echo "== CPU-only engine build with unit tests (cuda-engine/build-cpu)"
npx cmake-js compile --directory cuda-engine --out cuda-engine/build-cpu \
  --CDWITH_CUDA=OFF --CDNT_BUILD_TESTS=ON --CDNT_BUILD_BENCH=ON
ctest --test-dir cuda-engine/build-cpu --output-on-failure

seconds=${NT_FUZZ_SECONDS:-$([[ "${CI:-}" == "true" ]] && echo 60 || echo 15)}
if [[ "$seconds" == "0" ]]; then
  [[ "${CI:-}" == "true" ]] && { echo "fuzzing cannot be skipped under CI" >&2; exit 1; }
  echo "== fuzzing skipped (NT_FUZZ_SECONDS=0)"
  exit 0
fi
bash scripts/fuzzGguf.sh "$seconds"

#!/usr/bin/env bash
# The GPU benchmarks of issue 5 in one command, for a machine with a GPU and the C++ bench built:
#   scripts/benchGpu.sh [MODELS_DIR]
# generates (once) an 8B- and a 70B-shape q4_k_m-like model with random weights, then runs
# nt-bench on the four cases the issue names, each figure printed beside its bound (DESIGN §3):
#   1. 70B, --vram-budget 24GiB, the rest pinned: tg              (bound: pinned H2D / streamed bytes)
#   2. 70B, 24 GiB VRAM, 4 GiB pinned, which leaves >= 15 GB in tier C: tg (combined bound)
#   3. 70B as in 1: pp512, one streamed pass per chunk
#   4. 8B fully resident: pp512 and tg128                         (bound: VRAM bandwidth / weights)
# NODE (default: node) runs the generator, NT_BENCH (default: the cmake-js build's nt-bench) the
# bench; NT_BENCH_ARGS are added to every nt-bench call (e.g. --json).
set -euo pipefail

node=${NODE:-node}
bench=${NT_BENCH:-cuda-engine/build-gpu/Release/nt-bench}
models=${1:-/tmp/nt-bench-models}
read -r -a extra <<< "${NT_BENCH_ARGS:-}"
mkdir -p "$models"

model() {
  local file="$models/$1-q4_k_m.gguf"
  if [[ ! -s $file ]]; then
    echo "generating $file" >&2
    "$node" dist/scripts/generateModel.js --shape "$1" --mix q4_k_m --out "$file" >&2
  fi
  echo "$file"
}

run() {
  echo
  echo "## $1"
  shift
  echo "\$ nt-bench $*"
  "$bench" "$@" "${extra[@]}"
}

m8=$(model 8b)
m70=$(model 70b)
run "4. 8B-shape q4_k_m, fully resident" -m "$m8" --backend cuda -p 512 -n 128 -r 3
run "1 and 3. 70B-shape q4_k_m, 24 GiB VRAM, the rest pinned" \
  -m "$m70" --backend cuda --vram-budget 24GiB -p 512 -n 32 -r 3
# --measure-links: the storage figure is measured again after the run, over 2 GiB of reads.
run "2. 70B-shape q4_k_m, 24 GiB VRAM, 4 GiB pinned: >= 15 GB read from storage every token" \
  -m "$m70" --backend cuda --vram-budget 24GiB --pinned-budget 4GiB -p 0 -n 3 -r 3 --measure-links

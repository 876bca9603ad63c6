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
#
# Beside llama.cpp, in the same run on the same files: LLAMA_BENCH=path/to/llama-bench runs it on
# cases 4 (-ngl 99, without and with flash attention) and 3 (-ngl LLAMA_NGL_70B, default 40: what
# fits 24 GiB) with the same -p/-n/-r, and prints each test's figures and ours / llama.cpp's
# (dist/scripts/compareWithLlama.js; build:ts first). LLAMA_BATCHED_BENCH=path/to/llama-batched-bench
# runs it for 1-16 sequences of 128 prompt + 128 generated tokens on the 8B file beside nt-bench
# --parallel (its S_TG: generation alone, where ours counts the prompt passes too). NT_MATMUL=fp32
# (the engine's float kernels) may be set for a baseline.
set -euo pipefail

source "$(dirname "$0")/bench/benchSetup.sh"

m8=$(model 8b)
m70=$(model 70b)
run "4. 8B-shape q4_k_m, fully resident" -m "$m8" --backend cuda -p 512 -n 128 -r 3
run "1 and 3. 70B-shape q4_k_m, 24 GiB VRAM, the rest pinned" \
  -m "$m70" --backend cuda --vram-budget 24GiB -p 512 -n 32 -r 3
# --measure-links: the storage figure is measured again after the run, over 2 GiB of reads.
run "2. 70B-shape q4_k_m, 24 GiB VRAM, 4 GiB pinned: >= 15 GB read from storage every token" \
  -m "$m70" --backend cuda --vram-budget 24GiB --pinned-budget 4GiB -p 0 -n 3 -r 3 --measure-links

if [[ -n ${LLAMA_BENCH:-} ]]; then
  beside_llama "4. 8B-shape q4_k_m, fully resident" "$m8" "--backend cuda -p 512 -n 128 -r 3" "-p 512 -n 128 -r 3 -ngl 99"
  beside_llama "4. the same, llama.cpp with flash attention" "$m8" "--backend cuda -p 512 -n 128 -r 3" \
    "-p 512 -n 128 -r 3 -ngl 99 -fa 1"
  beside_llama "3. 70B-shape q4_k_m, 24 GiB VRAM (llama.cpp: -ngl ${LLAMA_NGL_70B:-40})" "$m70" \
    "--backend cuda --vram-budget 24GiB -p 512 -n 32 -r 3" "-p 512 -n 32 -r 3 -ngl ${LLAMA_NGL_70B:-40}"
fi

if [[ -n ${LLAMA_BATCHED_BENCH:-} ]]; then
  beside_llama "8B-shape q4_k_m, fully resident, 1-16 sequences of 128 prompt + 128 generated tokens" "$m8" \
    "--backend cuda -p 0 -n 0 --parallel 1,2,4,8,16 --parallel-prompt 128 --parallel-gen 128 -r 2" \
    "-ngl 99 -c 8192 -b 2048 -ub 512 -npp 128 -ntg 128 -npl 1,2,4,8,16 --output-format jsonl" "$LLAMA_BATCHED_BENCH"
fi

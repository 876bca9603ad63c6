#!/usr/bin/env bash
# The CUDA kernels' benchmarks (issue 14) in one command, for a machine with a GPU and the C++
# bench built:
#   scripts/benchKernels.sh [MODELS_DIR]
# generates (once) the 8B- and 70B-shape q4_k_m-like models of scripts/benchGpu.sh, then runs the
# issue's table, each figure beside its bound:
#   1. 8B fully resident: pp512 and tg128                        (bound: VRAM bandwidth / weights)
#   2. 8B fully resident, Q8_0 KV: tg32 at depth 0 and 32768 (target: depth 32768 >= 0.7 x depth 0)
#   3. 70B, --vram-budget 24GiB: pp512 in 512-token passes and pp2048 in one pass (-b 2048)
#   4. 70B as in 3, F16 KV, --dual-path off: tg32 at depth 0 and 8192 (target: both >= 95 % of
#      the PCIe bound printed beside them)
#   5. 70B as in 3: 1 and 16 sequences decoding together (target: the 16-sequence pass within
#      1.2 x the one-sequence pass, i.e. its aggregate t/s >= 16 / 1.2 x the one-sequence figure)
# With LLAMA_BENCH=path/to/llama-bench, cases 1 (-ngl 99 -fa 1) and 3's pp512 (-ngl LLAMA_NGL_70B,
# default 40) run again beside llama.cpp on the same file, with the ratio (build:ts first).
# NODE (default: node) runs the generator, NT_BENCH (default: the cmake-js build's nt-bench) the
# bench; NT_BENCH_ARGS are added to every nt-bench call (e.g. --json, or --profile).
set -euo pipefail

source "$(dirname "$0")/bench/benchSetup.sh"

m8=$(model 8b)
m70=$(model 70b)
run "1. 8B-shape q4_k_m, fully resident" -m "$m8" --backend cuda -p 512 -n 128 -r 3
run "2. 8B-shape q4_k_m, fully resident, Q8_0 KV, tg32 at depth 0 and 32768" \
  -m "$m8" --backend cuda -p 0 -n 32 -d 0,32768 --kv-type q8_0 --ctx 33024 -r 2
run "3. 70B-shape q4_k_m, 24 GiB VRAM: pp512" -m "$m70" --backend cuda --vram-budget 24GiB -p 512 -n 0 -r 2
run "3. the same, pp2048 in one pass" -m "$m70" --backend cuda --vram-budget 24GiB -p 2048 -b 2048 -n 0 -r 1
run "4. 70B-shape q4_k_m, 24 GiB VRAM, F16 KV, --dual-path off: tg32 at depth 0 and 8192" \
  -m "$m70" --backend cuda --vram-budget 24GiB --dual-path off -p 0 -n 32 -d 0,8192 --ctx 8448 -r 2
run "5. 70B-shape q4_k_m, 24 GiB VRAM: 1 and 16 sequences decoding together" \
  -m "$m70" --backend cuda --vram-budget 24GiB -p 0 -n 0 --parallel 1,16 --parallel-prompt 8 --parallel-gen 16 -r 2

if [[ -n ${LLAMA_BENCH:-} ]]; then
  beside_llama "1. 8B-shape q4_k_m, fully resident (llama.cpp with flash attention)" "$m8" \
    "--backend cuda -p 512 -n 128 -r 3" "-p 512 -n 128 -r 3 -ngl 99 -fa 1"
  beside_llama "3. 70B-shape q4_k_m, 24 GiB VRAM (llama.cpp: -ngl ${LLAMA_NGL_70B:-40})" "$m70" \
    "--backend cuda --vram-budget 24GiB -p 512 -n 0 -r 2" "-p 512 -n 0 -r 2 -ngl ${LLAMA_NGL_70B:-40}"
fi

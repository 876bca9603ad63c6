#!/usr/bin/env bash
# The dual path's GPU benchmarks (issue 13) in one command, for a machine with a GPU and the C++
# bench built:
#   scripts/benchDual.sh [MODELS_DIR]
# generates (once) the 8B- and 70B-shape q4_k_m-like models of scripts/benchGpu.sh, then runs
# nt-bench's tg test with the dual path off, on and auto:
#   1. 70B, --vram-budget 24GiB, the rest pinned (the case of issue 13: ~17.5 GiB through PCIe per token)
#   2. 8B, --vram-budget 3GiB, so that about half of it streams
#   3. 8B fully resident with auto: the planner must choose no CPU layer (nothing streams)
#   4. 70B as in 1 with a 512-token prompt, off and auto: per pass, auto's prompt streams every
#      block (its pp512 near off's) while its decode takes the split (its tg as in 1)
#   5. nt-cpu-layer-bench on the 70B model at the dual path's threads (nproc - 1): where a CPU
#      layer's time goes (each product, the groups, the forward, the rest, the old synthetic rate),
#      each product alone and beside H2D copies (--copies)
#   6. 70B as in 1, 1, 4 and 16 sequences decoding together after an 8-token prompt each
#      (--parallel 1,4,16), aggregate t/s beside N x the one-sequence bound
# With LLAMA_BENCH=path/to/llama-bench, case 1 (auto) runs again beside llama.cpp's CPU+GPU hybrid
# (-ngl LLAMA_NGL_70B, default 40, -t nproc) on the same file, with the ratio (build:ts first); with
# LLAMA_BATCHED_BENCH=path/to/llama-batched-bench, case 6 beside its -npp 8 -ntg 16 -npl 1,4,16
# (its S_TG: generation alone, where ours counts the prompt passes too).
# Each run prints the plan (stderr: the layer pattern, the calibration, the predicted pass) and,
# beside t/s, the link bound and the dual bound (B_h2d + B_cpu measured together) / bytes.
# NODE (default: node) runs the generator, NT_BENCH (default: the cmake-js build's nt-bench) the
# bench; NT_BENCH_ARGS are added to every nt-bench call (e.g. --json, or -t 16).
set -euo pipefail

source "$(dirname "$0")/bench/benchSetup.sh"

m8=$(model 8b)
m70=$(model 70b)
for mode in off on auto; do
  run "1. 70B-shape q4_k_m, 24 GiB VRAM, the rest pinned, --dual-path $mode" \
    -m "$m70" --backend cuda --vram-budget 24GiB -p 0 -n 32 -r 3 --dual-path "$mode"
done
for mode in off on auto; do
  run "2. 8B-shape q4_k_m, 3 GiB VRAM, --dual-path $mode" \
    -m "$m8" --backend cuda --vram-budget 3GiB -p 0 -n 64 -r 3 --dual-path "$mode"
done
run "3. 8B-shape q4_k_m, fully resident, --dual-path auto (expect no CPU layer)" \
  -m "$m8" --backend cuda -p 512 -n 128 -r 3 --dual-path auto
for mode in off auto; do
  run "4. 70B-shape q4_k_m, 24 GiB VRAM, a 512-token prompt, --dual-path $mode (auto: the prompt streams, decode splits)" \
    -m "$m70" --backend cuda --vram-budget 24GiB -p 512 -n 32 -r 2 --dual-path "$mode"
done
if [[ -n ${LLAMA_BENCH:-} ]]; then
  # llama.cpp's CPU+GPU hybrid: the layers that fit 24 GiB on the GPU, the rest on the CPU.
  beside_llama "1. 70B-shape q4_k_m, 24 GiB VRAM, --dual-path auto (llama.cpp: -ngl ${LLAMA_NGL_70B:-40} -t $(nproc))" "$m70" \
    "--backend cuda --vram-budget 24GiB -p 0 -n 32 -r 3 --dual-path auto" "-p 0 -n 32 -r 3 -ngl ${LLAMA_NGL_70B:-40} -t $(nproc)"
fi
layer_bench=${NT_CPU_LAYER_BENCH:-$(dirname "$bench")/nt-cpu-layer-bench}
echo
echo "## 5. 70B-shape q4_k_m: a CPU layer forward at one token, $(( $(nproc) - 1 )) threads"
"$layer_bench" "$m70" "$(( $(nproc) - 1 ))" 5 --copies
parallel_args="--backend cuda --vram-budget 24GiB -p 0 -n 0 --parallel 1,4,16 --parallel-prompt 8 --parallel-gen 16 -r 2"
if [[ -n ${LLAMA_BATCHED_BENCH:-} ]]; then
  beside_llama "6. 70B-shape q4_k_m, 24 GiB VRAM, 1/4/16 sequences (llama.cpp: -ngl ${LLAMA_NGL_70B:-40} -t $(nproc))" \
    "$m70" "$parallel_args" \
    "-ngl ${LLAMA_NGL_70B:-40} -t $(nproc) -c 4096 -npp 8 -ntg 16 -npl 1,4,16 --output-format jsonl" "$LLAMA_BATCHED_BENCH"
else
  read -r -a args <<< "$parallel_args"
  run "6. 70B-shape q4_k_m, 24 GiB VRAM, 1/4/16 sequences" -m "$m70" "${args[@]}"
fi

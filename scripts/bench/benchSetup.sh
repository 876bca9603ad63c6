# Sourced by scripts/benchGpu.sh and scripts/benchDual.sh: the settings and the two helpers they
# share. NODE (default: node) runs the generator, NT_BENCH (default: the cmake-js build's nt-bench)
# the bench; NT_BENCH_ARGS are added to every nt-bench call. $1 of the sourcing script: MODELS_DIR.
node=${NODE:-node}
bench=${NT_BENCH:-cuda-engine/build-gpu/Release/nt-bench}
models=${1:-/tmp/nt-bench-models}
read -r -a extra <<< "${NT_BENCH_ARGS:-}"
mkdir -p "$models"

# model SHAPE: the path of a q4_k_m-like model of that shape, generated once with random weights.
model() {
  local file="$models/$1-q4_k_m.gguf"
  if [[ ! -s $file ]]; then
    echo "generating $file" >&2
    "$node" dist/scripts/generateModel.js --shape "$1" --mix q4_k_m --out "$file" >&2
  fi
  echo "$file"
}

# run TITLE ARGS...: one nt-bench call under a heading, its command line printed first.
run() {
  echo
  echo "## $1"
  shift
  echo "\$ nt-bench $*"
  "$bench" "$@" "${extra[@]}"
}

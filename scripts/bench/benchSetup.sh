# Sourced by scripts/benchGpu.sh and scripts/benchDual.sh: the settings and the three helpers they
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

# beside_llama TITLE FILE NT_ARGS LLAMA_ARGS [TOOL]: both tools on one file, nt-bench with NT_ARGS
# and llama.cpp's TOOL (default LLAMA_BENCH; llama-batched-bench with --output-format jsonl for
# --parallel tests) with LLAMA_ARGS (space-separated flags), one table (compareWithLlama: ours, its
# bound and the share reached, llama.cpp's figure, the ratio; build:ts first).
beside_llama() {
  local title=$1 file=$2 tool=${5:-${LLAMA_BENCH:-}} ours theirs
  local -a nt_args llama_args
  read -r -a nt_args <<< "$3"
  read -r -a llama_args <<< "$4"
  ours=$(mktemp) theirs=$(mktemp)
  echo
  echo "## $title, beside llama.cpp"
  # llama-bench writes JSON with -o json; llama-batched-bench takes its format in LLAMA_ARGS.
  [[ $tool == *batched-bench* ]] || llama_args+=(-o json)
  echo "\$ nt-bench -m $file ${nt_args[*]} --json; $(basename "$tool") -m $file ${llama_args[*]}"
  "$bench" -m "$file" "${nt_args[@]}" --json > "$ours"
  "$tool" -m "$file" "${llama_args[@]}" > "$theirs"
  "$node" dist/scripts/compareWithLlama.js "$ours" "$theirs"
  rm -f "$ours" "$theirs"
}

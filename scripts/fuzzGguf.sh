#!/usr/bin/env bash
# Fuzzes the GGUF reader and the checks a file meets after it (the tokenizer built from its
# metadata, the hyper-parameters, the weight table) with libFuzzer (clang,
# -fsanitize=fuzzer,address,undefined) for the given number of seconds, seeded with the real files
# in $NT_TEST_DATA and with files from our own writer (tiny whole models among them). Any crash,
# sanitizer report, timeout or oversized allocation fails the run; the reproducer is left in
# cuda-engine/build-fuzz/findings/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}

clangxx=$(command -v clang++ || command -v clang++-14 || true)
clangc=$(command -v clang || command -v clang-14 || true)
if [[ -z "$clangxx" ]]; then
  echo "fuzzGguf: clang++ not found (apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 1
fi

echo "== building the GGUF fuzzer with $clangxx"
cmake -S cuda-engine -B cuda-engine/build-fuzz -DCMAKE_C_COMPILER="$clangc" -DCMAKE_CXX_COMPILER="$clangxx" \
  -DWITH_CUDA=OFF -DNT_BUILD_BENCH=OFF -DNT_BUILD_FUZZ=ON >/dev/null
cmake --build cuda-engine/build-fuzz --target fuzz_gguf -j "$(nproc)"

corpus=cuda-engine/build-fuzz/corpus
findings=cuda-engine/build-fuzz/findings
mkdir -p "$corpus" "$findings"
# The test data, where the tests look for it (README, "Test data"), seeds the corpus.
data=${NT_TEST_DATA:-${XDG_CACHE_HOME:-$HOME/.cache}/ntransformer/testdata}
if compgen -G "$data/*.gguf" >/dev/null; then
  cp "$data"/*.gguf "$data"/vocab/*.gguf "$corpus"/
elif [[ "${CI:-}" == "true" ]]; then
  echo "fuzzGguf: no GGUF seeds in $data: run scripts/fetchTestData.sh, or set NT_TEST_DATA" >&2
  exit 1
fi
node dist/scripts/writeFuzzSeeds.js "$corpus"

echo "== fuzzing for ${seconds}s (log: $findings/fuzz.log)"
# -max_len keeps mutations near the header, where every parse decision is made. libFuzzer logs a
# line per new input; keep that in a file and show its end only when something was found.
if ! cuda-engine/build-fuzz/fuzz_gguf "$corpus" -max_total_time="$seconds" -max_len=65536 \
    -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 -artifact_prefix="$findings/" \
    -print_final_stats=1 >"$findings/fuzz.log" 2>&1; then
  tail -n 60 "$findings/fuzz.log"
  echo "fuzzGguf: the fuzzer found a problem; reproduce with cuda-engine/build-fuzz/fuzz_gguf $findings/<artifact>" >&2
  exit 1
fi
grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$findings/fuzz.log"
echo "fuzzGguf: no findings"

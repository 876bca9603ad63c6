#!/usr/bin/env bash
# The README's first command after `npm ci`: the main job on an embedded default. Generates a
# small random-weight llama (Q4_K_M-like mix, 12 blocks — its text is gibberish by design), shows
# its tensor table, starts ntd on a private socket, loads the model with budgets small enough to
# force all three tiers (A: VRAM — on the CPU backend a budgeted host region —, B: pinned RAM,
# C: read from the file with O_DIRECT every pass), prints the placement, generates through it,
# shows the per-stage timings, and stops ntd again. CUDA where a usable GPU exists, else the CPU
# backend; the placement's first line says which, and why. With the test data there (README,
# "Test data") it also runs the trained TinyStories model, whose text reads as a story.
set -euo pipefail
cd "$(dirname "$0")/.."

model=build/example/tiny-random.gguf
node dist/scripts/generateModel.js --out "$model" --mix q4_k_m --layers 12
node dist/ctl/main.js inspect "$model" | head -n 25
echo "..."

export NT_SOCKET
NT_SOCKET=$(mktemp -d)/ntd.sock
node dist/daemon/main.js --socket "$NT_SOCKET" --log-level warn &
ntd_pid=$!
trap 'kill "$ntd_pid" 2>/dev/null; wait "$ntd_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [[ -S "$NT_SOCKET" ]] && break; sleep 0.1; done

echo
echo "== ntctl load $model: 26 MiB of VRAM and 5 MiB of pinned RAM force all three tiers"
node dist/ctl/main.js load "$model" --ctx-size 256 --vram-budget 26MiB --pinned-budget 5MiB
echo
echo "== ntctl run tiny-random (random weights: expect nonsense, the same whatever the placement)"
node dist/ctl/main.js run tiny-random "Once upon a time" -n 24 --temperature 0
echo
node dist/ctl/main.js status | grep -E "^(model|stages)"
stories="${NT_TEST_DATA:-${XDG_CACHE_HOME:-$HOME/.cache}/ntransformer/testdata}/stories260K.gguf"
if [[ -f "$stories" ]]; then
  echo
  echo "== ntctl run $stories (a trained 260K-parameter TinyStories model)"
  node dist/ctl/main.js run "$stories" "Once upon a time" -n 64 --temperature 0
fi
echo
node dist/ctl/main.js status

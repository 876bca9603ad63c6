#!/usr/bin/env bash
# The README's first command after `npm ci`: the main job on an embedded default. Generates a
# small random-weight llama (Q4_K_M-like mix — its text is gibberish by design), shows its
# tensor table, starts ntd on a private socket, generates through it, and stops it again.
# With NT_TEST_DATA set it also runs the trained TinyStories model, whose text reads as a story.
set -euo pipefail
cd "$(dirname "$0")/.."

model=build/example/tiny-random.gguf
node dist/scripts/generateModel.js --out "$model" --mix q4_k_m
node dist/ctl/main.js inspect "$model" | head -n 25
echo "..."

export NT_SOCKET
NT_SOCKET=$(mktemp -d)/ntd.sock
node dist/daemon/main.js --socket "$NT_SOCKET" --log-level warn &
ntd_pid=$!
trap 'kill "$ntd_pid" 2>/dev/null; wait "$ntd_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [[ -S "$NT_SOCKET" ]] && break; sleep 0.1; done

echo
echo "== ntctl run $model (random weights: expect nonsense)"
node dist/ctl/main.js run "$model" "Once upon a time" -n 24 --temperature 0
stories="${NT_TEST_DATA:-../shared/testdata}/stories260K.gguf"
if [[ -f "$stories" ]]; then
  echo
  echo "== ntctl run $stories (a trained 260K-parameter TinyStories model)"
  node dist/ctl/main.js run "$stories" "Once upon a time" -n 64 --temperature 0
fi
echo
node dist/ctl/main.js status

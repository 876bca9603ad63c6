#!/usr/bin/env bash
# quietStep.sh NAME COMMAND [ARG...]: runs one build step and prints one line for it, e.g.
#   engine: CPU only (no GPU found; nvcc 13.0 present); built in 2m05s
# The command's own output (cmake-js, CMake, node-gyp, the compilers) is kept in a temporary log
# and printed in full only when it fails, before a line naming the step and its exit status; the
# step's exit status is the command's, so `npm ci` still fails loudly. A line the build prints as
# "-- ntransformer: NAME: TEXT" (cuda-engine/cmake/nt_cuda_select.cmake) becomes the step's text.
# Everything is shown as it runs with `npm ci --verbose` (npm_config_loglevel) or NT_VERBOSE_BUILD=1.
set -uo pipefail
name=$1
shift

case "${NT_VERBOSE_BUILD:-}:${npm_config_loglevel:-}" in
  1:* | *:verbose | *:silly)
    echo "== $name: $*"
    exec "$@"
    ;;
esac

log=$(mktemp "${TMPDIR:-/tmp}/nt-build.XXXXXX")
trap 'rm -f "$log"' EXIT
start=$SECONDS
"$@" >"$log" 2>&1
status=$?
elapsed=$((SECONDS - start))
took=$(printf '%dm%02ds' $((elapsed / 60)) $((elapsed % 60)))
(( elapsed < 60 )) && took="${elapsed}s"

if (( status != 0 )); then
  cat "$log" >&2
  echo "$name: FAILED (exit status $status after $took); its full output is above" >&2
  exit "$status"
fi
text=$(sed -n "s/^-- ntransformer: $name: //p" "$log" | tail -n 1)
echo "$name: ${text:+$text; }built in $took"

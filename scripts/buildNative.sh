#!/usr/bin/env bash
# The native part of `npm ci` and `npm run build`: the engine addon (cmake-js) and the two small
# node-gyp addons, one line each (scripts/quietStep.sh; `--verbose` or NT_VERBOSE_BUILD=1 shows
# all of their output). Each step is also an npm script of its own, for building it alone.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/localNodeHeaders.sh

bash scripts/quietStep.sh engine npm run --silent build:native
bash scripts/quietStep.sh "seqpacket addon" npm run --silent build:seqpacket-native
bash scripts/quietStep.sh "helper addon" npm run --silent build:helper-native

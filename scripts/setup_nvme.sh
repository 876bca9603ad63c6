#!/usr/bin/env bash
# Places a model on an allowlisted NVMe namespace through the root helper, for people who prefer
# a script to ntctl (every step is one ntctl verb; the helper does the privileged work and checks
# the allowlist in /etc/ntd/helper.json):
#   scripts/setup_nvme.sh MODEL.gguf BDF [NAME]
# lists the helper's devices, places the GGUF in the device's image area (written with O_DIRECT
# and verified by a sha256 read back), then lists the devices again with the image on it.
# NTCTL overrides the ntctl command (default: ntctl on PATH, else this checkout's build).
set -euo pipefail

usage() { echo "usage: $0 MODEL.gguf BDF [NAME]   (BDF: the PCI address, e.g. 0000:01:00.0)" >&2; exit 2; }
[[ $# -ge 2 && $# -le 3 ]] || usage
model=$1 bdf=$2
name=${3:-$(basename "$model" .gguf)}
[[ -r $model ]] || { echo "$0: cannot read $model" >&2; exit 2; }

if [[ -n ${NTCTL:-} ]]; then read -r -a ntctl <<< "$NTCTL"
elif command -v ntctl > /dev/null; then ntctl=(ntctl)
else ntctl=(node "$(dirname "$0")/../dist/ctl/main.js"); fi

run() { echo "+ ntctl $*"; "${ntctl[@]}" "$@"; }
run devices
run place "$model" --device "$bdf" --name "$name"
run devices

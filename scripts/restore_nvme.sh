#!/usr/bin/env bash
# Gives NVMe devices back to the kernel's nvme driver through the root helper (idempotent: a device
# already on nvme is left as it is), for people who prefer a script to ntctl:
#   scripts/restore_nvme.sh [BDF]
# without BDF every allowlisted device is restored. NTCTL overrides the ntctl command.
set -euo pipefail

[[ $# -le 1 ]] || { echo "usage: $0 [BDF]" >&2; exit 2; }
if [[ -n ${NTCTL:-} ]]; then read -r -a ntctl <<< "$NTCTL"
elif command -v ntctl > /dev/null; then ntctl=(ntctl)
else ntctl=(node "$(dirname "$0")/../dist/ctl/main.js"); fi

run() { echo "+ ntctl $*"; "${ntctl[@]}" "$@"; }
run restore "$@"
run devices

#!/usr/bin/env bash
# Checks systemd/ with systemd's own tools, without a running systemd (CI runs in a container
# that has systemd 252 installed but is not booted with it; all of these work offline there):
#   - systemd-analyze verify: every unit parses, every key is known, ExecStart exists. It exits 0
#     on a mere warning ("Unknown key 'X', ignoring"), so any output at all counts as a failure.
#     --man=no: it would otherwise look up man: Documentation= pages, which CI does not install.
#     ExecStart is `/usr/bin/env node …`, so the executable it checks exists on any machine.
#   - systemd-analyze security --offline=true: the exposure score must stay at or below
#     MAX_EXPOSURE (README, "Running as a service", records the current score).
#   - systemd-sysusers and systemd-tmpfiles, into a temporary --root: the user, the group and
#     the folders are created with the intended owners and modes.
set -euo pipefail
cd "$(dirname "$0")/.."

# An integer, as --threshold takes (0..100: the score × 10). Today: 19 (1.9 "OK").
readonly MAX_EXPOSURE=25
services=(systemd/*.service)
# The helper's socket too: verify would load it anyway (Requires= of nt-nvme-helper.service),
# but only reports on the files it is given.
units=("${services[@]}" systemd/*.socket)

echo "checkUnits: systemd-analyze verify ${units[*]}"
output="$(systemd-analyze verify --man=no "${units[@]}" 2>&1)" || { echo "$output" >&2; exit 1; }
if [[ -n "$output" ]]; then echo "$output" >&2; echo "checkUnits: verify printed warnings" >&2; exit 1; fi

# Only services have an exposure score.
for unit in "${services[@]}"; do
  echo "checkUnits: systemd-analyze security --offline=true $unit"
  systemd-analyze security --offline=true --threshold="$MAX_EXPOSURE" "$unit" | tail -n 1
done

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc"
echo "checkUnits: systemd-sysusers and systemd-tmpfiles into $root"
systemd-sysusers --root="$root" "$PWD/systemd/sysusers.d/ntd.conf"
grep -q '^nt:x:[0-9]*:[0-9]*:.*:/var/lib/ntd:/usr/sbin/nologin$' "$root/etc/passwd"
grep -q '^nt:x:[0-9]*:' "$root/etc/group"
systemd-tmpfiles --root="$root" --create "$PWD/systemd/tmpfiles.d/ntd.conf"
uid="$(awk -F: '$1 == "nt" { print $3 }' "$root/etc/passwd")"
for dir in run/ntd var/lib/ntd; do
  mode_owner="$(stat -c '%a %u' "$root/$dir")"
  [[ "$mode_owner" == "750 $uid" ]] || { echo "checkUnits: /$dir is '$mode_owner', expected '750 $uid'" >&2; exit 1; }
done
echo "checkUnits: ok"

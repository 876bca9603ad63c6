#!/usr/bin/env bash
# Checks systemd/ with systemd's own tools, without a running systemd (CI runs in a container
# that has systemd 252 installed but is not booted with it; all of these work offline there):
#   - systemd-analyze verify: every unit parses, every key is known, ExecStart exists. It exits 0
#     on a mere warning ("Unknown key 'X', ignoring"), so any output at all counts as a failure.
#     --man=no: it would otherwise look up man: Documentation= pages, which CI does not install.
#     ExecStart is `/usr/bin/env node …`, so the executable it checks exists on any machine.
#   - systemd-analyze security --offline=true: the exposure score must stay at or below
#     MAX_EXPOSURE, the root helper's at or below HELPER_MAX_EXPOSURE (README, "Running as a
#     service", records the current scores).
#   - systemd-sysusers and systemd-tmpfiles, into a temporary --root: the user, the group and
#     the folders are created with the intended owners and modes; the helper's socket folder is
#     root's, never nt's (nvme-helper/THREAT_MODEL.md).
# The helper's generated drop-in (allowlist.conf) is verified with the unit by
# test/nvmeHelperSandboxDropIn.test.ts, which needs the build.
set -euo pipefail
cd "$(dirname "$0")/.."

# Integers, as --threshold takes (0..100: the score × 10). Today: ntd 19 (1.9 "OK"), the helper
# 9 (0.9 "SAFE"): the root helper's sandbox is what its threat model leans on, so it may not slide.
readonly MAX_EXPOSURE=25
readonly HELPER_MAX_EXPOSURE=10
services=(systemd/*.service)
# The helper's socket too: verify would load it anyway (Requires= of nt-nvme-helper.service),
# but only reports on the files it is given.
units=("${services[@]}" systemd/*.socket)

echo "checkUnits: systemd-analyze verify ${units[*]}"
output="$(systemd-analyze verify --man=no "${units[@]}" 2>&1)" || { echo "$output" >&2; exit 1; }
if [[ -n "$output" ]]; then echo "$output" >&2; echo "checkUnits: verify printed warnings" >&2; exit 1; fi

# Only services have an exposure score.
for unit in "${services[@]}"; do
  threshold=$MAX_EXPOSURE
  [[ "$unit" == systemd/nt-nvme-helper.service ]] && threshold=$HELPER_MAX_EXPOSURE
  echo "checkUnits: systemd-analyze security --offline=true --threshold=$threshold $unit"
  systemd-analyze security --offline=true --threshold="$threshold" "$unit" | tail -n 1
done

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc"
echo "checkUnits: systemd-sysusers and systemd-tmpfiles into $root"
systemd-sysusers --root="$root" "$PWD/systemd/sysusers.d/ntd.conf"
grep -q '^nt:x:[0-9]*:[0-9]*:.*:/var/lib/ntd:/usr/sbin/nologin$' "$root/etc/passwd"
grep -q '^nt:x:[0-9]*:' "$root/etc/group"
systemd-tmpfiles --root="$root" --create "$PWD"/systemd/tmpfiles.d/*.conf
uid="$(awk -F: '$1 == "nt" { print $3 }' "$root/etc/passwd")"
gid="$(awk -F: '$1 == "nt" { print $3 }' "$root/etc/group")"
# Fails unless $root/$1 has mode, owner and group "$2".
expect_dir() {
  local found
  found="$(stat -c '%a %u %g' "$root/$1")"
  [[ "$found" == "$2" ]] || { echo "checkUnits: /$1 is '$found' (mode uid gid), expected '$2'" >&2; exit 1; }
}
expect_dir run/ntd "750 $uid $gid"
expect_dir var/lib/ntd "750 $uid $gid"
expect_dir run/nt-nvme-helper "750 0 $gid"
echo "checkUnits: ok"

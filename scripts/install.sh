#!/usr/bin/env bash
# Installs ntransformer as a system service, from this checkout (built: `npm ci` builds the native
# addons and dist/). The built package is copied to /opt/ntransformer rather than run from the
# checkout: ntd.service runs as user nt with ProtectHome=yes, which hides a checkout under /home,
# and a copy cannot change under a running daemon when the checkout is rebuilt.
#
#   sudo scripts/install.sh              install (or upgrade), create user/group nt, enable + start ntd,
#                                        and the root helper nt-nvme-helper (socket-activated), with
#                                        its sandbox's drop-in written from the allowlist
#   sudo scripts/install.sh --without-helper   the same without the root helper (removing one
#                                        installed before): models are then read from files only
#   sudo scripts/install.sh --uninstall  stop, disable and remove ntd and the helper (its drop-in too);
#                                        keeps user nt, /etc/ntd (helper.json: the device allowlist),
#                                        /var/lib/ntd
#   scripts/install.sh --dry-run [...]   print every step and change nothing (needs no root)
#
# Every step is printed before it runs. Commands run as argument vectors ("$@"), never as strings
# built for a shell, so no path can inject a command.
set -euo pipefail

readonly PREFIX=/opt/ntransformer
readonly UNIT_DIR=/etc/systemd/system
readonly BIN_DIR=/usr/local/bin
# Root's tools: nt-nvme-helper-sandbox (below).
readonly SBIN_DIR=/usr/local/sbin
# The native addons, relative to the checkout and to $PREFIX alike: the code looks for each there
# relative to dist/. Every *.node in each is copied, so a renamed addon needs no change here.
# helper.sock's transport (SOCK_SEQPACKET, fd passing): ntd and ntctl use it as clients, so it
# goes with every install.
readonly SEQPACKET_ADDON_DIR=protocol/helper/seqpacket/native/build/Release
# The helper's own (SO_PEERCRED, without which it refuses to start; O_DIRECT image writes).
readonly HELPER_ADDON_DIR=nvme-helper/native/build/Release
# systemd's fixed PATH for services (systemd.exec(5), "Environment variables in spawned
# processes"); ExecStart's `/usr/bin/env node` looks for node there.
readonly SYSTEMD_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin
# The root helper's configuration, as its unit passes it (--config); the helper refuses to start
# without it, and refuses one that anyone but root could have written (THREAT_MODEL.md).
readonly HELPER_CONFIG=/etc/ntd/helper.json
# Its undo journal (--journal in the unit; StateDirectory=nt-nvme-helper there creates the folder).
readonly HELPER_JOURNAL=/var/lib/nt-nvme-helper/journal
# The allowlist's part of the helper's sandbox (each device's driver_override and block device),
# written by nt-nvme-helper-sandbox from $HELPER_CONFIG (systemd/README.md).
readonly HELPER_DROP_IN_DIR=$UNIT_DIR/nt-nvme-helper.service.d
readonly HELPER_DROP_IN=$HELPER_DROP_IN_DIR/allowlist.conf
readonly HELPER_SANDBOX_TOOL=dist/nvme-helper/sandbox/main.js
# The helper's socket folder, root's (tmpfiles.d/nt-nvme-helper.conf).
readonly HELPER_RUN_DIR=/run/nt-nvme-helper

checkout="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dry_run=false
action=install
with_helper=true
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=true ;;
    --uninstall) action=uninstall ;;
    --without-helper) with_helper=false ;;
    -h|--help) sed -n '2,/^set /{/^#/p}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

step() { printf '==> %s\n' "$*"; }

# Prints a command, quoted so it can be pasted, then runs it unless --dry-run.
run() {
  printf '  $'
  printf ' %q' "$@"
  printf '\n'
  if [[ "$dry_run" == false ]]; then "$@"; fi
}

# Like run, with $1 as the command's standard input; prints that input too, each line after "  | ".
run_with_input() {
  local input="$1"
  shift
  printf '  $'
  printf ' %q' "$@"
  printf ' <<EOF\n'
  printf '%s\n' "$input" | sed 's/^/  | /'
  printf '  | EOF\n'
  if [[ "$dry_run" == false ]]; then "$@" <<<"$input"; fi
}

fail() { echo "install.sh: $*" >&2; exit 1; }

preflight() {
  if [[ "$dry_run" == false && "$(id -u)" -ne 0 ]]; then fail "run as root (or with --dry-run)"; fi
  command -v systemctl >/dev/null || [[ "$dry_run" == true ]] || fail "systemctl not found: this needs a systemd host"
}

install_service() {
  step "check the build in $checkout"
  local required=(package.json dist/daemon/main.js dist/ctl/main.js node_modules cuda-engine/build/Release/nt_engine.node)
  if [[ "$with_helper" == true ]]; then required+=(dist/nvme-helper/main.js "$HELPER_SANDBOX_TOOL"); fi
  for file in "${required[@]}"; do
    [[ -e "$checkout/$file" ]] || fail "$checkout/$file is missing: build first (npm ci)"
  done
  local seqpacket_addons=("$checkout/$SEQPACKET_ADDON_DIR"/*.node)
  [[ -e "${seqpacket_addons[0]}" ]] || fail "$checkout/$SEQPACKET_ADDON_DIR has no *.node: build first (npm ci)"
  local helper_addons=()
  if [[ "$with_helper" == true ]]; then
    helper_addons=("$checkout/$HELPER_ADDON_DIR"/*.node)
    [[ -e "${helper_addons[0]}" ]] || fail "$checkout/$HELPER_ADDON_DIR has no *.node: build first (npm ci), or use --without-helper"
  fi
  local node
  node="$(PATH="$SYSTEMD_PATH" command -v node || true)"
  [[ -n "$node" ]] || fail "node is not on systemd's PATH ($SYSTEMD_PATH): link it into /usr/local/bin"
  echo "  node for the service: $node ($("$node" --version))"

  step "copy the built package to $PREFIX"
  local staging="$PREFIX.new"
  run rm -rf "$staging"
  run install -d -m 0755 "$staging" "$staging/cuda-engine/build/Release" "$staging/$SEQPACKET_ADDON_DIR"
  run cp -a "$checkout/package.json" "$checkout/package-lock.json" "$checkout/README.md" "$checkout/dist" "$checkout/node_modules" "$staging/"
  run cp -a "$checkout/cuda-engine/build/Release/nt_engine.node" "$staging/cuda-engine/build/Release/"
  run cp -a "${seqpacket_addons[@]}" "$staging/$SEQPACKET_ADDON_DIR/"
  if [[ "$with_helper" == true ]]; then
    run install -d -m 0755 "$staging/$HELPER_ADDON_DIR"
    run cp -a "${helper_addons[@]}" "$staging/$HELPER_ADDON_DIR/"
  fi
  # The dev tools (TypeScript, ESLint) are not needed at run time.
  run npm prune --omit=dev --no-audit --no-fund --prefix "$staging"
  run chmod 0755 "$staging/dist/daemon/main.js" "$staging/dist/ctl/main.js"
  if [[ "$with_helper" == true ]]; then run chmod 0755 "$staging/$HELPER_SANDBOX_TOOL"; fi
  run rm -rf "$PREFIX.old"
  if [[ -e "$PREFIX" ]]; then run mv "$PREFIX" "$PREFIX.old"; fi
  run mv "$staging" "$PREFIX"
  run rm -rf "$PREFIX.old"

  step "link ntd and ntctl into $BIN_DIR"
  run ln -sfn "$PREFIX/dist/daemon/main.js" "$BIN_DIR/ntd"
  run ln -sfn "$PREFIX/dist/ctl/main.js" "$BIN_DIR/ntctl"

  step "install the unit, sysusers.d and tmpfiles.d files"
  run install -D -m 0644 "$checkout/systemd/ntd.service" "$UNIT_DIR/ntd.service"
  run install -D -m 0644 "$checkout/systemd/sysusers.d/ntd.conf" /etc/sysusers.d/ntd.conf
  run install -D -m 0644 "$checkout/systemd/tmpfiles.d/ntd.conf" /etc/tmpfiles.d/ntd.conf

  step "create user and group nt"
  run systemd-sysusers /etc/sysusers.d/ntd.conf

  step "create /run/ntd and /var/lib/ntd"
  run systemd-tmpfiles --create /etc/tmpfiles.d/ntd.conf
  # The configuration file is optional (defaults apply); the folder shows where it goes.
  run install -d -m 0755 /etc/ntd

  if [[ "$with_helper" == true ]]; then
    install_helper_files "$node"
  elif [[ -e "$UNIT_DIR/nt-nvme-helper.socket" ]]; then
    # It would run from the $PREFIX just replaced, which has no helper addon now.
    remove_helper
  fi

  step "make systemd read the units"
  run systemctl daemon-reload
  # The helper's socket first: ntd may use it as soon as it starts (a load from a placed image).
  if [[ "$with_helper" == true ]]; then start_helper_socket; fi

  step "enable and start ntd"
  run systemctl enable ntd.service
  run systemctl restart ntd.service

  step "done: add users to group nt (usermod -aG nt NAME) so they may use ntctl; logs: journalctl -u ntd"
  if [[ "$with_helper" == true ]]; then
    step "the helper touches no device until you allowlist one in $HELPER_CONFIG (nvme-helper/THREAT_MODEL.md) and run nt-nvme-helper-sandbox and systemctl daemon-reload; logs: journalctl -u nt-nvme-helper"
  fi
}

# $1: the node that runs the services (install_service found it on systemd's PATH).
install_helper_files() {
  step "install the root helper's units (nt-nvme-helper.socket, nt-nvme-helper.service) and its tmpfiles.d file"
  run install -D -m 0644 "$checkout/systemd/nt-nvme-helper.socket" "$UNIT_DIR/nt-nvme-helper.socket"
  run install -D -m 0644 "$checkout/systemd/nt-nvme-helper.service" "$UNIT_DIR/nt-nvme-helper.service"
  run install -D -m 0644 "$checkout/systemd/tmpfiles.d/nt-nvme-helper.conf" /etc/tmpfiles.d/nt-nvme-helper.conf

  step "create $HELPER_RUN_DIR (root:nt, 0750), the socket's folder"
  run systemd-tmpfiles --create /etc/tmpfiles.d/nt-nvme-helper.conf

  write_helper_config
  write_helper_sandbox "$1"
}

# Never overwrites $HELPER_CONFIG: it holds the administrator's device allowlist.
write_helper_config() {
  if [[ -e "$HELPER_CONFIG" || -L "$HELPER_CONFIG" ]]; then
    step "keep the existing $HELPER_CONFIG"
    return
  fi
  step "create $HELPER_CONFIG: root-owned, 0600, ntd's user nt allowed, no device allowlisted"
  # ntd runs as uid nt, so that uid may send requests; allowedGids stays empty because group nt
  # also holds the users who run ntctl. With no device, nt can only ask for status.
  local nt_uid
  nt_uid="$(id -u nt 2>/dev/null || true)"
  if [[ -z "$nt_uid" ]]; then
    [[ "$dry_run" == true ]] || fail "user nt does not exist after systemd-sysusers"
    nt_uid="<uid of nt>"
  fi
  # nvme-helper/config/helperConfigSchema.ts: strict, so these three keys and nothing else.
  local config
  config="$(printf '{\n  "allowedUids": [%s],\n  "allowedGids": [],\n  "devices": []\n}' "$nt_uid")"
  run_with_input "$config" install -m 0600 -o root -g root /dev/stdin "$HELPER_CONFIG"
}

# The drop-in is made from the allowlist as it is now (an upgrade keeps the administrator's), by the
# tool just installed, which reads and checks $HELPER_CONFIG exactly as the helper does.
write_helper_sandbox() {
  local node="$1"
  step "write $HELPER_DROP_IN from $HELPER_CONFIG; link nt-nvme-helper-sandbox into $SBIN_DIR (run it again after changing the allowlist)"
  run "$node" "$PREFIX/$HELPER_SANDBOX_TOOL" --config "$HELPER_CONFIG" --output "$HELPER_DROP_IN"
  run ln -sfn "$PREFIX/$HELPER_SANDBOX_TOOL" "$SBIN_DIR/nt-nvme-helper-sandbox"
}

start_helper_socket() {
  step "enable and start nt-nvme-helper.socket (the service starts on the first connection)"
  # Only the socket is enabled (the service's [Install] is just Also= the socket): systemd starts
  # the service on a connection. Stopping a running one (an upgrade) makes the next connection
  # start the code just installed.
  run systemctl stop nt-nvme-helper.service
  run systemctl enable nt-nvme-helper.socket
  run systemctl restart nt-nvme-helper.socket
}

# Leaves $HELPER_CONFIG and $HELPER_JOURNAL: the allowlist is the administrator's, and the journal
# is what tells a later helper which device it may have left half-moved.
remove_helper() {
  step "stop, disable and remove nt-nvme-helper (a device it bound to vfio-pci stays there: 'ntctl restore' first)"
  if [[ "$dry_run" == true ]] || systemctl cat nt-nvme-helper.socket >/dev/null 2>&1; then
    run systemctl disable --now nt-nvme-helper.socket nt-nvme-helper.service
  fi
  run rm -f "$UNIT_DIR/nt-nvme-helper.socket" "$UNIT_DIR/nt-nvme-helper.service" "$HELPER_DROP_IN" \
    /etc/tmpfiles.d/nt-nvme-helper.conf "$SBIN_DIR/nt-nvme-helper-sandbox"
  # The drop-in folder only if nothing else is in it: other drop-ins there are the administrator's.
  if [[ "$dry_run" == true || -d "$HELPER_DROP_IN_DIR" ]]; then run rmdir --ignore-fail-on-non-empty "$HELPER_DROP_IN_DIR"; fi
  run rm -rf "$HELPER_RUN_DIR"
}

uninstall_service() {
  step "stop and disable ntd"
  if [[ "$dry_run" == true ]] || systemctl cat ntd.service >/dev/null 2>&1; then
    run systemctl disable --now ntd.service
  fi

  # Whatever --without-helper says: the helper runs from $PREFIX, which goes.
  remove_helper

  step "remove the unit, sysusers.d and tmpfiles.d files, the links and $PREFIX"
  run rm -f "$UNIT_DIR/ntd.service" /etc/sysusers.d/ntd.conf /etc/tmpfiles.d/ntd.conf
  run rm -f "$BIN_DIR/ntd" "$BIN_DIR/ntctl"
  run rm -rf "$PREFIX"
  run systemctl daemon-reload

  step "done: kept user and group nt, /etc/ntd (with $HELPER_CONFIG, the device allowlist) /var/lib/ntd and $HELPER_JOURNAL; remove them by hand if unwanted"
}

preflight
if [[ "$action" == install ]]; then install_service; else uninstall_service; fi

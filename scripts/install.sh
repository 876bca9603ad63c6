#!/usr/bin/env bash
# Installs ntransformer as a system service, from this checkout (built: `npm ci` builds the engine
# addon and dist/). The built package is copied to /opt/ntransformer rather than run from the
# checkout: ntd.service runs as user nt with ProtectHome=yes, which hides a checkout under /home,
# and a copy cannot change under a running daemon when the checkout is rebuilt.
#
#   sudo scripts/install.sh              install (or upgrade), create user/group nt, enable + start ntd
#   sudo scripts/install.sh --uninstall  stop, disable and remove; keeps user nt, /etc/ntd, /var/lib/ntd
#   scripts/install.sh --dry-run [...]   print every step and change nothing (needs no root)
#
# Every step is printed before it runs. Commands run as argument vectors ("$@"), never as strings
# built for a shell, so no path can inject a command.
set -euo pipefail

readonly PREFIX=/opt/ntransformer
readonly UNIT_DIR=/etc/systemd/system
readonly BIN_DIR=/usr/local/bin
# systemd's fixed PATH for services (systemd.exec(5), "Environment variables in spawned
# processes"); ExecStart's `/usr/bin/env node` looks for node there.
readonly SYSTEMD_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin

checkout="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dry_run=false
action=install
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=true ;;
    --uninstall) action=uninstall ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

fail() { echo "install.sh: $*" >&2; exit 1; }

preflight() {
  if [[ "$dry_run" == false && "$(id -u)" -ne 0 ]]; then fail "run as root (or with --dry-run)"; fi
  command -v systemctl >/dev/null || [[ "$dry_run" == true ]] || fail "systemctl not found: this needs a systemd host"
}

install_service() {
  step "check the build in $checkout"
  local required=(package.json dist/daemon/main.js dist/ctl/main.js node_modules cuda-engine/build/Release/nt_engine.node)
  for file in "${required[@]}"; do
    [[ -e "$checkout/$file" ]] || fail "$checkout/$file is missing: build first (npm ci)"
  done
  local node
  node="$(PATH="$SYSTEMD_PATH" command -v node || true)"
  [[ -n "$node" ]] || fail "node is not on systemd's PATH ($SYSTEMD_PATH): link it into /usr/local/bin"
  echo "  node for the service: $node ($("$node" --version))"

  step "copy the built package to $PREFIX"
  local staging="$PREFIX.new"
  run rm -rf "$staging"
  run install -d -m 0755 "$staging" "$staging/cuda-engine/build/Release"
  run cp -a "$checkout/package.json" "$checkout/package-lock.json" "$checkout/README.md" "$checkout/dist" "$checkout/node_modules" "$staging/"
  run cp -a "$checkout/cuda-engine/build/Release/nt_engine.node" "$staging/cuda-engine/build/Release/"
  # The dev tools (TypeScript, ESLint) are not needed at run time.
  run npm prune --omit=dev --no-audit --no-fund --prefix "$staging"
  run chmod 0755 "$staging/dist/daemon/main.js" "$staging/dist/ctl/main.js"
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

  step "enable and start ntd"
  run systemctl daemon-reload
  run systemctl enable ntd.service
  run systemctl restart ntd.service

  step "done: add users to group nt (usermod -aG nt NAME) so they may use ntctl; logs: journalctl -u ntd"
}

uninstall_service() {
  step "stop and disable ntd"
  if [[ "$dry_run" == true ]] || systemctl cat ntd.service >/dev/null 2>&1; then
    run systemctl disable --now ntd.service
  fi

  step "remove the unit, sysusers.d and tmpfiles.d files, the links and $PREFIX"
  run rm -f "$UNIT_DIR/ntd.service" /etc/sysusers.d/ntd.conf /etc/tmpfiles.d/ntd.conf
  run rm -f "$BIN_DIR/ntd" "$BIN_DIR/ntctl"
  run rm -rf "$PREFIX"
  run systemctl daemon-reload

  step "done: kept user and group nt, /etc/ntd and /var/lib/ntd (remove them by hand if unwanted)"
}

preflight
if [[ "$action" == install ]]; then install_service; else uninstall_service; fi

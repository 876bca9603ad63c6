#!/usr/bin/env bash
# Builds the QEMU guest's initramfs: static busybox, guestInit.sh as /init, the kernel modules of
# guestModules.txt in their load order, the command the guest runs (chrooted into the host's
# root; see guestInit.sh) and files for it. With --systemd, guestSystemd/ and CHECKOUT_TAR go along
# to /nt/systemd and the guest boots systemd instead, which runs the command as a service, with the
# tar's contents at /nt-qemu/checkout (guestSystemd/root.sh).
#   buildInitramfs.sh KERNEL_DIR OUTPUT.cpio [--systemd CHECKOUT_TAR] [--file FILE]... PROGRAM [ARG...]
# KERNEL_DIR is fetchKernel.sh's output; PROGRAM and its arguments are paths and words as the guest
# sees them (the host's root, and /nt-qemu with --systemd), one argument per line in /nt/argv. Each FILE goes
# to /nt/files, which the program sees as /dev/shm/nt-files/<name> (/nt-qemu/files/<name> with
# --systemd; a file the host writes after boot is not guaranteed to reach the guest through 9p's
# cache; these are in the initramfs).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage="usage: buildInitramfs.sh KERNEL_DIR OUTPUT.cpio [--systemd CHECKOUT_TAR] [--file FILE]... PROGRAM [ARG...]"
(($# >= 3)) || { echo "$usage" >&2; exit 2; }
kernel=$1
output=$2
shift 2
checkout_tar=""
if [[ "${1:-}" == "--systemd" ]]; then
  (($# >= 2)) || { echo "$usage" >&2; exit 2; }
  checkout_tar=$2
  shift 2
fi
files=()
while [[ "${1:-}" == "--file" ]]; do
  (($# >= 2)) || { echo "$usage" >&2; exit 2; }
  files+=("$2")
  shift 2
done
(($# >= 1)) || { echo "$usage" >&2; exit 2; }

busybox=/bin/busybox
[[ -x "$busybox" ]] || { echo "buildInitramfs.sh: $busybox is missing (apt-get install busybox-static)" >&2; exit 1; }
# A dynamically linked busybox (Debian's plain "busybox" package) has no libc in the initramfs.
if ldd "$busybox" >/dev/null 2>&1; then
  echo "buildInitramfs.sh: $busybox is dynamically linked; install busybox-static" >&2
  exit 1
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/nt-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
# The root must be 0755 (mktemp makes 0700): the guest's /, seen by every process in it.
chmod 0755 "$root"
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/lib/nt-modules" "$root/nt/files"
cp "$busybox" "$root/bin/busybox"
install -m 0755 "$here/guestInit.sh" "$root/init"
if [[ -n "$checkout_tar" ]]; then
  cp -r "$here/guestSystemd" "$root/nt/systemd"
  cp "$checkout_tar" "$root/nt/systemd/checkout.tar"
fi

# Each module after the modules its own modinfo says it depends on; a new dependency in a later
# Debian kernel fails here, by name, rather than as an insmod error in the guest.
loaded=" "
while IFS= read -r module; do
  name=$(basename "$module")
  file="$kernel/modules/$name.ko"
  [[ -f "$file" ]] || { echo "buildInitramfs.sh: $file is missing (fetchKernel.sh)" >&2; exit 1; }
  depends=$(tr '\0' '\n' <"$file" | sed -n 's/^depends=//p' | head -n 1)
  for dependency in ${depends//,/ }; do
    if [[ "$loaded" != *" ${dependency//_/-} "* ]]; then
      echo "buildInitramfs.sh: $name depends on $dependency, which guestModules.txt does not list before it" >&2
      exit 1
    fi
  done
  loaded+="${name//_/-} "
  cp "$file" "$root/lib/nt-modules/"
  printf '%s\n' "$name.ko" >>"$root/nt/modules"
done < <(grep -v -e '^#' -e '^$' "$here/guestModules.txt")

for file in "${files[@]}"; do cp "$file" "$root/nt/files/"; done
for arg in "$@"; do
  [[ "$arg" != *$'\n'* ]] || { echo "buildInitramfs.sh: an argument holds a newline" >&2; exit 1; }
  printf '%s\n' "$arg" >>"$root/nt/argv"
done

(cd "$root" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) >"$output"

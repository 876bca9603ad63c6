#!/usr/bin/env bash
# Fetches the QEMU guest's kernel (runHelperProof.sh): Debian's linux-image-6.12-amd64 resolved to
# the versioned package it names today, downloaded with apt-get (never installed), and from it only
# vmlinuz and the modules guestModules.txt lists, decompressed (busybox insmod gets plain .ko files).
# Kept per version under the cache folder and reused: Debian replaces versioned kernel packages at
# point releases, so a cached one can vanish from the archive; when the package lists cannot
# name a version, the newest cached kernel is used. A cached kernel that lacks a module
# guestModules.txt lists now (one added after it was cached) counts as not cached.
#   NT_QEMU_CACHE  cache folder (default ~/.cache/ntransformer/qemu)
# Prints the kernel's folder (vmlinuz, modules/<name>.ko). Exits 77 when no kernel can be had.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${NT_QEMU_CACHE:-${HOME:-/root}/.cache/ntransformer/qemu}
meta=linux-image-6.12-amd64

unavailable() {
  echo "fetchKernel.sh: $*" >&2
  exit 77
}

mkdir -p "$cache"
mapfile -t modules < <(grep -v -e '^#' -e '^$' "$here/guestModules.txt")

# Whether the folder $1 holds a complete kernel with every module of guestModules.txt.
cached() {
  [[ -f "$1/complete" ]] || return 1
  local module
  for module in "${modules[@]}"; do [[ -f "$1/modules/$(basename "$module").ko" ]] || return 1; done
}

package=""
if command -v apt-cache >/dev/null; then
  package=$(apt-cache depends "$meta" 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-6\.12\.[A-Za-z0-9.+~-]*-amd64\)$/\1/p' | head -n 1) || true
fi
if [[ -z "$package" ]]; then
  newest=""
  while IFS= read -r folder; do
    if cached "$folder"; then newest=$folder; fi
  done < <(find "$cache" -mindepth 2 -maxdepth 2 -name complete -path "$cache/linux-image-6.12.*" -printf '%h\n' | sort -V)
  [[ -n "$newest" ]] || unavailable "apt-cache cannot resolve $meta (run apt-get update on a Debian 12 machine) and $cache holds no kernel with every module of guestModules.txt"
  echo "fetchKernel.sh: $meta not resolvable; using the cached $(basename "$newest")" >&2
  echo "$newest"
  exit 0
fi

kernel="$cache/$package"
if cached "$kernel"; then
  echo "$kernel"
  exit 0
fi

command -v dpkg-deb >/dev/null || unavailable "dpkg-deb is not installed"
command -v xz >/dev/null || unavailable "xz is not installed (apt-get install xz-utils)"
work=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
# apt drops root to _apt for downloads and warns when _apt cannot write the folder.
if [[ $(id -u) == 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$work"; fi
(cd "$work" && apt-get download -q "$package") >&2 || unavailable "apt-get download $package failed"
debs=("$work"/*.deb)
[[ -f "${debs[0]}" ]] || unavailable "apt-get download $package left no .deb"

patterns=("./boot/vmlinuz-*")
for module in "${modules[@]}"; do patterns+=("./lib/modules/*/kernel/$module.ko.xz"); done
mkdir "$work/root" "$work/kernel" "$work/kernel/modules"
dpkg-deb --fsys-tarfile "${debs[0]}" | tar -x -C "$work/root" --wildcards "${patterns[@]}"

vmlinuz=("$work"/root/boot/vmlinuz-*)
cp "${vmlinuz[0]}" "$work/kernel/vmlinuz"
for module in "${modules[@]}"; do
  found=("$work"/root/lib/modules/*/kernel/"$module".ko.xz)
  xz -dc "${found[0]}" >"$work/kernel/modules/$(basename "$module").ko"
done
touch "$work/kernel/complete"
# A cached kernel short of a module goes first (renamed, then removed: the rename is atomic).
if [[ -e "$kernel" ]] && ! cached "$kernel"; then
  mv -T "$kernel" "$work/stale" 2>/dev/null || true
fi
# A rename, so a half-extracted kernel is never taken for a cached one; a concurrent run may win.
mv -T "$work/kernel" "$kernel" 2>/dev/null || cached "$kernel"
echo "$kernel"

#!/usr/bin/env bash
# Proves ntd and nt-nvme-helper as installed under a real systemd: boots Debian's 6.12 kernel in QEMU
# (software emulation, emulated Intel IOMMU, two emulated NVMe controllers) with the host's root
# shared read-only (9p) and made writable in the guest alone (overlay on a tmpfs), systemd as PID 1,
# and runs dist/test/qemu/guestSystemdProof.js in it as root: scripts/install.sh from this checkout,
# then ntd's Type=notify start, the helper's socket activation, its sandbox as the kernel enforces
# it, bind and restore through it, a clean stop, and systemd-analyze security's scores. Nothing on
# the host is modified. Facts relied on: ../shared/qemu-vfio-testing.md.
#   NT_QEMU_TIMEOUT  wall-clock limit for the guest, in seconds (default 1500; a full run took
#                    376 s on two cores, 825 s with them busy with other work: mostly node under TCG)
#   NT_QEMU_CACHE    where fetchKernel.sh keeps the kernel
#   NT_QEMU_KEEP=1   keep the work folder (console log, QEMU's stderr, disk images) after a pass
# Needs the build scripts/install.sh installs (`npm ci`: dist/, the engine and the helper's native
# modules), git (what the checkout holds), and systemd and udev installed on the host (the guest
# boots the host's own).
# Exit status: 0 pass, 1 fail, 77 when QEMU, the kernel or systemd cannot be had here (the caller
# decides whether that is a skip).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/qemu/qemuGuest.sh
source "$here/qemuGuest.sh"
limit=${NT_QEMU_TIMEOUT:-1500}

require_guest_tools
[[ -x /lib/systemd/systemd ]] || unavailable "systemd is not installed (apt-get install systemd)"
# Without udev the guest would lack what a booted system has in /dev (disk links, node modes).
[[ -x /lib/systemd/systemd-udevd ]] || unavailable "udev is not installed (apt-get install udev)"
require_build dist/test/qemu/guestSystemdProof.js
require_addon "$repo/cuda-engine/build/Release/nt_engine.node" build:native

command -v git >/dev/null || { echo "$me: git is not installed" >&2; exit 1; }

# The checkout as install.sh reads it, as one tar the guest unpacks from its initramfs rather than
# reading thousands of files over 9p: what git tracks (and new files it does not ignore), dist/,
# the native addons, and node_modules (followed where it is a link, as in a worktree sharing
# another's).
tar_checkout() {
  git -C "$repo" ls-files -z --cached --others --exclude-standard | grep -zvx node_modules >"$work/checkout.list"
  tar -C "$repo" -cf "$work/checkout.tar" --ignore-failed-read --null --files-from="$work/checkout.list" \
    dist cuda-engine/build/Release/nt_engine.node protocol/helper/seqpacket/native/build/Release nvme-helper/native/build/Release
  # S: the links inside (node_modules/.bin) keep their targets.
  tar -C "$(readlink -f "$repo/node_modules")" -rf "$work/checkout.tar" --transform 's,^\.,node_modules,S' .
}

kernel=$(bash "$here/fetchKernel.sh") || exit $?
make_work
tar_checkout
checkout=/nt-qemu/checkout
bash "$here/buildInitramfs.sh" "$kernel" "$work/initramfs.cpio" --systemd "$work/checkout.tar" "$node" "$checkout/${program#"$repo/"}" \
  --checkout "$checkout" --bdf "$allowed_bdf" --serial "$allowed_serial" --other-bdf "$other_bdf"

# 2 GiB: the overlay's tmpfs holds the checkout and what install.sh copies of it.
# systemd.show_status=error: the console carries the program's lines and systemd's failures, not
# every unit's start.
boot_guest "$kernel" "$work/initramfs.cpio" 2G "$limit" systemd.unit=nt-qemu.target systemd.show_status=error
finish_guest "$limit"

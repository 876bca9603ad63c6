#!/usr/bin/env bash
# Proves nt-nvme-helper's status, bind and restore, and its repair after a kill -9 at each step,
# against the real kernel's nvme and vfio-pci drivers: boots Debian's 6.12 kernel in QEMU (software
# emulation, emulated Intel IOMMU, two emulated NVMe controllers) and runs
# dist/test/qemu/guestHelperProof.js in it as root, over the host's root shared read-only (9p).
# Everything privileged happens inside the guest. Facts relied on: ../shared/qemu-vfio-testing.md.
#   NT_QEMU_TIMEOUT  wall-clock limit for the guest, in seconds (default 420; a pass takes ≈ 70 s)
#   NT_QEMU_CACHE    where fetchKernel.sh keeps the kernel
#   NT_QEMU_KEEP=1   keep the work folder (console log, QEMU's stderr, disk images) after a pass
# Needs `npm run build:ts` and the helper's two native modules built (`npm run
# build:seqpacket-native`, helper.sock's transport; `npm run build:helper-native`, its own).
# Exit status: 0 pass, 1 fail, 77 when QEMU or the kernel cannot be had here (the caller decides
# whether that is a skip).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/qemu/qemuGuest.sh
source "$here/qemuGuest.sh"
limit=${NT_QEMU_TIMEOUT:-420}
# A MiB of random bytes written into the allowlisted disk's image before boot, at 16 MiB (outside
# the helper's image area: 1 MiB + 4 MiB), which the guest must read back after every restore.
pattern_offset=$((16 << 20))

require_guest_tools
require_build dist/test/qemu/guestHelperProof.js

kernel=$(bash "$here/fetchKernel.sh") || exit $?

make_work
write_pattern "$pattern_offset"

bash "$here/buildInitramfs.sh" "$kernel" "$work/initramfs.cpio" --file "$work/pattern.bin" "$node" "$program" \
  --bdf "$allowed_bdf" --serial "$allowed_serial" --other-bdf "$other_bdf" --other-serial "$other_serial" \
  --pattern /dev/shm/nt-files/pattern.bin --pattern-offset "$pattern_offset"

boot_guest "$kernel" "$work/initramfs.cpio" 1G "$limit"
finish_guest "$limit"

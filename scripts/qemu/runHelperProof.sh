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
repo=$(cd "$here/../.." && pwd)
limit=${NT_QEMU_TIMEOUT:-420}

# The guest's PCI layout, fixed by addr= below: the allowlisted controller and a second one the
# helper must refuse to touch. The serials are what the guest's nvme driver will report.
allowed_bdf=0000:00:04.0
allowed_serial=NTQEMUALLOWED01
other_bdf=0000:00:05.0
other_serial=NTQEMUOTHER0001
# A MiB of random bytes written into the allowlisted disk's image before boot, at 16 MiB (outside
# the helper's image area: 1 MiB + 4 MiB), which the guest must read back after every restore.
pattern_offset=$((16 << 20))

unavailable() {
  echo "runHelperProof.sh: $*" >&2
  exit 77
}
command -v qemu-system-x86_64 >/dev/null || unavailable "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
command -v cpio >/dev/null || unavailable "cpio is not installed (apt-get install cpio)"
# The initramfs needs a static busybox (ldd fails on one); Debian's plain busybox is dynamic.
[[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1 || unavailable "no static /bin/busybox (apt-get install busybox-static)"
node=$(command -v node) || { echo "runHelperProof.sh: node is not on PATH" >&2; exit 1; }
node=$(readlink -f "$node")
program="$repo/dist/test/qemu/guestHelperProof.js"
[[ -f "$program" ]] || { echo "runHelperProof.sh: $program is missing; run npm run build:ts" >&2; exit 1; }
# Fails unless the addon $1 is built; $2 is the npm script that builds it.
require_addon() {
  [[ -f "$1" ]] || { echo "runHelperProof.sh: $1 is missing; run npm run $2" >&2; exit 1; }
}
require_addon "$repo/protocol/helper/seqpacket/native/build/Release/nt_seqpacket.node" build:seqpacket-native
require_addon "$repo/nvme-helper/native/build/Release/nt_helper_native.node" build:helper-native

kernel=$(bash "$here/fetchKernel.sh") || exit $?

work=$(mktemp -d "${TMPDIR:-/tmp}/nt-qemu.XXXXXX")
keep=""
trap '[[ -n "$keep" ]] || rm -rf "$work"' EXIT
truncate -s 64M "$work/allowed.img"
truncate -s 16M "$work/other.img"
head -c $((1 << 20)) /dev/urandom >"$work/pattern.bin"
dd if="$work/pattern.bin" of="$work/allowed.img" bs=1M seek=$((pattern_offset >> 20)) conv=notrunc status=none

bash "$here/buildInitramfs.sh" "$kernel" "$work/initramfs.cpio" --file "$work/pattern.bin" "$node" "$program" \
  --bdf "$allowed_bdf" --serial "$allowed_serial" --other-bdf "$other_bdf" --other-serial "$other_serial" \
  --pattern /dev/shm/nt-files/pattern.bin --pattern-offset "$pattern_offset"

console="$work/console.log"
qemu_stderr="$work/qemu.stderr"
started=$SECONDS
# -accel tcg explicitly: under KVM these machines' guests hang after the BIOS. kernel-irqchip=split
# and intremap=on: the emulated IOMMU's interrupt remapping; caching-mode=on: what lets QEMU's
# IOMMU follow the guest's mappings. No IOMMU, no vfio-pci (probe error -22). -vga none and
# -nic none: nothing the test needs, less to emulate. The console is streamed and kept without the
# serial line's CRs and the firmware's terminal escapes (SeaBIOS resets the terminal and turns
# line wrap off), so each guest line is clean.
set +e
timeout --kill-after=10 "$limit" qemu-system-x86_64 \
  -accel tcg -machine q35,kernel-irqchip=split -device intel-iommu,intremap=on,caching-mode=on \
  -m 1G -smp 2 -nographic -no-reboot -vga none -nic none \
  -kernel "$kernel/vmlinuz" -initrd "$work/initramfs.cpio" \
  -append "console=ttyS0 intel_iommu=on iommu=pt panic=-1 quiet loglevel=4" \
  -drive "file=$work/allowed.img,if=none,id=nv0,format=raw" -device "nvme,drive=nv0,serial=$allowed_serial,addr=04.0" \
  -drive "file=$work/other.img,if=none,id=nv1,format=raw" -device "nvme,drive=nv1,serial=$other_serial,addr=05.0" \
  -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
  </dev/null 2>"$qemu_stderr" | sed -u -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' | tee "$console"
qemu_status=${PIPESTATUS[0]}
set -e
seconds=$((SECONDS - started))

# QEMU's exit status says nothing about the test (the guest powers off either way): the verdict is
# the guest's marker line, and no IOMMU fault in the guest's log or QEMU's.
why=""
if ((qemu_status == 124 || qemu_status == 137)); then
  why="the guest did not power off within ${limit} s"
elif grep -qx 'NT-QEMU-RESULT fail' "$console"; then
  why="the guest reported a failure"
elif ! grep -qx 'NT-QEMU-RESULT pass' "$console"; then
  why="the guest printed no NT-QEMU-RESULT line (QEMU exit status $qemu_status)"
elif grep -qF 'DMAR: [DMA' "$console"; then
  why="the emulated IOMMU reported a DMA fault in the guest"
elif grep -qi 'translation failure' "$qemu_stderr"; then
  why="QEMU's IOMMU reported a translation failure"
fi
if [[ -n "$why" ]]; then
  keep=1
  echo "runHelperProof.sh: FAIL after ${seconds} s: $why; console, QEMU's stderr and images kept in $work" >&2
  sed 's/^/qemu stderr: /' "$qemu_stderr" | tail -n 20 >&2
  exit 1
fi
echo "runHelperProof.sh: pass in ${seconds} s"
if [[ "${NT_QEMU_KEEP:-}" == "1" ]]; then
  keep=1
  echo "runHelperProof.sh: kept $work"
fi

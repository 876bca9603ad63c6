# Sourced by runHelperProof.sh and runSystemdProof.sh: what both need to boot Debian's 6.12 kernel
# in QEMU (software emulation, emulated Intel IOMMU, two emulated NVMe controllers) over the host's
# root shared read-only (9p), and to judge the guest from its console. Facts relied on:
# ../shared/qemu-vfio-testing.md.

# The checkout (this file is in its scripts/qemu/) and the sourcing script's name, for messages.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
me=$(basename "$0")

# The guest's PCI layout, fixed by addr= in boot_guest: the allowlisted controller and a second one
# the helper must refuse to touch. The serials are what the guest's nvme driver will report.
allowed_bdf=0000:00:04.0
allowed_serial=NTQEMUALLOWED01
other_bdf=0000:00:05.0
other_serial=NTQEMUOTHER0001

# Exits 77: QEMU or the kernel cannot be had here (the caller decides whether that is a skip).
unavailable() {
  echo "$me: $*" >&2
  exit 77
}

# Exits 77 unless QEMU, cpio and a static busybox (for the initramfs) are installed.
require_guest_tools() {
  command -v qemu-system-x86_64 >/dev/null || unavailable "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
  command -v cpio >/dev/null || unavailable "cpio is not installed (apt-get install cpio)"
  # ldd fails on a static busybox; Debian's plain busybox is dynamic.
  [[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1 || unavailable "no static /bin/busybox (apt-get install busybox-static)"
}

# Exits 1 unless node is on PATH, dist/ holds the guest program $1 (relative to the checkout) and
# the helper's two native modules are built: helper.sock's transport and the helper's own. Sets
# `node` (its real path, which the guest runs over 9p) and `program` (the program's full path).
require_build() {
  node=$(command -v node) || { echo "$me: node is not on PATH" >&2; exit 1; }
  node=$(readlink -f "$node")
  program=$repo/$1
  [[ -f "$program" ]] || { echo "$me: $program is missing; run npm run build:ts" >&2; exit 1; }
  require_addon "$repo/protocol/helper/seqpacket/native/build/Release/nt_seqpacket.node" build:seqpacket-native
  require_addon "$repo/nvme-helper/native/build/Release/nt_helper_native.node" build:helper-native
}

# Exits 1 unless the addon $1 is built; $2 is the npm script that builds it.
require_addon() {
  [[ -f "$1" ]] || { echo "$me: $1 is missing; run npm run $2" >&2; exit 1; }
}

# Sets `work`, a new folder removed on exit unless `keep` is set, holding the two controllers'
# disk images (sparse): allowed.img, other.img.
make_work() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/nt-qemu.XXXXXX")
  keep=""
  trap '[[ -n "$keep" ]] || rm -rf "$work"' EXIT
  truncate -s 64M "$work/allowed.img"
  truncate -s 16M "$work/other.img"
}

# A MiB of random bytes in $work/pattern.bin, written into allowed.img at byte offset $1 (a whole
# MiB, outside the helper's image area) before boot: the guest reads it back after every restore.
write_pattern() {
  head -c $((1 << 20)) /dev/urandom >"$work/pattern.bin"
  dd if="$work/pattern.bin" of="$work/allowed.img" bs=1M seek=$(($1 >> 20)) conv=notrunc status=none
}

# Boots the guest and streams its console to stdout and $work/console.log (QEMU's stderr to
# $work/qemu.stderr), with make_work's disks; sets qemu_status and seconds.
#   boot_guest KERNEL_DIR INITRAMFS MEMORY LIMIT_S [KERNEL_ARG...]
# -accel tcg explicitly: under KVM these machines' guests hang after the BIOS. kernel-irqchip=split
# and intremap=on: the emulated IOMMU's interrupt remapping; caching-mode=on: what lets QEMU's
# IOMMU follow the guest's mappings. No IOMMU, no vfio-pci (probe error -22). -vga none and
# -nic none: nothing the guests need, less to emulate. no_timer_check: the kernel's boot-time test
# of the timer interrupt through the IO-APIC counts ticks against the emulated CPU's progress, and
# panics ("timer doesn't work through Interrupt-remapped IO-APIC") when QEMU gets too little of a
# busy host's CPU; the test is for broken hardware. The console is kept without the serial
# line's CRs and the firmware's terminal escapes (SeaBIOS resets the terminal and turns line wrap
# off), so each guest line is clean.
boot_guest() {
  local kernel=$1 initramfs=$2 memory=$3 limit=$4
  shift 4
  local started=$SECONDS
  set +e
  timeout --kill-after=10 "$limit" qemu-system-x86_64 \
    -accel tcg -machine q35,kernel-irqchip=split -device intel-iommu,intremap=on,caching-mode=on \
    -m "$memory" -smp 2 -nographic -no-reboot -vga none -nic none \
    -kernel "$kernel/vmlinuz" -initrd "$initramfs" \
    -append "console=ttyS0 intel_iommu=on iommu=pt no_timer_check panic=-1 quiet loglevel=4${*:+ $*}" \
    -drive "file=$work/allowed.img,if=none,id=nv0,format=raw" -device "nvme,drive=nv0,serial=$allowed_serial,addr=04.0" \
    -drive "file=$work/other.img,if=none,id=nv1,format=raw" -device "nvme,drive=nv1,serial=$other_serial,addr=05.0" \
    -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
    </dev/null 2>"$work/qemu.stderr" | sed -u -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' | tee "$work/console.log"
  qemu_status=${PIPESTATUS[0]}
  set -e
  seconds=$((SECONDS - started))
}

# Judges the guest booted by boot_guest, says so and exits: 0 pass, 1 fail (keeping $work, as
# NT_QEMU_KEEP=1 does after a pass).   finish_guest LIMIT_S
finish_guest() {
  local why
  why=$(guest_verdict "$1")
  if [[ -n "$why" ]]; then
    keep=1
    echo "$me: FAIL after ${seconds} s: $why; console, QEMU's stderr and images kept in $work" >&2
    sed 's/^/qemu stderr: /' "$work/qemu.stderr" | tail -n 20 >&2
    exit 1
  fi
  echo "$me: pass in ${seconds} s"
  if [[ "${NT_QEMU_KEEP:-}" == "1" ]]; then
    keep=1
    echo "$me: kept $work"
  fi
  exit 0
}

# Prints why the guest failed, nothing when it passed. QEMU's exit status says nothing about the
# test (the guest powers off either way): the verdict is the guest's marker line, and no IOMMU
# fault in the guest's log or QEMU's.   guest_verdict LIMIT_S
guest_verdict() {
  local console=$work/console.log
  if ((qemu_status == 124 || qemu_status == 137)); then
    echo "the guest did not power off within $1 s"
  elif grep -qx 'NT-QEMU-RESULT fail' "$console"; then
    echo "the guest reported a failure"
  elif ! grep -qx 'NT-QEMU-RESULT pass' "$console"; then
    echo "the guest printed no NT-QEMU-RESULT line (QEMU exit status $qemu_status)"
  elif grep -qF 'DMAR: [DMA' "$console"; then
    echo "the emulated IOMMU reported a DMA fault in the guest"
  elif grep -qi 'translation failure' "$work/qemu.stderr"; then
    echo "QEMU's IOMMU reported a translation failure"
  fi
}

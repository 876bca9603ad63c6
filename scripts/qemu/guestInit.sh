#!/bin/busybox sh
# /init of the QEMU guest that runHelperProof.sh boots (busybox, PID 1). Loads the drivers, mounts
# the host's root (9p, read-only) at /host, and runs the guest program there with chroot, as root
# (runSystemdProof.sh's guest boots systemd there instead: guestSystemd/root.sh):
# the host's node, this checkout's dist/ and native modules, the guest's own /proc, /sys and /dev.
# The one writable place is the guest's /dev/shm (tmpfs): nothing is mounted over the host's /tmp
# or /run, which may hold the checkout or node itself.
# The program's lines and its NT-QEMU-RESULT marker go to the serial console; the host decides
# from them, since QEMU's exit code says nothing (we always power off). PID 1 must never exit.
#   /nt/modules  module file names in load order (from guestModules.txt)
#   /nt/argv     the program's command line, one argument per line
#   /nt/files    files for the program, copied to /dev/shm/nt-files
/bin/busybox --install -s /bin
export PATH=/bin

fail() {
  echo "guest-init: $*"
  echo "NT-QEMU-RESULT fail"
  poweroff -f
  sleep 60
}

mount -t proc proc /proc || fail "mounting /proc failed"
mount -t sysfs sysfs /sys || fail "mounting /sys failed"
mount -t devtmpfs devtmpfs /dev || fail "mounting /dev failed"

while IFS= read -r module; do
  insmod "/lib/nt-modules/$module" || fail "insmod $module failed"
done </nt/modules
# From here on kernel messages would interleave with the program's lines on the console.
dmesg -n 1

mkdir -p /host
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose host /host ||
  fail "mounting the host's root over 9p failed"
# buildInitramfs.sh --systemd: systemd as PID 1 runs the program; root.sh never returns.
if [ -f /nt/systemd/root.sh ]; then . /nt/systemd/root.sh; fi
mount --bind /proc /host/proc || fail "binding /proc failed"
mount --bind /sys /host/sys || fail "binding /sys failed"
mount --bind /dev /host/dev || fail "binding /dev failed"
mkdir -p /host/dev/shm && mount -t tmpfs -o mode=1777 tmpfs /host/dev/shm || fail "mounting /dev/shm failed"
cp -a /nt/files /host/dev/shm/nt-files || fail "copying /nt/files failed"

set --
while IFS= read -r arg; do set -- "$@" "$arg"; done </nt/argv
env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/dev/shm TMPDIR=/dev/shm chroot /host "$@"
status=$?
echo "guest-init: the guest program exited with status $status"

# An IOMMU fault is a failure even when every check passed (QEMU's NVMe model completes some
# faulting DMA with success); the console does not show them since dmesg -n 1.
dmesg | grep -F 'DMAR: [DMA' | sed 's/^/guest dmesg: /'
# On failure, what the kernel said since /init started (the drivers' messages), for the log.
[ "$status" = 0 ] || dmesg | sed -n '/Run \/init as init process/,$p' | tail -n 40 | sed 's/^/guest dmesg: /'
poweroff -f
sleep 60

# Sourced by guestInit.sh (/init, busybox, PID 1) in runSystemdProof.sh's guest, once /proc, /sys,
# /dev, the modules and the host's root (/host: 9p, read-only) are in place. Makes that root
# writable in the guest alone (an overlay whose upper layer is a tmpfs: nothing reaches the host),
# unpacks the checkout there (/nt-qemu/checkout), installs the proof's units into its
# /etc/systemd/system, and hands PID 1 to systemd, which boots nt-qemu.target (kernel command
# line) and runs the program as nt-qemu-proof.service. Never returns.
mkdir -p /rw /newroot
# Half the guest's memory by default: the copy scripts/install.sh makes of the build lands here.
mount -t tmpfs -o mode=0755 tmpfs /rw || fail "mounting the overlay's tmpfs failed"
mkdir /rw/upper /rw/work
mount -t overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
  fail "mounting the overlay over the host's root failed"

# The host may be a container: systemd would believe it runs in one (/.dockerenv, /run/.containerenv)
# and then ignore the kernel command line and skip udev. The guest is a machine of its own.
rm -f /newroot/.dockerenv /newroot/run/.containerenv
# A /tmp of the guest's own: systemd-tmpfiles empties /tmp at boot, which on the host's (in the
# overlay) would mean walking and whiting out all of it over 9p.
mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp || fail "mounting /tmp failed"

mkdir -p /newroot/nt-qemu/checkout /newroot/etc/systemd/system
# From the initramfs, not over 9p: under TCG each file read over 9p costs tens of milliseconds,
# and node_modules alone holds thousands.
tar -x -f /nt/systemd/checkout.tar -C /newroot/nt-qemu/checkout || fail "unpacking the checkout failed"
rm /nt/systemd/checkout.tar
cp /nt/argv /nt/systemd/proof.sh /newroot/nt-qemu/ || fail "copying the program's command line failed"
cp -a /nt/files /newroot/nt-qemu/files || fail "copying /nt/files failed"
cp /nt/systemd/nt-qemu.target /nt/systemd/nt-qemu-proof.service /newroot/etc/systemd/system/ ||
  fail "installing the proof's units failed"
# Units the host may enable that have nothing to do here and would only wait: time sync over a
# network the guest does not have.
for unit in systemd-timesyncd.service; do
  ln -sf /dev/null "/newroot/etc/systemd/system/$unit"
done

# What util-linux's switch_root does and busybox's does not: the API file systems move along, so
# none is left mounted on the initramfs that switch_root empties.
for fs in proc sys dev; do
  mount --move "/$fs" "/newroot/$fs" || fail "moving /$fs into the new root failed"
done
exec switch_root /newroot /lib/systemd/systemd

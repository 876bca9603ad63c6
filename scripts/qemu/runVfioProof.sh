#!/usr/bin/env bash
# Proves the helper's user-space NVMe driver (nvme-helper/native: VFIO type1, admin and I/O
# queues, PRP entries and lists, MSI-X completions through an eventfd, CC.SHN shutdown) against QEMU's NVMe model
# behind an emulated Intel IOMMU: boots Debian's 6.12 kernel in QEMU and runs
# dist/test/qemu/guestVfioProof.js in it as root — place a generated multi-layer model with the
# real helper, bind, read the whole image through the driver and compare it with the file, odd
# PRP layouts, refusals; then the data plane (open-dataplane: the ring driven by
# test/qemu/dataplaneClient.c, built here): the image through it, hostile requests, the session's
# end by its client, kill -9 of the client and of the helper; restore, and the same bytes through
# the kernel's block device. Then the product path: stories260K (the test data) placed and bound,
# and the real ntd, as an unprivileged uid, loads it with --storage vfio and tier C forced through
# the engine addon (cuda-engine/build): greedy tokens equal to its file load's; restore again, and
# the block device shows stories260K. Then kill -9 of ntd, and of the helper, while ntd streams tier
# C in a long generation (ntd's request fails with NT_E_IO, the model shows failed), each followed
# by a restore with stories260K intact and a clean bind, load and run with the same tokens. Any IOMMU
# fault in the guest's log or QEMU's fails the run (qemuGuest.sh's guest_verdict): QEMU completes
# a read into an unmapped IOVA with success, so the guest compares data, never trusts status.
#   NT_QEMU_TIMEOUT  wall-clock limit for the guest, in seconds (default 900)
#   NT_QEMU_CACHE    where fetchKernel.sh keeps the kernel
#   NT_QEMU_KEEP=1   keep the work folder (console log, QEMU's stderr, disk images) after a pass
#   NT_TEST_DATA     where stories260K.gguf is (default ~/.cache/ntransformer/testdata)
# Needs `npm run build:ts`, the helper's two native modules and the engine addon built. Exit
# status: 0 pass, 1 fail, 77 when QEMU, the kernel or the test data cannot be had here.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/qemu/qemuGuest.sh
source "$here/qemuGuest.sh"
limit=${NT_QEMU_TIMEOUT:-900}
# A MiB of random bytes at 32 MiB, past the proof's image area (1 MiB + 24 MiB).
pattern_offset=$((32 << 20))

require_guest_tools
require_build dist/test/qemu/guestVfioProof.js
require_addon "$repo/cuda-engine/build/Release/nt_engine.node" build:native
stories=${NT_TEST_DATA:-${XDG_CACHE_HOME:-$HOME/.cache}/ntransformer/testdata}/stories260K.gguf
[[ -f "$stories" ]] || unavailable "no $stories (run scripts/fetchTestData.sh, or set NT_TEST_DATA)"

kernel=$(bash "$here/fetchKernel.sh") || exit $?

make_work
write_pattern "$pattern_offset"
# A random-weight llama model of two layers (≈ 9 MiB): several tensors, odd offsets, no test data needed.
"$node" "$repo/dist/scripts/generateModel.js" --out "$work/model.gguf" --shape tiny --layers 2 --seed 15 >/dev/null

# The data plane's test client (the ring as the engine drives it), run in the guest from /dev/shm.
cc -O2 -Wall -Wextra -Werror -o "$work/dataplaneClient" "$repo/test/qemu/dataplaneClient.c"
# The engine's own reader of that ring (cuda-engine/src/io/vfio_reader.cc) in a small probe.
c++ -std=c++17 -O2 -Wall -Wextra -Werror -I "$repo/cuda-engine/src" -I "$repo/protocol/helper" -o "$work/vfioReaderProbe" \
  "$repo/test/qemu/vfioReaderProbe.cc" "$repo/cuda-engine/src/io/vfio_reader.cc" \
  "$repo/cuda-engine/src/io/storage_reader.cc"

bash "$here/buildInitramfs.sh" "$kernel" "$work/initramfs.cpio" --file "$work/pattern.bin" --file "$work/model.gguf" \
  --file "$work/dataplaneClient" --file "$work/vfioReaderProbe" --file "$stories" "$node" "$program" --client /dev/shm/nt-files/dataplaneClient \
  --probe /dev/shm/nt-files/vfioReaderProbe --stories /dev/shm/nt-files/stories260K.gguf \
  --bdf "$allowed_bdf" --serial "$allowed_serial" --model /dev/shm/nt-files/model.gguf \
  --pattern /dev/shm/nt-files/pattern.bin --pattern-offset "$pattern_offset" --disk-bytes "$(stat -c %s "$work/allowed.img")"

boot_guest "$kernel" "$work/initramfs.cpio" 1G "$limit"
finish_guest "$limit"

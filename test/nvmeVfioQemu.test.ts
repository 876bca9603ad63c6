// The helper's user-space NVMe driver against QEMU's NVMe model behind an emulated IOMMU:
// scripts/qemu/runVfioProof.sh boots a guest that runs test/qemu/guestVfioProof.ts — place, bind,
// the whole image read through VFIO and compared byte for byte, odd PRP layouts, refusals, a clean
// shutdown and restore — then the real ntd, unprivileged, loading stories260K with --storage vfio
// through the data plane (greedy tokens equal to its file load's), kill -9 of ntd and of the helper
// while ntd streams, each followed by a restore with the data intact and a clean second run — and
// fails on any IOMMU fault. Skips where QEMU or the kernel cannot be
// had, saying why; under CI=true that is a failure.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runQemuProof } from "./qemu/runQemuProof.js";

/** The guest's own limit: a hang, not slowness. */
const GUEST_TIMEOUT_S = 900;

describe("the helper's user-space NVMe driver in a QEMU guest with an emulated IOMMU", () => {
  it("reads the placed image through VFIO byte for byte, refuses what it must, shuts down and restores",
    { timeout: (GUEST_TIMEOUT_S + 120) * 1000 }, async (t) => {
      const run = await runQemuProof(t, "runVfioProof.sh", GUEST_TIMEOUT_S);
      if (run === undefined) return;
      const { status, lines } = run;
      const failed = lines.filter((line) => line.startsWith("not ok "));
      const tail = lines.slice(-40).join("\n");
      assert.deepEqual(failed, [], `the guest's failed checks:\n${failed.join("\n")}\n--- last lines ---\n${tail}`);
      assert.equal(status, 0, `runVfioProof.sh exited ${status}:\n${tail}`);
      assert.ok(lines.includes("NT-QEMU-RESULT pass"), `no pass marker:\n${tail}`);
      assert.ok(lines.some((line) => line.startsWith("ok the whole placed image reads through the driver")), `the image check did not pass:\n${tail}`);
      assert.ok(lines.some((line) => /^ok ntd \(uid \d+\) loads stories260K with --storage vfio/.test(line)), `ntd's vfio load did not pass:\n${tail}`);
      for (const fault of ["kill -9 of ntd while it streams", "kill -9 of the helper while ntd streams"]) {
        assert.ok(lines.some((line) => line.startsWith(`ok ${fault}`)), `${fault} did not pass:\n${tail}`);
      }
    });
});

// ntd and nt-nvme-helper as installed under a real systemd: scripts/qemu/runSystemdProof.sh boots a
// QEMU guest with systemd as PID 1 on the host's root (read-only, made writable in the guest only)
// that runs test/qemu/guestSystemdProof.ts — scripts/install.sh, ntd's Type=notify start, the
// helper's socket activation, its sandbox probed from inside its own unit, bind and restore
// through it, a clean stop, systemd-analyze security's scores — and prints one line per check.
// Where QEMU, Debian's kernel package or systemd cannot be had this skips, saying why; under
// CI=true that is a failure.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runQemuProof } from "./qemu/runQemuProof.js";

/** The guest's own limit, several times a pass's duration on a 2-core machine: a hang, not slowness. */
const GUEST_TIMEOUT_S = 1500;
/** Checks the guest must have passed, by the start of their names: a pass that stopped early is no pass. */
const REQUIRED_CHECKS = [
  "scripts/install.sh installs",
  "ntd reached READY through Type=notify",
  "the first connection (ntctl devices, as user nt) starts nt-nvme-helper.service by socket activation",
  "a probe runs as nt-nvme-helper.service itself",
  "sandbox: writing kernel.core_pattern is refused",
  "sandbox: opening /sys/bus/pci/drivers_probe for writing succeeds",
  "ntctl bind 0000:00:04.0",
  "ntctl restore 0000:00:04.0",
  "systemd-analyze security scores",
  "systemctl stop ntd nt-nvme-helper.service",
];

describe("ntd and nt-nvme-helper under a real systemd in a QEMU guest", () => {
  it("install.sh's units start, activate, sandbox, bind, restore and stop as systemd and the guest's kernel show",
    { timeout: (GUEST_TIMEOUT_S + 120) * 1000 }, async (t) => {
      const run = await runQemuProof(t, "runSystemdProof.sh", GUEST_TIMEOUT_S);
      if (run === undefined) return;
      const { status, lines } = run;
      const failed = lines.filter((line) => line.startsWith("not ok "));
      const tail = lines.slice(-40).join("\n");
      assert.deepEqual(failed, [], `the guest's failed checks:\n${failed.join("\n")}\n--- last lines ---\n${tail}`);
      assert.equal(status, 0, `runSystemdProof.sh exited ${status}:\n${tail}`);
      assert.ok(lines.includes("NT-QEMU-RESULT pass"), `no pass marker:\n${tail}`);
      for (const check of REQUIRED_CHECKS) {
        assert.ok(lines.some((line) => line.startsWith(`ok ${check}`)), `no passing check "${check}…":\n${tail}`);
      }
      // One passing check per access the probe tried, as the guest counted them.
      const planned = lines.map((line) => /^guest: the sandbox probe tries (\d+) accesses$/.exec(line)?.[1]).find((count) => count !== undefined);
      assert.ok(planned !== undefined, `the guest did not say how many accesses the probe tries:\n${tail}`);
      assert.equal(lines.filter((line) => line.startsWith("ok sandbox: ")).length, Number(planned));
    });
});

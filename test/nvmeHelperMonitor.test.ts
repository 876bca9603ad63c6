import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { closeSync, constants, existsSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, it } from "node:test";
import { NtError } from "../protocol/NtError.js";
import { makeHelperFixture, TEST_BDF, type HelperFixture } from "./support/makeHelperFixture.js";
import { skipWithoutLoopDevices } from "./support/skipWithoutLoopDevices.js";

/** bind opens the namespace's block device O_EXCL, so every fixture namespace is a loop device. */
const skip = skipWithoutLoopDevices("bind claims the namespace's block device, a loop device in these tests");

async function codeOf(work: () => unknown): Promise<string> {
  try {
    await work();
    return "resolved";
  } catch (err) {
    return err instanceof NtError ? err.code : `not an NtError: ${String(err)}`;
  }
}

let fixture: HelperFixture;
afterEach(() => fixture.remove());

describe("nt-nvme-helper bind and restore on a fake sysfs tree", { skip }, () => {
  it("binds with driver_override, unbind, drivers_probe, clear override — in that order, and never new_id", async () => {
    fixture = makeHelperFixture();
    const { device } = await fixture.monitor().bind({ device: TEST_BDF });
    assert.deepEqual(fixture.kernel.writes, [
      "driver_override=vfio-pci", `nvme/unbind=${TEST_BDF}`, `drivers_probe=${TEST_BDF}`, "driver_override=",
    ]);
    assert.equal(fixture.kernel.driverLink(TEST_BDF), "../../../bus/pci/drivers/vfio-pci");
    assert.equal(device.driver, "vfio-pci");
    assert.deepEqual(device.blockDevices, []);
    assert.equal(device.identityMatches, true, "identity remembered from when it was on nvme");
  });

  it("holds the namespace exclusively from the in-use check through the unbind, and lets go before the probe", async () => {
    fixture = makeHelperFixture();
    const { loopDevice } = fixture.namespaces.get(TEST_BDF)!;
    const claimed: Record<string, boolean> = {};
    await fixture.monitor({
      afterStep: (step) => {
        try {
          closeSync(openSync(loopDevice, constants.O_RDONLY | constants.O_EXCL));
          claimed[step] = false;
        } catch (err) {
          assert.equal((err as NodeJS.ErrnoException).code, "EBUSY");
          claimed[step] = true;
        }
      },
    }).bind({ device: TEST_BDF });
    assert.deepEqual(claimed, { "bind:override": true, "bind:unbind": true, "bind:probe": false, "bind:clear-override": false });
  });

  it("restores to nvme: clear override, unbind vfio-pci, probe; the block device is back", async () => {
    fixture = makeHelperFixture();
    const monitor = fixture.monitor();
    await monitor.bind({ device: TEST_BDF });
    fixture.kernel.writes.length = 0;
    const { devices } = await monitor.restore({ device: TEST_BDF });
    assert.deepEqual(fixture.kernel.writes, ["driver_override=", `vfio-pci/unbind=${TEST_BDF}`, `drivers_probe=${TEST_BDF}`]);
    assert.equal(devices[0]?.driver, "nvme");
    assert.deepEqual(devices[0]?.blockDevices, ["nvme0n1"]);
    assert.deepEqual(devices[0]?.identity, { serial: "S1", eui64: "e1" });
  });

  it("restore is idempotent: on nvme already, it writes nothing", async () => {
    fixture = makeHelperFixture();
    const monitor = fixture.monitor();
    await monitor.restore({});
    await monitor.restore({ device: TEST_BDF });
    assert.deepEqual(fixture.kernel.writes, []);
  });

  it("bind of a device already on vfio-pci is idempotent too", async () => {
    fixture = makeHelperFixture();
    const monitor = fixture.monitor();
    await monitor.bind({ device: TEST_BDF });
    fixture.kernel.writes.length = 0;
    await monitor.bind({ device: TEST_BDF });
    assert.deepEqual(fixture.kernel.writes, []);
  });

  it("restore waits for the nvme driver's asynchronous probe to create the block device", async () => {
    fixture = makeHelperFixture();
    const monitor = fixture.monitor();
    await monitor.bind({ device: TEST_BDF });
    fixture.kernel.nvmeProbeDelayMs = 150;
    const { devices } = await monitor.restore({ device: TEST_BDF });
    assert.deepEqual(devices[0]?.blockDevices, ["nvme0n1"]);
  });

  it("restore gives up with NT_E_IO when the block device does not come back in time", async () => {
    fixture = makeHelperFixture();
    const monitor = fixture.monitor({ restoreTimeoutMs: 100 });
    await monitor.bind({ device: TEST_BDF });
    fixture.kernel.nvmeProbeDelayMs = 400;
    assert.equal(await codeOf(() => monitor.restore({ device: TEST_BDF })), "NT_E_IO");
    await new Promise((resolve) => setTimeout(resolve, 450));
  });

  it("status reports every allowlisted device with driver, group, identity and block devices", () => {
    fixture = makeHelperFixture();
    assert.deepEqual(fixture.monitor().status({}).devices, [{
      bdf: TEST_BDF, driver: "nvme", iommuGroup: "1", identity: { serial: "S1", eui64: "e1" }, identityMatches: true,
      blockDevices: ["nvme0n1"], holders: [], imageArea: { startLba: 2048, sizeBytes: 1 << 30 },
    }]);
  });
});

describe("nt-nvme-helper refusals, each with its own code and no write", { skip }, () => {
  it("refuses a device that is not allowlisted: NT_E_DEVICE_NOT_ALLOWED", async () => {
    fixture = makeHelperFixture([{ bdf: TEST_BDF, serial: "S1" }, { bdf: "0000:02:00.0", serial: "S2", iommuGroup: "2", index: 1 }]);
    assert.equal(await codeOf(() => fixture.monitor().bind({ device: "0000:02:00.0" })), "NT_E_DEVICE_NOT_ALLOWED");
    assert.equal(await codeOf(() => fixture.monitor().restore({ device: "0000:02:00.0" })), "NT_E_DEVICE_NOT_ALLOWED");
    assert.deepEqual(fixture.kernel.writes, []);
  });

  it("refuses when another disk sits at the allowlisted address: NT_E_IDENTITY_MISMATCH", async () => {
    fixture = makeHelperFixture();
    fixture.kernel.setSerial(TEST_BDF, "SOMEONE-ELSES-DISK");
    assert.equal(await codeOf(() => fixture.monitor().bind({ device: TEST_BDF })), "NT_E_IDENTITY_MISMATCH");
    assert.equal(await codeOf(() => fixture.monitor().restore({ device: TEST_BDF })), "NT_E_IDENTITY_MISMATCH");
    assert.equal(fixture.monitor().status({}).devices[0]?.identityMatches, false);
    assert.deepEqual(fixture.kernel.writes, []);
  });

  it("refuses a device whose PCI class is not NVMe: NT_E_IDENTITY_MISMATCH", async () => {
    fixture = makeHelperFixture([{ bdf: TEST_BDF, serial: "S1", classCode: "0x010601", nativeDriver: "ahci" }]);
    assert.equal(await codeOf(() => fixture.monitor().bind({ device: TEST_BDF })), "NT_E_IDENTITY_MISMATCH");
  });

  it("refuses bind without an IOMMU group: NT_E_NO_IOMMU", async () => {
    fixture = makeHelperFixture([{ bdf: TEST_BDF, serial: "S1", iommuGroup: null }]);
    assert.equal(await codeOf(() => fixture.monitor().bind({ device: TEST_BDF })), "NT_E_NO_IOMMU");
    assert.deepEqual(fixture.kernel.writes, []);
  });

  it("refuses bind when another device of the IOMMU group is bound to a driver: NT_E_IOMMU_GROUP_SHARED", async () => {
    fixture = makeHelperFixture([{ bdf: TEST_BDF, serial: "S1" },
      { bdf: "0000:01:00.1", classCode: "0x0c0330", nativeDriver: "xhci_hcd", iommuGroup: "1" }]);
    assert.equal(await codeOf(() => fixture.monitor().bind({ device: TEST_BDF })), "NT_E_IOMMU_GROUP_SHARED");
    assert.deepEqual(fixture.kernel.writes, []);
  });

  it("binds when the other group members have no driver", async () => {
    fixture = makeHelperFixture([{ bdf: TEST_BDF, serial: "S1" },
      { bdf: "0000:01:00.1", classCode: "0x0c0330", driver: null, iommuGroup: "1" }]);
    assert.equal((await fixture.monitor().bind({ device: TEST_BDF })).device.driver, "vfio-pci");
  });

  it("refuses bind of a namespace held by dm/md/LVM, mounted, or used as swap: NT_E_DEVICE_BUSY", async () => {
    fixture = makeHelperFixture();
    fixture.kernel.addHolder(TEST_BDF, "dm-0");
    assert.equal(await codeOf(() => fixture.monitor().bind({ device: TEST_BDF })), "NT_E_DEVICE_BUSY");
    fixture.remove();

    fixture = makeHelperFixture();
    const devNumber = fixture.kernel.readDevice(TEST_BDF)?.namespaces[0]?.devNumber;
    writeFileSync(path.join(fixture.procRoot, "self/mountinfo"), `30 1 ${devNumber} / /data rw - xfs /dev/nvme0n1 rw\n`);
    assert.equal(await codeOf(() => fixture.monitor().bind({ device: TEST_BDF })), "NT_E_DEVICE_BUSY");
    fixture.remove();

    fixture = makeHelperFixture();
    writeFileSync(path.join(fixture.procRoot, "swaps"), "Filename Type Size Used Priority\n/dev/nvme0n1p2 partition 1 0 -2\n");
    assert.equal(await codeOf(() => fixture.monitor().bind({ device: TEST_BDF })), "NT_E_DEVICE_BUSY");
    assert.deepEqual(fixture.kernel.writes, []);
  });

  it("refuses bind while a namespace is open O_EXCL elsewhere (NT_E_DEVICE_BUSY), touching neither driver nor journal", async () => {
    fixture = makeHelperFixture();
    const hold = openSync(fixture.namespaces.get(TEST_BDF)!.loopDevice, constants.O_RDONLY | constants.O_EXCL);
    try {
      assert.equal(await codeOf(() => fixture.monitor().bind({ device: TEST_BDF })), "NT_E_DEVICE_BUSY");
    } finally {
      closeSync(hold);
    }
    assert.deepEqual(fixture.kernel.writes, []);
    assert.equal(existsSync(fixture.journalFile), false, "no transaction began");
    assert.equal((await fixture.monitor().bind({ device: TEST_BDF })).device.driver, "vfio-pci", "once let go, it binds");
  });

  it("refuses bind while a namespace is mounted in another mount namespace, which the helper's /proc cannot show: NT_E_DEVICE_BUSY", async (t) => {
    fixture = makeHelperFixture();
    const { loopDevice } = fixture.namespaces.get(TEST_BDF)!;
    try {
      execFileSync("mke2fs", ["-q", "-F", loopDevice], { stdio: "ignore" });
    } catch (err) {
      t.skip(`mke2fs (e2fsprogs) cannot make the filesystem to mount: ${(err as Error).message}`);
      return;
    }
    const mountPoint = path.join(fixture.dir, "mnt");
    mkdirSync(mountPoint);
    // A private mount namespace of its own, as a container or a service with PrivateMounts= has.
    const holder = spawn("unshare", ["--mount", "--propagation", "private", "sh", "-c", 'mount -o ro "$1" "$2" && echo mounted && exec sleep 60',
      "sh", loopDevice, mountPoint], { stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise((resolve) => holder.once("close", resolve));
    try {
      const mounted = await new Promise<boolean>((resolve) => {
        holder.stdout.on("data", (chunk: Buffer) => resolve(chunk.toString().includes("mounted")));
        holder.once("close", () => resolve(false));
      });
      assert.ok(mounted, "the filesystem was mounted in the other namespace");
      assert.equal(await codeOf(() => fixture.monitor().bind({ device: TEST_BDF })), "NT_E_DEVICE_BUSY");
      assert.deepEqual(fixture.kernel.writes, []);
    } finally {
      holder.kill("SIGKILL");
      await exited;
    }
  });

  it("refuses bind of a device bound to some other driver: NT_E_DEVICE_BUSY", async () => {
    fixture = makeHelperFixture([{ bdf: TEST_BDF, serial: "S1", driver: "ahci" }]);
    assert.equal(await codeOf(() => fixture.monitor().bind({ device: TEST_BDF })), "NT_E_DEVICE_BUSY");
  });

  it("rolls back to nvme when the probe does not land on vfio-pci", async () => {
    fixture = makeHelperFixture();
    const monitor = fixture.monitor();
    // A kernel without vfio-pci loaded: the override names a driver that never binds, so the
    // probe leaves the device driverless.
    const probe = fixture.kernel.probe.bind(fixture.kernel);
    fixture.kernel.probe = async (bdf) => {
      fixture.kernel.probe = probe;
      fixture.kernel.writes.push(`drivers_probe=${bdf}`);
    };
    assert.equal(await codeOf(() => monitor.bind({ device: TEST_BDF })), "NT_E_IO");
    assert.equal(fixture.monitor().status({}).devices[0]?.driver, "nvme");
  });

  it("reports the bind's failure when the rollback fails too, and leaves the bind for the next start to repair", async () => {
    fixture = makeHelperFixture();
    const monitor = fixture.monitor({ restoreTimeoutMs: 100 });
    const probe = fixture.kernel.probe.bind(fixture.kernel);
    fixture.kernel.probe = async (bdf) => {
      fixture.kernel.probe = probe;
      fixture.kernel.writes.push(`drivers_probe=${bdf}`);
    };
    // The rollback's probe brings nvme back only after the restore has given up.
    fixture.kernel.nvmeProbeDelayMs = 300;
    const failure = await monitor.bind({ device: TEST_BDF }).then(() => undefined, (err: unknown) => err);
    assert.ok(failure instanceof NtError);
    assert.equal(failure.code, "NT_E_IO");
    assert.match(failure.message, /after the probe, not vfio-pci; putting it back on nvme failed too \(.*block devices 100 ms after the probe/);
    await new Promise((resolve) => setTimeout(resolve, 350));
    const repaired = await fixture.monitor().repair();
    assert.equal(repaired.length, 1);
    assert.match(repaired[0] ?? "", new RegExp(`^repaired after a crash: bind of ${TEST_BDF}`));
  });
});

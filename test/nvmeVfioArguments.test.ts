// What the helper's user-space NVMe driver refuses before it touches anything: the only paths it
// opens are /dev/vfio/<number>, the only device names canonical PCI addresses. (The driver's work
// itself needs an IOMMU and an NVMe controller: test/nvmeVfioQemu.test.ts.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { helperNativeAddon } from "../nvme-helper/native/helperNativeAddon.js";
import { VfioNvmeController } from "../nvme-helper/vfio/VfioNvmeController.js";
import { NtError } from "../protocol/NtError.js";
import { rejectionCode } from "./support/rejectionCode.js";

const BDF = "0000:01:00.0";

function openCode(groupPath: string, bdf: string, serial: string): Promise<string> {
  return rejectionCode(Promise.resolve().then(() => {
    try {
      helperNativeAddon().nvmeOpen(groupPath, bdf, serial);
    } catch (err) {
      throw NtError.from(err);
    }
  }));
}

describe("the user-space NVMe driver's argument checks", () => {
  it("opens no path but /dev/vfio/<number>", async () => {
    for (const path of ["/etc/passwd", "/dev/vfio/vfio", "/dev/vfio/../sda", "/dev/vfio/", "/dev/vfio/12a", "/dev/vfio/1234567"]) {
      assert.equal(await openCode(path, BDF, "SERIAL"), "NT_E_BAD_REQUEST", path);
    }
  });

  it("takes only a canonical PCI address and a serial of 1..20 characters", async () => {
    for (const bdf of ["0000:01:00.0/../x", "0000:01:00.A", "1:00.0", ""]) {
      assert.equal(await openCode("/dev/vfio/7", bdf, "SERIAL"), "NT_E_BAD_REQUEST", bdf);
    }
    for (const serial of ["", "S".repeat(24)]) assert.equal(await openCode("/dev/vfio/7", BDF, serial), "NT_E_BAD_REQUEST", serial);
  });

  it("VfioNvmeController refuses a group that is not a number before the native layer", async () => {
    assert.equal(await rejectionCode(Promise.resolve().then(() => VfioNvmeController.open({ bdf: BDF, iommuGroup: "../1", serial: "S" }))), "NT_E_BAD_REQUEST");
  });
});

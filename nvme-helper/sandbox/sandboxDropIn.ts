// The allowlist's part of nt-nvme-helper.service's sandbox: the drop-in that admits each
// allowlisted device (sandboxDropIn), and the by-path link its DeviceAllow= names
// (namespaceLinkPath), which the helper resolves as systemd does (blockDevNumberOf) to notice when
// a namespace has moved out of what its sandbox admits (HelperLifetime.ts).
import { statSync } from "node:fs";
import path from "node:path";
import { NtError } from "../../protocol/NtError.js";
import { pciAddressSchema } from "../../protocol/helper/helperDeviceStatusSchema.js";
import type { HelperConfig } from "../config/helperConfigSchema.js";

/** Where install.sh and nt-nvme-helper-sandbox put the drop-in, beside the installed unit. */
export const SANDBOX_DROP_IN = "/etc/systemd/system/nt-nvme-helper.service.d/allowlist.conf";

/**
 * The allowlist's part of nt-nvme-helper.service's sandbox, as a systemd drop-in: for each
 * allowlisted device, its driver_override made writable (bind and restore write it) and the block
 * device of its namespace 1 allowed (place, open-image and status open it); with any device, VFIO
 * for the data plane (open-dataplane). The unit itself holds
 * everything that does not depend on the allowlist (systemd/nt-nvme-helper.service).
 *
 * Only PCI addresses go into the file, each checked again here against the canonical pattern: a
 * line break or a "%" in a value would add a directive or a systemd specifier. `source` (the
 * configuration's path) appears only JSON-quoted, in a comment.
 */
export function sandboxDropIn(config: HelperConfig, source: string): string {
  const lines = [
    `# Written by nt-nvme-helper-sandbox from ${JSON.stringify(source)}: the device allowlist's part of`,
    "# nt-nvme-helper.service's sandbox (systemd/README.md). Do not edit; after changing the allowlist, run",
    "# nt-nvme-helper-sandbox again, then systemctl daemon-reload: the helper applies both at its next start.",
    "[Service]",
  ];
  if (config.devices.length === 0) lines.push("# No device is allowlisted: no driver_override is writable and no block device is allowed.");
  for (const { bdf } of config.devices) {
    if (!pciAddressSchema.safeParse(bdf).success) {
      throw new NtError("NT_E_BAD_REQUEST", `refusing to write ${JSON.stringify(bdf)} into a unit file: not a canonical PCI address such as 0000:01:00.0`);
    }
    lines.push(
      `# ${bdf}: bind and restore write its driver_override; its namespace 1 holds the image area.`,
      // "-": a device that is away when the helper starts must not stop the helper from starting.
      `ReadWritePaths=-/sys/bus/pci/devices/${bdf}/driver_override`,
      `DeviceAllow=${namespaceLinkPath(bdf)} rw`,
    );
  }
  if (config.devices.length > 0) {
    lines.push(
      "# open-dataplane: the VFIO container, and the group node of a device on vfio-pci (it appears at bind time,",
      "# and its minor is not the group number, so the whole vfio class; nvme-helper/THREAT_MODEL.md).",
      "DeviceAllow=/dev/vfio/vfio rw",
      "DeviceAllow=char-vfio rw",
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * udev's link to namespace 1 of the NVMe controller at `bdf` (a canonical PCI address, as
 * pciAddressSchema checks): <devRoot>/disk/by-path/pci-<bdf>-nvme-1. Named by PCI address and
 * namespace id, it stays the same when a bind → restore cycle gives the namespace another block
 * device name or number, so the sandbox's DeviceAllow= can name it (systemd resolves it to
 * major:minor each time the helper starts).
 */
export function namespaceLinkPath(bdf: string, devRoot = "/dev"): string {
  return path.join(devRoot, "disk", "by-path", `pci-${bdf}-nvme-1`);
}

/**
 * "major:minor" of the block device `file` is or links to (as sysfs's dev attribute spells it),
 * or undefined when there is none: no such file, a dangling link, or not a block device.
 */
export function blockDevNumberOf(file: string): string | undefined {
  let rdev: bigint;
  try {
    const stats = statSync(file, { bigint: true });
    if (!stats.isBlockDevice()) return undefined;
    rdev = stats.rdev;
  } catch {
    return undefined;
  }
  // glibc's major()/minor() (sys/sysmacros.h).
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

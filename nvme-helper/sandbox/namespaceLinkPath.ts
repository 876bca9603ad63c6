import path from "node:path";

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

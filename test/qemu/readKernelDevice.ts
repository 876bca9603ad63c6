import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import path from "node:path";

/** One PCI device as the guest's kernel shows it now, read straight from /sys and /dev. */
export interface KernelDevice {
  /** Bound driver ("nvme", "vfio-pci") or null. */
  driver: string | null;
  /** driver_override's content, "(null)" when unset. */
  driverOverride: string;
  /** IOMMU group number, or null. */
  iommuGroup: string | null;
  /** The other devices in the IOMMU group. */
  groupPeers: string[];
  /** The nvme controller's name ("nvme0") and serial, while on nvme. */
  controller: { name: string; serial: string } | null;
  /** Namespaces' block devices under the controller: name, sysfs dev number, and whether /dev holds that node. */
  namespaces: Array<{ name: string; devNumber: string; nodeMatches: boolean }>;
}

/**
 * Reads what the kernel says about `bdf`, independently of the helper's own SysfsTree, so the
 * proof checks the kernel and not the helper's reading of it.
 */
export function readKernelDevice(bdf: string): KernelDevice {
  const dir = path.join("/sys/bus/pci/devices", bdf);
  const iommuGroup = linkTarget(path.join(dir, "iommu_group"));
  const controllerName = list(path.join(dir, "nvme")).find((name) => /^nvme[0-9]+$/.test(name));
  const controllerDir = controllerName === undefined ? undefined : path.join(dir, "nvme", controllerName);
  return {
    driver: linkTarget(path.join(dir, "driver")),
    driverOverride: readFileSync(path.join(dir, "driver_override"), "utf8").trim(),
    iommuGroup,
    groupPeers: iommuGroup === null ? [] : list(path.join("/sys/kernel/iommu_groups", iommuGroup, "devices")).filter((peer) => peer !== bdf),
    controller: controllerDir === undefined ? null : { name: controllerName!, serial: readFileSync(path.join(controllerDir, "serial"), "utf8").trim() },
    namespaces: controllerDir === undefined ? [] : list(controllerDir).filter((name) => /^nvme[0-9]+n[0-9]+$/.test(name)).sort().map((name) => {
      const devNumber = readFileSync(path.join(controllerDir, name, "dev"), "utf8").trim();
      return { name, devNumber, nodeMatches: blockNodeNumber(path.join("/dev", name)) === devNumber };
    }),
  };
}

/** "major:minor" of a block device node, or undefined when there is none at `node`. */
export function blockNodeNumber(node: string): string | undefined {
  if (!existsSync(node)) return undefined;
  const stats = statSync(node);
  if (!stats.isBlockDevice()) return undefined;
  // Linux's dev_t encoding (new_encode_dev): minor's low 8 bits, major, then minor's high bits.
  const major = (stats.rdev >> 8) & 0xfff;
  const minor = (stats.rdev & 0xff) | ((stats.rdev >> 12) & 0xfff00);
  return `${major}:${minor}`;
}

/** Whether /dev/vfio/<group> is there as a character device (vfio-pci created the group's node). */
export function vfioGroupNodeExists(group: string): boolean {
  const node = path.join("/dev/vfio", group);
  return existsSync(node) && statSync(node).isCharacterDevice();
}

function linkTarget(link: string): string | null {
  try {
    return path.basename(readlinkSync(link));
  } catch {
    return null;
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

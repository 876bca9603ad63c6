import { constants, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { NtError } from "../../protocol/NtError.js";
import type { NvmeIdentity } from "../../protocol/helper/helperDeviceStatusSchema.js";

/** A namespace's block device as sysfs shows it under the controller. */
export interface NamespaceFacts {
  /** Block device name, e.g. "nvme0n1". */
  name: string;
  /** "major:minor" of the namespace and of each of its partitions (for the mount and swap checks). */
  devNumbers: string[];
  /** "major:minor" of the namespace itself (its block device node must be this one), when sysfs shows it. */
  devNumber: string | undefined;
  /** Names of block devices holding it or its partitions (dm-0, md127). */
  holders: string[];
}

/** What sysfs says about one PCI device right now. */
export interface PciDeviceFacts {
  /** The PCI class, e.g. "0x010802" (NVMe). */
  classCode: string;
  vendor: string;
  device: string;
  /** Bound driver's name, or null. */
  driver: string | null;
  /** IOMMU group number, or null when the device has none (IOMMU off). */
  iommuGroup: string | null;
  /** The driver the next probe will pick for this device alone, or null when none is set. */
  driverOverride: string | null;
  /** Read from the nvme driver's view; empty when the device is not on nvme. */
  identity: NvmeIdentity;
  namespaces: NamespaceFacts[];
}

const DRIVER_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const CONTROLLER_NAME = /^nvme[0-9]+$/;
const NAMESPACE_NAME = /^nvme[0-9]+n[0-9]+$/;

/**
 * The helper's only access to sysfs, rooted at `root` (/sys, or a fake tree in tests). Reads are
 * the facts the helper checks; the writes are exactly the three the driver moves need
 * (driver_override, a driver's unbind, drivers_probe), each taking an already-validated PCI
 * address — there is no "write this sysfs file". Tests subclass it to play the kernel's part.
 */
export class SysfsTree {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** Facts of the device at `bdf`, or undefined when no PCI device is there. */
  readDevice(bdf: string): PciDeviceFacts | undefined {
    const dir = this.#deviceDir(bdf);
    const classCode = readText(path.join(dir, "class"));
    if (classCode === undefined) return undefined;
    const override = readText(path.join(dir, "driver_override"));
    const controller = listNames(path.join(dir, "nvme")).find((name) => CONTROLLER_NAME.test(name));
    const controllerDir = controller === undefined ? undefined : path.join(dir, "nvme", controller);
    const namespaces = controllerDir === undefined ? [] : listNames(controllerDir)
      .filter((name) => NAMESPACE_NAME.test(name)).sort()
      .map((name) => readNamespace(path.join(controllerDir, name), name));
    const firstNamespaceDir = controllerDir && namespaces[0] ? path.join(controllerDir, namespaces[0].name) : undefined;
    return {
      classCode,
      vendor: readText(path.join(dir, "vendor")) ?? "",
      device: readText(path.join(dir, "device")) ?? "",
      driver: linkName(path.join(dir, "driver"), DRIVER_NAME),
      iommuGroup: linkName(path.join(dir, "iommu_group"), /^[0-9]{1,6}$/),
      // The kernel shows an unset override as "(null)".
      driverOverride: [undefined, "", "(null)"].includes(override) ? null : override ?? null,
      identity: dropUndefined({
        serial: controllerDir && readText(path.join(controllerDir, "serial")),
        eui64: firstNamespaceDir && readText(path.join(firstNamespaceDir, "eui")),
        nguid: firstNamespaceDir && readText(path.join(firstNamespaceDir, "nguid")),
      }),
      namespaces,
    };
  }

  /** The PCI addresses in an IOMMU group (the device itself included). */
  iommuGroupMembers(group: string): string[] {
    return listNames(path.join(this.root, "kernel", "iommu_groups", group, "devices"));
  }

  /** The driver a device is bound to, or null (a cheap re-read for polling). */
  driverOf(bdf: string): string | null {
    return linkName(path.join(this.#deviceDir(bdf), "driver"), DRIVER_NAME);
  }

  /**
   * Sets (or, with null, clears) the device's driver_override, which makes the next probe pick
   * that driver for this one device only — unlike new_id, which would claim every device with the
   * same vendor:device id, and which the helper never uses.
   */
  async setDriverOverride(bdf: string, driver: "vfio-pci" | null): Promise<void> {
    // The kernel clears the override when given an empty line (drivers/pci/pci-sysfs.c).
    await writeAttribute(path.join(this.#deviceDir(bdf), "driver_override"), driver === null ? "\n" : `${driver}\n`);
  }

  /** Detaches the device from `driver`. For vfio-pci the kernel blocks here until VFIO users let go. */
  async unbind(bdf: string, driver: string): Promise<void> {
    if (!DRIVER_NAME.test(driver)) throw new NtError("NT_E_INTERNAL", `refusing odd driver name ${JSON.stringify(driver)}`);
    await writeAttribute(path.join(this.root, "bus", "pci", "drivers", driver, "unbind"), bdf);
  }

  /** Asks the PCI core to find a driver for the device (its driver_override, else a matching one). */
  async probe(bdf: string): Promise<void> {
    await writeAttribute(path.join(this.root, "bus", "pci", "drivers_probe"), bdf);
  }

  #deviceDir(bdf: string): string {
    return path.join(this.root, "bus", "pci", "devices", bdf);
  }
}

/**
 * Writes one sysfs attribute: O_WRONLY without O_CREAT (an attribute that is not there is an
 * error, never a new file) and O_NOFOLLOW on the attribute itself.
 */
async function writeAttribute(file: string, value: string): Promise<void> {
  let handle;
  try {
    handle = await open(file, constants.O_WRONLY | constants.O_NOFOLLOW);
    await handle.write(value);
  } catch (err) {
    throw new NtError("NT_E_IO", `writing ${JSON.stringify(value.trim())} to ${file} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    await handle?.close();
  }
}

function readNamespace(dir: string, name: string): NamespaceFacts {
  const partitions = listNames(dir).filter((entry) => entry.startsWith(`${name}p`));
  const devNumbers = [dir, ...partitions.map((partition) => path.join(dir, partition))]
    .map((entry) => readText(path.join(entry, "dev"))).filter((dev): dev is string => dev !== undefined);
  const holders = [dir, ...partitions.map((partition) => path.join(dir, partition))]
    .flatMap((entry) => listNames(path.join(entry, "holders")));
  return { name, devNumbers, devNumber: readText(path.join(dir, "dev")), holders };
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return undefined;
  }
}

function listNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The last component of a symlink's target when it looks like `pattern`, else null. */
function linkName(link: string, pattern: RegExp): string | null {
  try {
    const name = path.basename(readlinkSync(link));
    return pattern.test(name) ? name : null;
  } catch {
    return null;
  }
}

function dropUndefined(identity: Record<string, string | undefined>): NvmeIdentity {
  return Object.fromEntries(Object.entries(identity).filter(([, value]) => value !== undefined && value !== "")) as NvmeIdentity;
}

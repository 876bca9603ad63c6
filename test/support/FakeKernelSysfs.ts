import { mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { NtError } from "../../protocol/NtError.js";
import { SysfsTree } from "../../nvme-helper/sysfs/SysfsTree.js";

/** One PCI device of the fake machine. */
export interface FakePciDevice {
  bdf: string;
  /** Default "0x010802" (NVMe). */
  classCode?: string;
  /** Bound at creation; null for none. Default "nvme" (or the native driver). */
  driver?: string | null;
  /** The driver a plain probe picks (the one whose id table matches). Default "nvme". */
  nativeDriver?: string;
  /** IOMMU group number, or null for none (IOMMU off). Default "1". */
  iommuGroup?: string | null;
  serial?: string;
  eui64?: string;
  nguid?: string;
  /** Controller and namespace numbering: nvme<index>, nvme<index>n1. Default 0. */
  index?: number;
  /** "major:minor" sysfs shows for the namespace (the fixture's loop device). Default "259:<index>". */
  namespaceDevNumber?: string;
}

/**
 * A sysfs tree in a temporary folder, laid out as Linux lays out /sys (bus/pci/devices/BDF →
 * ../../../devices/pci0000:00/BDF, driver and iommu_group symlinks, the drivers' unbind files,
 * drivers_probe), with the kernel's reactions played by overriding SysfsTree's three writes:
 * the real method writes the real file first (so the paths and values are the production ones),
 * then this class moves the symlinks as the PCI core would. Every write is logged in `writes`.
 */
export class FakeKernelSysfs extends SysfsTree {
  /** "file=value" for every write, in order, paths relative to the root. */
  readonly writes: string[] = [];
  /** How long the nvme driver takes to create the block device after binding, in ms (0 = at once). */
  nvmeProbeDelayMs = 0;
  readonly #devices = new Map<string, FakePciDevice>();

  /** Builds the tree under `root` (which must exist and be empty) and returns its kernel. */
  static create(root: string, devices: FakePciDevice[]): FakeKernelSysfs {
    for (const driver of ["nvme", "vfio-pci", "ahci", "xhci_hcd"]) {
      const dir = path.join(root, "bus/pci/drivers", driver);
      mkdirSync(dir, { recursive: true });
      for (const file of ["bind", "unbind", "new_id"]) writeFileSync(path.join(dir, file), "");
    }
    writeFileSync(path.join(root, "bus/pci/drivers_probe"), "");
    mkdirSync(path.join(root, "bus/pci/devices"), { recursive: true });
    const kernel = new FakeKernelSysfs(root);
    for (const device of devices) kernel.addDevice(device);
    return kernel;
  }

  /** Re-opens the tree built earlier in `root` (another process's kernel, after a crash). */
  static reopen(root: string, devices: FakePciDevice[]): FakeKernelSysfs {
    const kernel = new FakeKernelSysfs(root);
    for (const device of devices) kernel.#devices.set(device.bdf, device);
    return kernel;
  }

  addDevice(device: FakePciDevice): void {
    this.#devices.set(device.bdf, device);
    const dir = this.#dir(device.bdf);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "class"), `${device.classCode ?? "0x010802"}\n`);
    writeFileSync(path.join(dir, "vendor"), "0x144d\n");
    writeFileSync(path.join(dir, "device"), "0xa808\n");
    writeFileSync(path.join(dir, "driver_override"), "(null)\n");
    symlinkSync(`../../../devices/pci0000:00/${device.bdf}`, path.join(this.root, "bus/pci/devices", device.bdf));
    const group = device.iommuGroup === undefined ? "1" : device.iommuGroup;
    if (group !== null) {
      const members = path.join(this.root, "kernel/iommu_groups", group, "devices");
      mkdirSync(members, { recursive: true });
      symlinkSync(`../../../../devices/pci0000:00/${device.bdf}`, path.join(members, device.bdf));
      symlinkSync(`../../../kernel/iommu_groups/${group}`, path.join(dir, "iommu_group"));
    }
    const driver = device.driver === undefined ? (device.nativeDriver ?? "nvme") : device.driver;
    if (driver !== null) this.#attach(device.bdf, driver);
  }

  /** Swaps the disk behind an address: same slot, another serial (what the identity check is for). */
  setSerial(bdf: string, serial: string): void {
    this.#device(bdf).serial = serial;
    const file = path.join(this.#dir(bdf), "nvme", `nvme${this.#device(bdf).index ?? 0}`, "serial");
    writeFileSync(file, `${serial}\n`);
  }

  /** Makes dm-0 hold the first namespace (an LVM volume on it). */
  addHolder(bdf: string, holder: string): void {
    const index = this.#device(bdf).index ?? 0;
    writeFileSync(path.join(this.#dir(bdf), "nvme", `nvme${index}`, `nvme${index}n1`, "holders", holder), "");
  }

  override async setDriverOverride(bdf: string, driver: "vfio-pci" | null): Promise<void> {
    await super.setDriverOverride(bdf, driver);
    this.writes.push(`driver_override=${driver ?? ""}`);
    // The kernel shows a cleared override as "(null)".
    if (driver === null) writeFileSync(path.join(this.#dir(bdf), "driver_override"), "(null)\n");
  }

  override async unbind(bdf: string, driver: string): Promise<void> {
    await super.unbind(bdf, driver);
    this.writes.push(`${driver}/unbind=${bdf}`);
    if (this.driverOf(bdf) !== driver) throw new NtError("NT_E_IO", `unbind: ${bdf} is not bound to ${driver} (ENODEV)`);
    unlinkSync(path.join(this.#dir(bdf), "driver"));
    rmSync(path.join(this.#dir(bdf), "nvme"), { recursive: true, force: true });
  }

  override async probe(bdf: string): Promise<void> {
    await super.probe(bdf);
    this.writes.push(`drivers_probe=${bdf}`);
    if (this.driverOf(bdf) !== null) return;
    const override = readFileSync(path.join(this.#dir(bdf), "driver_override"), "utf8").trim();
    this.#attach(bdf, override === "(null)" ? (this.#device(bdf).nativeDriver ?? "nvme") : override);
  }

  /** The driver link's target as the kernel writes it (for assertions on the tree itself). */
  driverLink(bdf: string): string | null {
    try {
      return readlinkSync(path.join(this.#dir(bdf), "driver"));
    } catch {
      return null;
    }
  }

  #attach(bdf: string, driver: string): void {
    symlinkSync(`../../../bus/pci/drivers/${driver}`, path.join(this.#dir(bdf), "driver"));
    if (driver !== "nvme") return;
    const create = () => this.#createNvme(bdf);
    if (this.nvmeProbeDelayMs > 0) setTimeout(create, this.nvmeProbeDelayMs);
    else create();
  }

  /** What the nvme driver's probe creates: the controller with its serial, the namespace with its ids. */
  #createNvme(bdf: string): void {
    const device = this.#device(bdf);
    const index = device.index ?? 0;
    const controller = path.join(this.#dir(bdf), "nvme", `nvme${index}`);
    const namespace = path.join(controller, `nvme${index}n1`);
    mkdirSync(path.join(namespace, "holders"), { recursive: true });
    writeFileSync(path.join(controller, "serial"), `${device.serial ?? ""}\n`);
    if (device.eui64) writeFileSync(path.join(namespace, "eui"), `${device.eui64}\n`);
    if (device.nguid) writeFileSync(path.join(namespace, "nguid"), `${device.nguid}\n`);
    writeFileSync(path.join(namespace, "dev"), `${device.namespaceDevNumber ?? `259:${index}`}\n`);
  }

  #device(bdf: string): FakePciDevice {
    const device = this.#devices.get(bdf);
    if (!device) throw new Error(`no fake device ${bdf}`);
    return device;
  }

  #dir(bdf: string): string {
    return path.join(this.root, "devices/pci0000:00", bdf);
  }
}

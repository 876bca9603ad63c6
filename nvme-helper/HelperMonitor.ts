import { NtError } from "../protocol/NtError.js";
import type { HelperDeviceStatus, NvmeIdentity } from "../protocol/helper/helperDeviceStatusSchema.js";
import type { HelperVerbParams, HelperVerbResult } from "../protocol/helper/helperVerbs.js";
import type { AllowedDevice, HelperConfig } from "./config/helperConfigSchema.js";
import { identityMismatch } from "./identity/identityMismatch.js";
import type { UndoJournal } from "./journal/UndoJournal.js";
import { readBlockUsage } from "./proc/readBlockUsage.js";
import type { PciDeviceFacts, SysfsTree } from "./sysfs/SysfsTree.js";

/** Options of a HelperMonitor. */
export interface HelperMonitorOptions {
  config: HelperConfig;
  sysfs: SysfsTree;
  journal: UndoJournal;
  /** Where mounts and swaps are read (self/mountinfo, swaps). Default "/proc". */
  procRoot?: string;
  /** How long restore waits for the nvme driver and a block device to appear, in ms. Default 10000. */
  restoreTimeoutMs?: number;
  /** Test hook, called after each privileged write ("bind:unbind", …); a crash test kills the process here. */
  afterStep?: (step: string) => void;
}

const NVME_CLASS = "0x010802";
const VFIO = "vfio-pci";

/** A device that passed the allowlist and identity checks just now. */
interface CheckedDevice {
  allowed: AllowedDevice;
  facts: PciDeviceFacts;
  /** vendor:device, recorded in the journal so the device can be recognised while off nvme. */
  pciId: string;
  identity: NvmeIdentity;
}

/**
 * The privileged verbs, all here, each one method taking a request already validated against its
 * schema (protocol/helper/helperVerbs.ts) from an already-authorised peer. Every verb resolves its
 * device afresh (allowlist + identity) before acting; the caller serialises calls.
 */
export class HelperMonitor {
  readonly #config: HelperConfig;
  readonly #sysfs: SysfsTree;
  readonly #journal: UndoJournal;
  readonly #procRoot: string;
  readonly #restoreTimeoutMs: number;
  readonly #afterStep: (step: string) => void;
  /** PCI id and identity of each device last seen on nvme, by PCI address (from the journal at start). */
  readonly #lastVerified = new Map<string, { pciId: string; identity: NvmeIdentity }>();

  constructor(options: HelperMonitorOptions) {
    this.#config = options.config;
    this.#sysfs = options.sysfs;
    this.#journal = options.journal;
    this.#procRoot = options.procRoot ?? "/proc";
    this.#restoreTimeoutMs = options.restoreTimeoutMs ?? 10_000;
    this.#afterStep = options.afterStep ?? (() => {});
  }

  /**
   * Run once at start, before serving: every transaction a crash left without an end is undone by
   * a restore (the client that asked for a bind is gone with the crash, so the safe state is the
   * kernel's own driver), then the journal is compacted to what identifies the devices.
   */
  async repair(): Promise<string[]> {
    const records = this.#journal.read();
    const ended = new Set(records.filter((record) => record.type === "end").map((record) => record.txn));
    const repaired: string[] = [];
    for (const record of records) {
      if (record.type !== "begin") continue;
      // Only a record carrying an identity was verified on nvme; a restore of a device never seen
      // on nvme records none, and must not make it "known".
      if (Object.keys(record.identity).length > 0) this.#lastVerified.set(record.bdf, { pciId: record.pciId, identity: record.identity });
      if (ended.has(record.txn)) continue;
      await this.#restoreOne(record.bdf);
      this.#journal.end(record.txn, "repaired");
      repaired.push(`${record.op} of ${record.bdf} (txn ${record.txn})`);
    }
    this.#journal.rewrite([...this.#lastVerified].map(([bdf, seen], index) => ({
      type: "begin" as const, txn: index + 1, op: "restore" as const, bdf, ...seen,
    })).flatMap((begin) => [begin, { type: "end" as const, txn: begin.txn, outcome: "ok" as const }]));
    this.#journal.read();
    return repaired;
  }

  /** `status`: every allowlisted device as it is now (never refused for a mismatch: it reports it). */
  status(_params: HelperVerbParams<"status">): HelperVerbResult<"status"> {
    return { devices: this.#config.devices.map((allowed) => this.#describe(allowed)) };
  }

  /** `bind`: nvme → vfio-pci, after checking the IOMMU group and that nothing uses the disk. */
  async bind(params: HelperVerbParams<"bind">): Promise<HelperVerbResult<"bind">> {
    const device = this.#check(params.device);
    const { facts } = device;
    if (facts.driver === VFIO) return { device: this.#describe(device.allowed) };
    if (facts.driver !== "nvme") {
      throw new NtError("NT_E_DEVICE_BUSY", `${params.device} is bound to ${facts.driver ?? "no driver"}, not nvme; restore it first`);
    }
    if (facts.iommuGroup === null) {
      throw new NtError("NT_E_NO_IOMMU", `${params.device} has no IOMMU group: the IOMMU is off, and VFIO without it would let the device DMA anywhere`);
    }
    const others = this.#sysfs.iommuGroupMembers(facts.iommuGroup).filter((member) => member !== params.device)
      .map((member) => ({ member, driver: this.#sysfs.driverOf(member) }))
      .filter(({ driver }) => driver !== null && driver !== VFIO);
    if (others.length > 0) {
      throw new NtError("NT_E_IOMMU_GROUP_SHARED", `IOMMU group ${facts.iommuGroup} of ${params.device} also holds ` +
        `${others.map(({ member, driver }) => `${member} (bound to ${driver})`).join(", ")}; VFIO takes whole groups`);
    }
    this.#refuseIfInUse(params.device, facts);
    const txn = this.#journal.begin({ op: "bind", bdf: params.device, pciId: device.pciId, identity: device.identity });
    try {
      await this.#step(txn, "bind:override", () => this.#sysfs.setDriverOverride(params.device, VFIO));
      await this.#step(txn, "bind:unbind", () => this.#sysfs.unbind(params.device, "nvme"));
      await this.#step(txn, "bind:probe", () => this.#sysfs.probe(params.device));
      // Cleared at once, so no later probe (a rescan, a restore) sends the device to vfio-pci again.
      await this.#step(txn, "bind:clear-override", () => this.#sysfs.setDriverOverride(params.device, null));
      const driver = this.#sysfs.driverOf(params.device);
      if (driver !== VFIO) throw new NtError("NT_E_IO", `${params.device} is on ${driver ?? "no driver"} after the probe, not ${VFIO}`);
    } catch (err) {
      await this.#restoreOne(params.device);
      this.#journal.end(txn, "failed");
      throw err;
    }
    this.#journal.end(txn, "ok");
    return { device: this.#describe(device.allowed) };
  }

  /** `restore`: back to nvme, for one device or every allowlisted one; doing it twice is harmless. */
  async restore(params: HelperVerbParams<"restore">): Promise<HelperVerbResult<"restore">> {
    const targets = params.device === undefined ? this.#config.devices.map((device) => device.bdf) : [params.device];
    let firstError: unknown;
    for (const bdf of targets) {
      try {
        this.#check(bdf);
        await this.#restoreOne(bdf);
        this.#check(bdf);
      } catch (err) {
        firstError ??= err;
      }
    }
    if (firstError !== undefined) throw firstError;
    return { devices: targets.map((bdf) => this.#describe(this.#allowed(bdf))) };
  }

  /** The allowlist entry of `bdf`, or NT_E_DEVICE_NOT_ALLOWED. */
  #allowed(bdf: string): AllowedDevice {
    const allowed = this.#config.devices.find((device) => device.bdf === bdf);
    if (!allowed) throw new NtError("NT_E_DEVICE_NOT_ALLOWED", `${bdf} is not in the helper's device allowlist`);
    return allowed;
  }

  /**
   * Allowlist + identity, read now. On nvme the serial/EUI/NGUID are compared with the allowlist;
   * off nvme sysfs cannot show them, so the device must be the one last verified on nvme at this
   * address (same vendor:device), or nothing may be done but restore.
   */
  #check(bdf: string): CheckedDevice {
    const allowed = this.#allowed(bdf);
    const facts = this.#sysfs.readDevice(bdf);
    if (!facts) throw new NtError("NT_E_NOT_FOUND", `no PCI device at ${bdf}`);
    const pciId = `${facts.vendor}:${facts.device}`;
    if (facts.classCode !== NVME_CLASS) {
      throw new NtError("NT_E_IDENTITY_MISMATCH", `${bdf} has PCI class ${facts.classCode}, not an NVMe controller (${NVME_CLASS})`);
    }
    if (facts.driver === "nvme") {
      const why = identityMismatch(allowed, facts.identity);
      if (why) throw new NtError("NT_E_IDENTITY_MISMATCH", `the device at ${bdf} is not the allowlisted one: ${why}`);
      this.#lastVerified.set(bdf, { pciId, identity: facts.identity });
      return { allowed, facts, pciId, identity: facts.identity };
    }
    const last = this.#lastVerified.get(bdf);
    if (last && last.pciId !== pciId) {
      throw new NtError("NT_E_IDENTITY_MISMATCH", `the device at ${bdf} is ${pciId}, but ${last.pciId} was verified there`);
    }
    return { allowed, facts, pciId, identity: last?.identity ?? {} };
  }

  #refuseIfInUse(bdf: string, facts: PciDeviceFacts): void {
    const usage = readBlockUsage(this.#procRoot);
    for (const namespace of facts.namespaces) {
      if (namespace.holders.length > 0) {
        throw new NtError("NT_E_DEVICE_BUSY", `${namespace.name} of ${bdf} is held by ${namespace.holders.join(", ")} (dm/md/LVM)`);
      }
      if (namespace.devNumbers.some((dev) => usage.mounted.has(dev))) {
        throw new NtError("NT_E_DEVICE_BUSY", `${namespace.name} of ${bdf} (or a partition of it) is mounted`);
      }
      if ([...usage.swap].some((name) => name === namespace.name || name.startsWith(`${namespace.name}p`))) {
        throw new NtError("NT_E_DEVICE_BUSY", `${namespace.name} of ${bdf} (or a partition of it) is used as swap`);
      }
    }
  }

  /** Moves one device back to nvme and waits for its block device; nothing to do when it is there. */
  async #restoreOne(bdf: string): Promise<void> {
    const facts = this.#sysfs.readDevice(bdf);
    if (facts?.driver === "nvme" && facts.namespaces.length > 0 && facts.driverOverride === null) return;
    if (!facts) throw new NtError("NT_E_NOT_FOUND", `no PCI device at ${bdf}`);
    const last = this.#lastVerified.get(bdf);
    const txn = this.#journal.begin({ op: "restore", bdf, pciId: `${facts.vendor}:${facts.device}`, identity: last?.identity ?? {} });
    // A bind that crashed before clearing its override would send the device back to vfio-pci.
    await this.#step(txn, "restore:clear-override", () => this.#sysfs.setDriverOverride(bdf, null));
    const driver = this.#sysfs.driverOf(bdf);
    if (driver !== null && driver !== "nvme") await this.#step(txn, "restore:unbind", () => this.#sysfs.unbind(bdf, driver));
    if (driver !== "nvme") await this.#step(txn, "restore:probe", () => this.#sysfs.probe(bdf));
    const deadline = Date.now() + this.#restoreTimeoutMs;
    for (;;) {
      const now = this.#sysfs.readDevice(bdf);
      if (now?.driver === "nvme" && now.namespaces.length > 0) break;
      if (Date.now() >= deadline) {
        this.#journal.end(txn, "failed");
        throw new NtError("NT_E_IO", `${bdf} is on ${now?.driver ?? "no driver"} with ${now?.namespaces.length ?? 0} ` +
          `block devices ${this.#restoreTimeoutMs} ms after the probe; expected nvme and its namespace`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    this.#journal.end(txn, "ok");
  }

  /** Journals a step, does it, then gives the crash hook its chance. */
  async #step(txn: number, step: string, write: () => Promise<void>): Promise<void> {
    this.#journal.step(txn, step);
    await write();
    this.#afterStep(step);
  }

  #describe(allowed: AllowedDevice): HelperDeviceStatus {
    const facts = this.#sysfs.readDevice(allowed.bdf);
    const onNvme = facts?.driver === "nvme";
    return {
      bdf: allowed.bdf,
      driver: facts?.driver ?? null,
      iommuGroup: facts?.iommuGroup ?? null,
      identity: facts?.identity ?? {},
      identityMatches: facts !== undefined && facts.classCode === NVME_CLASS &&
        (onNvme ? identityMismatch(allowed, facts.identity) === undefined : this.#lastVerified.has(allowed.bdf)),
      blockDevices: facts?.namespaces.map((namespace) => namespace.name) ?? [],
      holders: facts?.namespaces.flatMap((namespace) => namespace.holders) ?? [],
      imageArea: allowed.imageArea,
    };
  }
}

import { fstatSync, readSync } from "node:fs";
import path from "node:path";
import { NtError } from "../protocol/NtError.js";
import type { HelperDeviceStatus, HelperImageStatus, NvmeIdentity } from "../protocol/helper/helperDeviceStatusSchema.js";
import type { HelperVerbParams, HelperVerbResult } from "../protocol/helper/helperVerbs.js";
import type { AllowedDevice, HelperConfig } from "./config/helperConfigSchema.js";
import { identityMismatch } from "./identity/identityMismatch.js";
import { checkGgufHeader, GGUF_HEAD_BYTES } from "./image/checkGgufHeader.js";
import { ImageArea, type ImageAreaLocation } from "./image/ImageArea.js";
import type { ImageHeader } from "./image/imageHeader.js";
import type { JournalBegin, UndoJournal } from "./journal/UndoJournal.js";
import { readBlockUsage } from "./proc/readBlockUsage.js";
import type { PciDeviceFacts, SysfsTree } from "./sysfs/SysfsTree.js";

/** Options of a HelperMonitor. */
export interface HelperMonitorOptions {
  config: HelperConfig;
  sysfs: SysfsTree;
  journal: UndoJournal;
  /** Where mounts and swaps are read (self/mountinfo, swaps). Default "/proc". */
  procRoot?: string;
  /** Where namespaces' block device nodes are (<devRoot>/nvme0n1). Default "/dev". */
  devRoot?: string;
  /** How long restore waits for the nvme driver and a block device to appear, in ms. Default 10000. */
  restoreTimeoutMs?: number;
  /**
   * Test hook, called after each privileged write ("bind:unbind", …, "place:header-invalid",
   * "place:write" (first chunk), "place:sync", "place:verify", "place:header-valid"); a crash test kills the process here.
   */
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
  readonly #devRoot: string;
  readonly #restoreTimeoutMs: number;
  readonly #afterStep: (step: string) => void;
  /** PCI id and identity of each device last seen on nvme, by PCI address (from the journal at start). */
  readonly #lastVerified = new Map<string, { pciId: string; identity: NvmeIdentity }>();

  constructor(options: HelperMonitorOptions) {
    this.#config = options.config;
    this.#sysfs = options.sysfs;
    this.#journal = options.journal;
    this.#procRoot = options.procRoot ?? "/proc";
    this.#devRoot = options.devRoot ?? "/dev";
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
    /** Placements that could not be repaired now (device away): kept open, tried again at the next start. */
    const pending: JournalBegin[] = [];
    for (const record of records) {
      if (record.type !== "begin") continue;
      // Only a record carrying an identity was verified on nvme; a restore of a device never seen
      // on nvme records none, and must not make it "known".
      if (Object.keys(record.identity).length > 0) this.#lastVerified.set(record.bdf, { pciId: record.pciId, identity: record.identity });
      if (ended.has(record.txn)) continue;
      if (record.op === "place") {
        try {
          const outcome = await this.#repairPlace(record);
          this.#journal.end(record.txn, "repaired");
          repaired.push(`place of ${record.placement?.name ?? "?"} on ${record.bdf} (txn ${record.txn}): ${outcome}`);
        } catch (err) {
          pending.push(record);
          repaired.push(`place on ${record.bdf} (txn ${record.txn}) NOT repaired yet: ${NtError.from(err).code} ${(err as Error).message}`);
        }
        continue;
      }
      await this.#restoreOne(record.bdf);
      this.#journal.end(record.txn, "repaired");
      repaired.push(`${record.op} of ${record.bdf} (txn ${record.txn}) (restored to nvme)`);
    }
    const known: JournalBegin[] = [...this.#lastVerified].map(([bdf, seen], index) => ({
      type: "begin" as const, txn: index + 1, op: "restore" as const, bdf, ...seen,
    }));
    this.#journal.rewrite([...known.flatMap((begin) => [begin, { type: "end" as const, txn: begin.txn, outcome: "ok" as const }]),
      ...pending.map((record, index) => ({ ...record, txn: known.length + index + 1 }))]);
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

  /**
   * `place`: writes the GGUF behind `fd` (opened read-only by the client; the helper never opens a
   * client's path) into the device's image area, then reads it back. Order, each step durable
   * before the next: journal begin → header INVALID → data (O_DIRECT) → fdatasync → read-back
   * SHA-256 → header VALID → journal end. A crash anywhere leaves a journal entry that repair()
   * resolves to "verified complete" or "INVALID", never a header claiming an unverified image.
   * `fd` stays the caller's to close.
   */
  async place(params: HelperVerbParams<"place">, fd: number, onProgress: (done: number, total: number) => void): Promise<HelperVerbResult<"place">> {
    const device = this.#check(params.device);
    const ggufBytes = checkSourceFd(fd);
    const location = this.#locate(device, params.device);
    this.#refuseIfInUse(params.device, device.facts);
    const area = ImageArea.open(location, "write");
    try {
      if (Math.ceil(ggufBytes / 4096) * 4096 > area.capacityBytes) {
        throw new NtError("NT_E_IMAGE_TOO_LARGE", `the GGUF has ${ggufBytes} bytes; the image area of ${params.device} holds ${area.capacityBytes} after its header`);
      }
      const start = area.readStart();
      if (start.kind === "foreign") {
        throw new NtError("NT_E_FOREIGN_SIGNATURE", `the image area of ${params.device} (LBA ${device.allowed.imageArea.startLba}) holds data that is not an ntransformer image ` +
          "(a filesystem, a partition table…); zero it by hand if it is really scratch space");
      }
      const txn = this.#journal.begin({
        op: "place", bdf: params.device, pciId: device.pciId, identity: device.identity,
        placement: { name: params.name, ggufBytes, startLba: device.allowed.imageArea.startLba, areaBytes: device.allowed.imageArea.sizeBytes },
      });
      const invalid: ImageHeader = { state: "invalid", name: params.name, ggufBytes, sha256: "", placedAtMs: Date.now() };
      try {
        await this.#step(txn, "place:header-invalid", async () => area.writeHeader(invalid));
        this.#journal.step(txn, "place:write");
        onProgress(0, ggufBytes);
        let lastReport = Date.now();
        let firstChunk = true;
        const written = await area.writeData(fd, ggufBytes, (done) => {
          if (firstChunk) this.#afterStep("place:write");
          firstChunk = false;
          if (done === ggufBytes || Date.now() - lastReport >= 100) {
            lastReport = Date.now();
            onProgress(done, ggufBytes);
          }
        });
        await this.#step(txn, "place:sync", async () => area.sync());
        this.#journal.step(txn, "place:verify");
        const readBack = await area.hashData(ggufBytes);
        this.#afterStep("place:verify");
        if (readBack !== written) throw new NtError("NT_E_IO", `read-back SHA-256 ${readBack} differs from the ${written} written to ${params.device}`);
        const valid: ImageHeader = { ...invalid, state: "valid", sha256: readBack, placedAtMs: Date.now() };
        await this.#step(txn, "place:header-valid", async () => area.writeHeader(valid));
        this.#journal.end(txn, "ok");
        return { device: params.device, image: { name: valid.name, sizeBytes: ggufBytes, sha256: readBack, placedAtMs: valid.placedAtMs } };
      } catch (err) {
        // The header still says INVALID (or was never written over the old one); say so durably.
        try {
          area.writeHeader({ ...invalid, placedAtMs: Date.now() });
          this.#journal.end(txn, "failed");
        } catch {
          // Left to repair() at the next start, from the open journal entry.
        }
        throw err;
      }
    } finally {
      area.close();
    }
  }

  /**
   * `open-image`: a read-only O_DIRECT fd of the namespace's block device, for the engine to read
   * a VALID image at `offsetBytes` (the caller sends it with SCM_RIGHTS, then closes its copy).
   */
  openImage(params: HelperVerbParams<"open-image">): { result: HelperVerbResult<"open-image">; fd: number } {
    const device = this.#check(params.device);
    const area = ImageArea.open(this.#locate(device, params.device), "read");
    try {
      const header = area.readHeader();
      if (header?.state !== "valid") {
        throw new NtError("NT_E_NOT_FOUND", `${params.device} holds no valid image${header ? ` (${header.name} is marked INVALID: its placement did not finish)` : ""}`);
      }
      const result = {
        device: params.device, offsetBytes: area.dataStartBytes,
        image: { name: header.name, sizeBytes: header.ggufBytes, sha256: header.sha256, placedAtMs: header.placedAtMs },
      };
      return { result, fd: area.release() };
    } finally {
      area.close();
    }
  }

  /**
   * Resolves a placement a crash left open: a VALID header whose image reads back with its
   * SHA-256 is kept ("verified complete"); any other header of ours becomes INVALID. An area
   * without our header was never written (the header goes first), so it is left alone.
   */
  async #repairPlace(record: JournalBegin): Promise<string> {
    const device = this.#check(record.bdf);
    const area = ImageArea.open(this.#locate(device, record.bdf), "write");
    try {
      const start = area.readStart();
      if (start.kind === "zero" || start.kind === "foreign") return "the area was not written";
      if (start.kind === "image" && start.header.state === "valid" &&
        await area.hashData(start.header.ggufBytes) === start.header.sha256) {
        return `image ${start.header.name} verified complete`;
      }
      const name = start.kind === "image" ? start.header.name : record.placement?.name ?? "";
      const ggufBytes = start.kind === "image" ? start.header.ggufBytes : record.placement?.ggufBytes ?? 0;
      area.writeHeader({ state: "invalid", name, ggufBytes, sha256: "", placedAtMs: Date.now() });
      return `image ${name} marked INVALID`;
    } finally {
      area.close();
    }
  }

  /** The block device node of the device's first namespace and its image area. */
  #locate(device: CheckedDevice, bdf: string): ImageAreaLocation {
    const namespace = device.facts.driver === "nvme" ? device.facts.namespaces[0] : undefined;
    if (!namespace?.devNumber) {
      throw new NtError("NT_E_DEVICE_BUSY", `${bdf} has no block device (it is on ${device.facts.driver ?? "no driver"}, not nvme); restore it first`);
    }
    return {
      devicePath: path.join(this.#devRoot, namespace.name), devNumber: namespace.devNumber,
      startLba: device.allowed.imageArea.startLba, sizeBytes: device.allowed.imageArea.sizeBytes,
    };
  }

  /** The image header of an allowlisted device on nvme, for status; undefined when it cannot be read. */
  #imageStatus(allowed: AllowedDevice, facts: PciDeviceFacts): HelperImageStatus | null | undefined {
    const namespace = facts.driver === "nvme" ? facts.namespaces[0] : undefined;
    if (!namespace?.devNumber) return undefined;
    let area: ImageArea;
    try {
      area = ImageArea.open({ devicePath: path.join(this.#devRoot, namespace.name), devNumber: namespace.devNumber, ...allowed.imageArea }, "read");
    } catch {
      return undefined;
    }
    try {
      const header = area.readHeader();
      if (!header) return null;
      return {
        state: header.state, name: header.name, sizeBytes: header.ggufBytes, placedAtMs: header.placedAtMs,
        ...(header.state === "valid" ? { sha256: header.sha256 } : {}),
      };
    } catch {
      return undefined;
    } finally {
      area.close();
    }
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
      // A namespace's directory shows up a moment before its dev attribute (and devtmpfs's node).
      if (now?.driver === "nvme" && now.namespaces.length > 0 && now.namespaces.every((ns) => ns.devNumber !== undefined)) break;
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
      ...(() => {
        const image = facts && identityMismatch(allowed, facts.identity) === undefined ? this.#imageStatus(allowed, facts) : undefined;
        return image === undefined ? {} : { image };
      })(),
    };
  }
}

/**
 * The client's fd must be a regular file it opened for reading (fstat; a read of its head, which
 * fails with EBADF for a write-only or O_PATH fd): NT_E_BAD_FD otherwise. Then the bounded GGUF
 * check. Returns the file's size.
 */
function checkSourceFd(fd: number): number {
  let size: number;
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      throw new NtError("NT_E_BAD_FD", `the fd passed to place is ${stats.isDirectory() ? "a directory" : stats.isFIFO() ? "a pipe" :
        stats.isSocket() ? "a socket" : stats.isBlockDevice() || stats.isCharacterDevice() ? "a device" : "not a regular file"}; it must be an open GGUF file`);
    }
    size = stats.size;
  } catch (err) {
    throw err instanceof NtError ? err : new NtError("NT_E_BAD_FD", `fstat of the fd passed to place failed: ${(err as Error).message}`);
  }
  const head = Buffer.alloc(GGUF_HEAD_BYTES);
  let got: number;
  try {
    got = readSync(fd, head, 0, GGUF_HEAD_BYTES, 0);
  } catch (err) {
    throw new NtError("NT_E_BAD_FD", `the fd passed to place is not readable: ${(err as Error).message}`);
  }
  checkGgufHeader(head.subarray(0, got), size);
  return size;
}

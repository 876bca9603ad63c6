import { NtError } from "../protocol/NtError.js";
import type { HelperDeviceStatus, NvmeIdentity } from "../protocol/helper/helperDeviceStatusSchema.js";
import type { HelperVerbParams, HelperVerbResult } from "../protocol/helper/helperVerbs.js";
import type { AllowedDevice, HelperConfig } from "./config/helperConfigSchema.js";
import { allowlistEntryOf, checkDevice, type CheckedDevice, identityMismatch, NVME_CLASS } from "./device/checkDevice.js";
import { claimNamespaces, type NamespaceClaim, refuseIfInUse } from "./device/deviceInUse.js";
import { placeImage, repairPlacement } from "./image/placeImage.js";
import { openImageFd, readImageStatus } from "./image/readImage.js";
import type { JournalBegin, UndoJournal } from "./journal/UndoJournal.js";
import type { SysfsTree } from "./sysfs/SysfsTree.js";
import { DataplaneSessions } from "./vfio/DataplaneSessions.js";

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
   * How long `place` waits for the client's GGUF fd to answer fstat and the read of its head, in
   * ms; a FUSE file that never answers then costs that request NT_E_BAD_FD. Default 10000.
   */
  clientFdTimeoutMs?: number;
  /**
   * Test hook, called after each privileged write ("bind:unbind", …, "place:header-invalid",
   * "place:write" (first chunk), "place:sync", "place:verify", "place:header-valid"); a crash test kills the process here.
   */
  afterStep?: (step: string) => void;
  /** Where lines about data-plane sessions go. Default: stderr, the helper's log. */
  log?: (line: string) => void;
}

const VFIO = "vfio-pci";

/**
 * What HelperMonitor lends the verbs kept in their own files (place, open-image, the repair of a
 * placement): its journal and folders, the device check bound to its allowlist and last-verified
 * identities, and the journaled step with its crash hook. The monitor owns all of it.
 */
export interface VerbContext {
  readonly journal: UndoJournal;
  /** Where namespaces' block device nodes are (<devRoot>/nvme0n1). */
  readonly devRoot: string;
  /** Where mounts and swaps are read (self/mountinfo, swaps). */
  readonly procRoot: string;
  /** How long a client's fd (place's GGUF) may take to answer fstat and the read of its head, in ms. */
  readonly clientFdTimeoutMs: number;
  /** Allowlist + identity of `bdf`, read now (device/checkDevice.ts). */
  check(bdf: string): CheckedDevice;
  /** Journals a step, does it, then gives the crash hook its chance. */
  step(txn: number, step: string, write: () => Promise<void>): Promise<void>;
  /** The crash hook alone, for a step journaled apart from its write (place:write, place:verify). */
  afterStep(step: string): void;
}

/**
 * The privileged verbs' work, one method each, called through the verb table (helperVerbTable.ts)
 * with a request already validated against its schema (protocol/helper/helperVerbs.ts) from an
 * already-authorised peer. status, bind and restore are here in full; place and open-image are in
 * image/ (placeImage.ts, readImage.ts), using what #verbContext lends.
 * Every verb resolves its device afresh (allowlist + identity, device/checkDevice.ts) before
 * acting; the caller serialises calls.
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
  /** What the verbs in their own files (place, open-image, the repair of a placement) may use of the above. */
  readonly #verbContext: VerbContext;
  /** The VFIO data-plane sessions (vfio/DataplaneSessions.ts). */
  readonly #dataplanes: DataplaneSessions;

  constructor(options: HelperMonitorOptions) {
    this.#config = options.config;
    this.#sysfs = options.sysfs;
    this.#journal = options.journal;
    this.#procRoot = options.procRoot ?? "/proc";
    this.#devRoot = options.devRoot ?? "/dev";
    this.#restoreTimeoutMs = options.restoreTimeoutMs ?? 10_000;
    this.#afterStep = options.afterStep ?? (() => {});
    this.#dataplanes = new DataplaneSessions(options.log ?? ((line) => process.stderr.write(`nt-nvme-helper: ${line}\n`)));
    this.#verbContext = {
      journal: this.#journal, devRoot: this.#devRoot, procRoot: this.#procRoot, clientFdTimeoutMs: options.clientFdTimeoutMs ?? 10_000,
      check: (bdf) => this.#check(bdf),
      step: (txn, step, write) => this.#step(txn, step, write),
      afterStep: this.#afterStep,
    };
  }

  /**
   * Run once at start, before serving: every transaction a crash left without an end is undone by
   * a restore (the client that asked for a bind is gone with the crash, so the safe state is the
   * kernel's own driver), then the journal is compacted to what identifies the devices. Returns
   * one log line per thing done or left. Nothing here stops the helper from starting: a journal
   * line that is not a valid record is set aside (<journal>.quarantine), and a transaction whose
   * device cannot be repaired now (gone, not allowlisted, another disk) stays open for the next
   * start without holding up the others.
   */
  async repair(): Promise<string[]> {
    const { records, rejected } = this.#journal.read();
    const notes: string[] = [];
    if (rejected.length > 0) {
      const quarantine = this.#journal.quarantine(rejected);
      for (const bad of rejected) notes.push(`journal line ${bad.line} set aside in ${quarantine}: ${bad.reason}`);
    }
    const ended = new Set(records.filter((record) => record.type === "end").map((record) => record.txn));
    const begins = records.filter((record) => record.type === "begin");
    for (const record of begins) {
      // Only a record carrying an identity was verified on nvme; a restore of a device never seen
      // on nvme records none, and must not make it "known".
      if (Object.keys(record.identity).length > 0) this.#lastVerified.set(record.bdf, { pciId: record.pciId, identity: record.identity });
    }
    /** Transactions that could not be repaired now: kept open, tried again at the next start. */
    const pending: JournalBegin[] = [];
    for (const record of begins.filter((begin) => !ended.has(begin.txn))) {
      try {
        notes.push(`repaired after a crash: ${await this.#repairOne(record)}`);
        this.#journal.end(record.txn, "repaired");
      } catch (err) {
        pending.push(record);
        const error = NtError.from(err);
        notes.push(`NOT repaired after a crash, left for the next start: ${record.op} of ${record.bdf} (txn ${record.txn}): ${error.code} ${error.message}`);
      }
    }
    const known: JournalBegin[] = [...this.#lastVerified].map(([bdf, seen], index) => ({
      type: "begin" as const, txn: index + 1, op: "restore" as const, bdf, ...seen,
    }));
    this.#journal.rewrite([...known.flatMap((begin) => [begin, { type: "end" as const, txn: begin.txn, outcome: "ok" as const }]),
      ...pending.map((record, index) => ({ ...record, txn: known.length + index + 1 }))]);
    // Read back so the next transaction number follows the renumbered records, which can outnumber
    // the old ones (a pending placement's device is also listed as known).
    this.#journal.read();
    return notes;
  }

  /** Undoes one transaction a crash left open; returns what was done. */
  async #repairOne(record: JournalBegin): Promise<string> {
    if (record.op === "place") {
      return `place of ${record.placement?.name ?? "?"} on ${record.bdf} (txn ${record.txn}): ${await repairPlacement(this.#verbContext, record)}`;
    }
    // As the restore verb does: only an allowlisted device that is still the one verified there.
    this.#check(record.bdf);
    await this.#restoreOne(record.bdf);
    return `${record.op} of ${record.bdf} (txn ${record.txn}) (restored to nvme)`;
  }

  /** `status`: every allowlisted device as it is now (never refused for a mismatch: it reports it). */
  status(_params: HelperVerbParams<"status">): HelperVerbResult<"status"> {
    return { devices: this.#config.devices.map((allowed) => this.#describe(allowed)) };
  }

  /**
   * `bind`: nvme → vfio-pci, after checking the IOMMU group and that nothing uses the disk: its
   * namespaces are opened exclusively (the kernel's answer covers every mount namespace) as well
   * as checked against /proc (holders, mounts, swap).
   */
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
    // Claimed before the in-use check and held through the unbind, so nothing can mount or claim
    // the disk in between (claimNamespaces, device/deviceInUse.ts).
    const claim = claimNamespaces(params.device, facts, this.#devRoot);
    try {
      refuseIfInUse(params.device, facts, this.#procRoot);
      await this.#moveToVfio(params.device, device, claim);
    } finally {
      claim.release();
    }
    return { device: this.#describe(device.allowed) };
  }

  /**
   * bind's driver move, each step journalled: override → unbind → probe → clear the override →
   * verify; any failure rolls the device back to nvme. `claim` is released once the unbind has
   * removed the block devices it holds (and before a rollback's probe brings them back).
   */
  async #moveToVfio(bdf: string, device: CheckedDevice, claim: NamespaceClaim): Promise<void> {
    const txn = this.#journal.begin({ op: "bind", bdf, pciId: device.pciId, identity: device.identity });
    try {
      await this.#step(txn, "bind:override", () => this.#sysfs.setDriverOverride(bdf, VFIO));
      await this.#step(txn, "bind:unbind", () => this.#sysfs.unbind(bdf, "nvme"));
      claim.release();
      await this.#step(txn, "bind:probe", () => this.#sysfs.probe(bdf));
      // Cleared at once, so no later probe (a rescan, a restore) sends the device to vfio-pci again.
      await this.#step(txn, "bind:clear-override", () => this.#sysfs.setDriverOverride(bdf, null));
      const driver = this.#sysfs.driverOf(bdf);
      if (driver !== VFIO) throw new NtError("NT_E_IO", `${bdf} is on ${driver ?? "no driver"} after the probe, not ${VFIO}`);
    } catch (err) {
      claim.release();
      const error = NtError.from(err);
      try {
        await this.#restoreOne(bdf);
      } catch (restoreError) {
        // The bind stays open in the journal, so the next start's repair tries the restore again;
        // the client learns why the bind failed, not only why the rollback did.
        throw new NtError(error.code, `${error.message}; putting it back on nvme failed too ` +
          `(${NtError.from(restoreError).message}); the helper retries that when it next starts`);
      }
      this.#journal.end(txn, "failed");
      throw error;
    }
    this.#journal.end(txn, "ok");
  }

  /** `restore`: back to nvme, for one device or every allowlisted one; doing it twice is harmless. */
  async restore(params: HelperVerbParams<"restore">): Promise<HelperVerbResult<"restore">> {
    const targets = params.device === undefined ? this.#config.devices.map((device) => device.bdf) : [params.device];
    let firstError: unknown;
    for (const bdf of targets) {
      try {
        this.#check(bdf);
        // The data plane first: its controller is shut down before the kernel's driver takes it.
        this.#dataplanes.close(bdf);
        await this.#restoreOne(bdf);
        this.#check(bdf);
      } catch (err) {
        firstError ??= err;
      }
    }
    if (firstError !== undefined) throw firstError;
    return { devices: targets.map((bdf) => this.#describe(allowlistEntryOf(this.#config, bdf))) };
  }

  /**
   * `place`: the GGUF behind `fd` into the device's image area, verified (image/placeImage.ts);
   * stopped (NT_E_CANCELLED, the image left INVALID) once `signal` aborts: its client hung up.
   */
  async place(params: HelperVerbParams<"place">, fd: number, onProgress: (done: number, total: number) => void,
    signal?: AbortSignal): Promise<HelperVerbResult<"place">> {
    return placeImage(this.#verbContext, params, fd, onProgress, signal);
  }

  /** `open-image`: a read-only fd of the device holding a VALID image (image/readImage.ts). */
  openImage(params: HelperVerbParams<"open-image">): { result: HelperVerbResult<"open-image">; fd: number } {
    return openImageFd(this.#verbContext, params);
  }

  /**
   * `open-dataplane`: a VFIO data-plane session on a device bound to vfio-pci with a VALID image
   * (vfio/DataplaneSessions.ts); the session's memfd goes back to the client, which is `peerPid`.
   */
  openDataplane(params: HelperVerbParams<"open-dataplane">, peerPid: number): { result: HelperVerbResult<"open-dataplane">; fd: number } {
    const { allowed, facts } = this.#check(params.device);
    if (facts.driver !== VFIO) throw new NtError("NT_E_DEVICE_BUSY", `${params.device} is on ${facts.driver ?? "no driver"}, not ${VFIO}; bind it first`);
    if (facts.iommuGroup === null) throw new NtError("NT_E_NO_IOMMU", `${params.device} has no IOMMU group`);
    if (allowed.serial === undefined) {
      throw new NtError("NT_E_UNSUPPORTED", `the allowlist names ${params.device} without a serial; the data plane checks the serial its own driver reads (add "serial")`);
    }
    return this.#dataplanes.open({
      bdf: params.device, iommuGroup: facts.iommuGroup, serial: allowed.serial,
      areaStartLba: allowed.imageArea.startLba, areaBytes: allowed.imageArea.sizeBytes,
    }, params, peerPid);
  }

  /** Data-plane sessions still running (ended ones are shut down first): the helper must not exit idle under one. */
  runningDataplanes(): number {
    return this.#dataplanes.sweep();
  }

  /** Ends every data-plane session, shutting the controllers down (the helper is stopping). */
  closeDataplanes(): void {
    this.#dataplanes.closeAll();
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

  /** Allowlist + identity of `bdf`, read now; a device verified on nvme is remembered in #lastVerified. */
  #check(bdf: string): CheckedDevice {
    return checkDevice(bdf, this.#config, this.#sysfs, this.#lastVerified);
  }

  /**
   * `allowed` as it is now, for every verb's answer (never refused for a mismatch: it reports it).
   * Off nvme sysfs shows no identity: then it matches if the device was last verified on nvme here.
   */
  #describe(allowed: AllowedDevice): HelperDeviceStatus {
    const facts = this.#sysfs.readDevice(allowed.bdf);
    const onNvme = facts?.driver === "nvme";
    const image = facts && identityMismatch(allowed, facts.identity) === undefined ? readImageStatus(allowed, facts, this.#devRoot) : undefined;
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
      ...(image === undefined ? {} : { image }),
    };
  }
}

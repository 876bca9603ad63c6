import { NtError } from "../../protocol/NtError.js";
import type { HelperVerbParams, HelperVerbResult } from "../../protocol/helper/helperVerbs.js";
import { decodeAreaStart, IMAGE_HEADER_BYTES } from "../image/imageHeader.js";
import { VfioNvmeController } from "./VfioNvmeController.js";

/** Staging slots of a session when the client names none. */
const DEFAULT_SLOTS = 4;
/** Bytes per slot when the client names none. */
const DEFAULT_SLOT_BYTES = 4 << 20;
/** protocol/helper/dataplaneRing.h: NT_DP_HEADER_BYTES, NT_DP_RING_ENTRIES. */
const RING_HEADER_BYTES = 4096;
const RING_ENTRIES = 64;
/** How often ended sessions are looked for (their controllers shut down) while any is open. */
const SWEEP_MS = 500;

/** The device a session is opened on, checked by the monitor (allowlisted, identity, on vfio-pci). */
export interface DataplaneDevice {
  bdf: string;
  iommuGroup: string;
  /** The allowlist's serial, which Identify must report. */
  serial: string;
  /** The configured image area's first logical block. */
  areaStartLba: number;
  areaBytes: number;
}

/**
 * The VFIO data-plane sessions, at most one per device: each holds the controller, brought up
 * afresh by the helper's own driver for the session, and its data-plane thread. A session ends
 * when its client says so in the ring or exits; ended sessions are swept (controller shut down
 * with CC.SHN, VFIO closed, the device left on vfio-pci for the next client). `restore` closes a
 * device's session first.
 */
export class DataplaneSessions {
  readonly #controllers = new Map<string, VfioNvmeController>();
  readonly #log: (line: string) => void;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(log: (line: string) => void) {
    this.#log = log;
  }

  /** Opens a session on `device` for the client process `peerPid`: NT_E_BUSY while one runs there. */
  open(device: DataplaneDevice, params: HelperVerbParams<"open-dataplane">, peerPid: number):
    { result: HelperVerbResult<"open-dataplane">; fd: number } {
    this.sweep();
    if (this.#controllers.has(device.bdf)) throw new NtError("NT_E_BUSY", `${device.bdf} already serves a data-plane session`);
    const controller = VfioNvmeController.open({ bdf: device.bdf, iommuGroup: device.iommuGroup, serial: device.serial });
    try {
      const { lbaBytes } = controller.info;
      const image = readValidImage(controller, device);
      const slotCount = params.slots ?? DEFAULT_SLOTS;
      const slotBytes = params.slotBytes ?? DEFAULT_SLOT_BYTES;
      const imageLba = device.areaStartLba + IMAGE_HEADER_BYTES / lbaBytes;
      const { fd, slotsOffset, maxRequestBytes } = controller.openDataplane(imageLba, image.sizeBytes, slotCount, slotBytes, peerPid);
      this.#controllers.set(device.bdf, controller);
      this.#sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
      return {
        result: {
          device: device.bdf, image,
          layout: { headerBytes: RING_HEADER_BYTES, slotsOffset, slotCount, slotBytes, lbaBytes, ringEntries: RING_ENTRIES, maxRequestBytes },
        },
        fd,
      };
    } catch (err) {
      controller.close();
      throw err;
    }
  }

  /** Ends `bdf`'s session, if any, and shuts its controller down. */
  close(bdf: string): void {
    const controller = this.#controllers.get(bdf);
    if (controller === undefined) return;
    this.#end(bdf, controller, "closed by the helper");
  }

  /** Ends every session (the helper is stopping). */
  closeAll(): void {
    for (const bdf of [...this.#controllers.keys()]) this.close(bdf);
  }

  /** Shuts down the controllers of sessions that ended; returns how many still run. */
  sweep(): number {
    for (const [bdf, controller] of this.#controllers) {
      const status = controller.dataplaneStatus();
      if (!status.running) this.#end(bdf, controller, status.stopCode === 0 ? "ended by its client" : `ended with data-plane code ${status.stopCode}`);
    }
    if (this.#controllers.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
    return this.#controllers.size;
  }

  #end(bdf: string, controller: VfioNvmeController, why: string): void {
    const status = controller.dataplaneStatus();
    this.#controllers.delete(bdf);
    controller.close();
    this.#log(`data-plane session of ${bdf} ${why}: ${status.requests} requests, ${status.refused} refused, ` +
      `${status.failed} failed, ${status.bytesRead} bytes read, ${status.interrupts > 0 ? `${status.interrupts} MSI-X interrupts` : "completions polled"}; ` +
      "controller shut down, device left on vfio-pci");
  }
}

/** The image header, read through the driver (the block device is gone): a VALID image that fits its area, or NT_E_NOT_FOUND. */
function readValidImage(controller: VfioNvmeController, device: DataplaneDevice): HelperVerbResult<"open-dataplane">["image"] {
  const block = Buffer.alloc(IMAGE_HEADER_BYTES);
  controller.read(device.areaStartLba, block);
  const start = decodeAreaStart(block);
  if (start.kind !== "image" || start.header.state !== "valid") {
    throw new NtError("NT_E_NOT_FOUND", `${device.bdf}'s image area holds no valid image (${start.kind === "image" ? "placement unfinished" : start.kind})`);
  }
  const { name, ggufBytes, sha256, placedAtMs } = start.header;
  if (ggufBytes <= 0 || ggufBytes > device.areaBytes - IMAGE_HEADER_BYTES) {
    throw new NtError("NT_E_IO", `${device.bdf}'s image header says ${ggufBytes} bytes, which its ${device.areaBytes}-byte area cannot hold`);
  }
  return { name, sizeBytes: ggufBytes, sha256, placedAtMs };
}

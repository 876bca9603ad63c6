import { NtError } from "../../protocol/NtError.js";
import { type DataplaneStatus, helperNativeAddon, type NvmeControllerInfo, type NvmeHandle } from "../native/helperNativeAddon.js";

/** Where the controller is: its PCI address and the IOMMU group sysfs shows for it. */
export interface VfioNvmeLocation {
  /** Canonical PCI address, dddd:bb:dd.f. */
  bdf: string;
  /** The IOMMU group number (its /dev/vfio node is opened; the device must be on vfio-pci). */
  iommuGroup: string;
  /** The allowlist's serial: Identify must report exactly this. */
  serial: string;
}

/**
 * An allowlisted NVMe controller driven by the helper's own user-space driver through VFIO
 * (native/nvme_controller.c): brought up on open, read block by block, shut down (CC.SHN) on
 * close. The VFIO fds and DMA addresses never leave the native code; a closed controller refuses
 * every call with NT_E_IO.
 */
export class VfioNvmeController {
  readonly info: NvmeControllerInfo;
  #handle: NvmeHandle | undefined;

  private constructor(handle: NvmeHandle) {
    this.#handle = handle;
    this.info = helperNativeAddon().nvmeInfo(handle);
  }

  /** Opens and brings up the controller; an NtError (NT_E_IDENTITY_MISMATCH, NT_E_DEVICE_BUSY, NT_E_TIMEOUT, NT_E_IO …) when it cannot. */
  static open(location: VfioNvmeLocation): VfioNvmeController {
    if (!/^[0-9]{1,6}$/.test(location.iommuGroup)) throw new NtError("NT_E_BAD_REQUEST", `IOMMU group "${location.iommuGroup}" is not a number`);
    try {
      return new VfioNvmeController(helperNativeAddon().nvmeOpen(`/dev/vfio/${location.iommuGroup}`, location.bdf, location.serial));
    } catch (err) {
      throw NtError.from(err);
    }
  }

  /** Fills `buffer` (whole logical blocks) from block `lba` of the first namespace. */
  read(lba: number, buffer: Buffer, dmaOffset = 0): void {
    const handle = this.#open();
    try {
      helperNativeAddon().nvmeRead(handle, lba, buffer, dmaOffset);
    } catch (err) {
      throw NtError.from(err);
    }
  }

  /**
   * Starts the data plane on this controller (native/dataplane.c) for the image at `imageLba` of
   * `imageBytes`; returns the memfd (the caller's to pass on and close) and the layout facts.
   */
  openDataplane(imageLba: number, imageBytes: number, slotCount: number, slotBytes: number, peerPid: number):
    { fd: number; slotsOffset: number; maxRequestBytes: number } {
    const handle = this.#open();
    try {
      return helperNativeAddon().dataplaneOpen(handle, imageLba, imageBytes, slotCount, slotBytes, peerPid);
    } catch (err) {
      throw NtError.from(err);
    }
  }

  /** The data plane's state and counters. */
  dataplaneStatus(): DataplaneStatus {
    return helperNativeAddon().dataplaneStatus(this.#open());
  }

  /** Shuts the controller down and releases VFIO; later calls are refused. Idempotent. */
  close(): void {
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle !== undefined) helperNativeAddon().nvmeClose(handle);
  }

  #open(): NvmeHandle {
    if (this.#handle === undefined) throw new NtError("NT_E_IO", "the NVMe controller is closed");
    return this.#handle;
  }
}

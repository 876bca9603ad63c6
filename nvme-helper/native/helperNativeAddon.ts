import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadNativeAddon } from "../../protocol/loadNativeAddon.js";

/** The helper's privileged primitives (this folder's C, built by `npm run build:helper-native`). */
export interface HelperNativeAddon {
  /** SO_PEERCRED of a connected Unix socket: the peer's pid, uid, gid at connect(). */
  peerCredentials(fd: number): { pid: number; uid: number; gid: number };
  /** A zeroed Buffer at a 4096-byte aligned address (O_DIRECT); bytes a multiple of 4096. */
  alignedBuffer(bytes: number): Buffer;
  /** ioctl BLKSSZGET / BLKGETSIZE64 of an open block device. */
  blockDeviceGeometry(fd: number): { logicalBlockSize: number; sizeBytes: number };
  /**
   * Takes the controller `bdf` of VFIO group `groupPath` (/dev/vfio/N; the device bound to
   * vfio-pci) and brings it up with the helper's user-space NVMe driver; NT_E_IDENTITY_MISMATCH
   * when Identify's serial is not `serial`, NT_E_DEVICE_BUSY when another process holds the group.
   */
  nvmeOpen(groupPath: string, bdf: string, serial: string): NvmeHandle;
  /** What Identify said of the controller and its first active namespace. */
  nvmeInfo(handle: NvmeHandle): NvmeControllerInfo;
  /** Fills `buffer` (whole blocks) from block `lba` on; blocks the thread. `dmaOffset`: where in its first DMA page the data lands (tests). */
  nvmeRead(handle: NvmeHandle, lba: number, buffer: Buffer, dmaOffset?: number): void;
  /** Deletes the I/O queues, shuts the controller down (CC.SHN) and closes VFIO. Idempotent. */
  nvmeClose(handle: NvmeHandle): void;
  /**
   * Starts the data-plane thread on the controller's I/O queue (native/dataplane.c): a sealed memfd
   * of one ring page and `slotCount` × `slotBytes` staging bytes, the slots mapped for DMA; the
   * session ends when `peerPid` exits. `fd` is the caller's to pass on and close.
   */
  dataplaneOpen(handle: NvmeHandle, imageLba: number, imageBytes: number, slotCount: number, slotBytes: number, peerPid: number):
    { fd: number; slotsOffset: number; maxRequestBytes: number };
  dataplaneStatus(handle: NvmeHandle): DataplaneStatus;
  /** Ends the session (in-flight commands waited out) and unmaps its slots. Idempotent. */
  dataplaneClose(handle: NvmeHandle): void;
}

/** A data-plane session's state and counters. */
export interface DataplaneStatus {
  /** Started and not yet closed (its thread may have ended on its own). */
  active: boolean;
  running: boolean;
  /** Why it ended, once not running: 0 asked to (or the client went away), else an NT_DP_E_* code. */
  stopCode: number;
  requests: number;
  refused: number;
  bytesRead: number;
  failed: number;
  /** MSI-X wake-ups of the data-plane thread (its eventfd); 0 when the controller's completions are polled. */
  interrupts: number;
}

/** An open controller of nvmeOpen: opaque to JavaScript (the VFIO fds and IOVAs stay in C). */
export type NvmeHandle = { readonly __nvmeHandle: unique symbol };

/** Identify Controller and Identify Namespace, as the driver read them. */
export interface NvmeControllerInfo {
  serial: string;
  model: string;
  firmware: string;
  namespaceId: number;
  /** Logical block size of the namespace: 512 … 4096. */
  lbaBytes: number;
  lbaCount: number;
  /** Bytes one READ command moves at most (MDTS, capped at 1 MiB). */
  maxTransferBytes: number;
}

let addon: HelperNativeAddon | undefined;

/**
 * The addon, loaded on first use, or NT_E_INTERNAL naming what was tried. The helper authorises
 * every connection by SO_PEERCRED and writes images with O_DIRECT, neither of which Node can do.
 */
export function helperNativeAddon(): HelperNativeAddon {
  if (addon) return addon;
  const here = path.dirname(fileURLToPath(import.meta.url));
  // From dist/nvme-helper/native/ and from nvme-helper/native/ (sources run directly).
  addon = loadNativeAddon<HelperNativeAddon>([
    path.resolve(here, "../../../nvme-helper/native/build/Release/nt_helper_native.node"),
    path.resolve(here, "build/Release/nt_helper_native.node"),
  ], "the helper's native addon is not built (npm run build:helper-native); the helper needs it for SO_PEERCRED " +
    "and O_DIRECT image writes");
  return addon;
}

import { createHash } from "node:crypto";
import { closeSync, constants, fdatasyncSync, read, readSync, write, writeSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { NtError } from "../../protocol/NtError.js";
import type { AllowedDevice } from "../config/helperConfigSchema.js";
import { openNamespaceNode } from "../device/openNamespaceNode.js";
import { helperNativeAddon } from "../native/helperNativeAddon.js";
import type { PciDeviceFacts } from "../sysfs/SysfsTree.js";
import { decodeAreaStart, encodeImageHeader, IMAGE_HEADER_BYTES, type AreaStart, type ImageHeader } from "./imageHeader.js";

const readAsync = promisify(read);
const writeAsync = promisify(write);

/** O_DIRECT I/O unit and buffer alignment: 4096 covers every NVMe logical block size (512 or 4096). */
const BLOCK = 4096;
/** Bytes moved per read/write while placing. */
const CHUNK = 1 << 20;
/** How much of an area without our header must be zero before `place` takes it (btrfs, ISO 9660, LVM … sign within it). */
const FOREIGN_SCAN_BYTES = 1 << 20;

/** The block device of a namespace and the configured image area on it. */
export interface ImageAreaLocation {
  /** /dev/<namespace> (under --dev-root in tests). */
  devicePath: string;
  /** "major:minor" sysfs gives for the namespace; the opened node must be that device. */
  devNumber: string;
  startLba: number;
  sizeBytes: number;
}

/**
 * The block device node (under `devRoot`) of the device's first namespace and its image area;
 * NT_E_DEVICE_BUSY when the device is off nvme and so has no block device.
 */
export function locateImageArea(allowed: AllowedDevice, facts: PciDeviceFacts, devRoot: string): ImageAreaLocation {
  const namespace = facts.driver === "nvme" ? facts.namespaces[0] : undefined;
  if (!namespace?.devNumber) {
    throw new NtError("NT_E_DEVICE_BUSY", `${allowed.bdf} has no block device (it is on ${facts.driver ?? "no driver"}, not nvme); restore it first`);
  }
  return {
    devicePath: path.join(devRoot, namespace.name), devNumber: namespace.devNumber,
    startLba: allowed.imageArea.startLba, sizeBytes: allowed.imageArea.sizeBytes,
  };
}

/**
 * The image area of one namespace, opened by the helper itself (never a client's path): the node
 * must be a block device whose number is the one sysfs shows for the allowlisted namespace, opened
 * O_DIRECT|O_NOFOLLOW (and O_EXCL when writing, so the kernel refuses a device that is mounted or
 * claimed by dm/md/swap: EBUSY). Nothing outside [start, start + size) is ever written.
 */
export class ImageArea {
  readonly fd: number;
  /** Byte offset of the area (its header) on the device. */
  readonly startBytes: number;
  readonly sizeBytes: number;
  #closed = false;

  private constructor(fd: number, startBytes: number, sizeBytes: number) {
    this.fd = fd;
    this.startBytes = startBytes;
    this.sizeBytes = sizeBytes;
  }

  /** Where the GGUF starts on the device. */
  get dataStartBytes(): number {
    return this.startBytes + IMAGE_HEADER_BYTES;
  }

  /** The most GGUF bytes the area holds (after the header, padded to whole blocks). */
  get capacityBytes(): number {
    return this.sizeBytes - IMAGE_HEADER_BYTES;
  }

  /** Whether `bytes` of GGUF, written in whole O_DIRECT blocks, fit after the header. */
  fits(bytes: number): boolean {
    return Math.ceil(bytes / BLOCK) * BLOCK <= this.capacityBytes;
  }

  static open(location: ImageAreaLocation, mode: "read" | "write"): ImageArea {
    const flags = (mode === "write" ? constants.O_RDWR | constants.O_EXCL : constants.O_RDONLY) | constants.O_DIRECT;
    const fd = openNamespaceNode(location.devicePath, location.devNumber, flags);
    try {
      const geometry = helperNativeAddon().blockDeviceGeometry(fd);
      const startBytes = location.startLba * geometry.logicalBlockSize;
      if (startBytes % BLOCK !== 0) {
        throw new NtError("NT_E_UNSUPPORTED", `image area start ${startBytes} (LBA ${location.startLba}) is not 4096-byte aligned; O_DIRECT needs it`);
      }
      if (startBytes + location.sizeBytes > geometry.sizeBytes || location.sizeBytes <= IMAGE_HEADER_BYTES) {
        throw new NtError("NT_E_IO", `the configured image area [${startBytes}, +${location.sizeBytes}) does not fit the ${geometry.sizeBytes}-byte device ${location.devicePath}`);
      }
      return new ImageArea(fd, startBytes, location.sizeBytes);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** What the area's first block holds; when it is zero, the first MiB must be too, or it is foreign. */
  readStart(): AreaStart {
    const scan = helperNativeAddon().alignedBuffer(Math.min(FOREIGN_SCAN_BYTES, this.sizeBytes));
    this.#readFully(scan, this.startBytes);
    const start = decodeAreaStart(scan);
    if (start.kind === "zero" && !scan.every((byte) => byte === 0)) return { kind: "foreign" };
    return start;
  }

  /** The header, if the area holds one of ours (valid or invalid). */
  readHeader(): ImageHeader | undefined {
    const block = helperNativeAddon().alignedBuffer(IMAGE_HEADER_BYTES);
    this.#readFully(block, this.startBytes);
    const start = decodeAreaStart(block);
    return start.kind === "image" ? start.header : undefined;
  }

  /** Writes the header block and makes it durable (fdatasync) before returning. */
  writeHeader(header: ImageHeader): void {
    const block = helperNativeAddon().alignedBuffer(IMAGE_HEADER_BYTES);
    encodeImageHeader(header, block);
    if (writeSync(this.fd, block, 0, IMAGE_HEADER_BYTES, this.startBytes) !== IMAGE_HEADER_BYTES) {
      throw new NtError("NT_E_IO", "short write of the image header");
    }
    fdatasyncSync(this.fd);
  }

  /**
   * Copies `bytes` bytes of `sourceFd` (from offset 0) after the header, the tail padded with zeros
   * to a whole block, and returns the SHA-256 of what was read from the source. `afterChunk` runs
   * after each chunk with the bytes done so far. A source that ends early is NT_E_BAD_FD.
   */
  async writeData(sourceFd: number, bytes: number, afterChunk: (done: number) => void): Promise<string> {
    const buffer = helperNativeAddon().alignedBuffer(CHUNK);
    const hash = createHash("sha256");
    for (let done = 0; done < bytes;) {
      const want = Math.min(CHUNK, bytes - done);
      let filled = 0;
      while (filled < want) {
        const { bytesRead } = await readAsync(sourceFd, buffer, filled, want - filled, done + filled);
        if (bytesRead === 0) throw new NtError("NT_E_BAD_FD", `the GGUF ended at ${done + filled} bytes, but it had ${bytes} when placing began`);
        filled += bytesRead;
      }
      hash.update(buffer.subarray(0, want));
      const padded = Math.ceil(want / BLOCK) * BLOCK;
      buffer.fill(0, want, padded);
      const { bytesWritten } = await writeAsync(this.fd, buffer, 0, padded, this.dataStartBytes + done);
      if (bytesWritten !== padded) throw new NtError("NT_E_IO", `short write at ${done} of the image`);
      done += want;
      afterChunk(done);
    }
    return hash.digest("hex");
  }

  /** fdatasync of the device: what was written is on stable storage when it returns. */
  sync(): void {
    fdatasyncSync(this.fd);
  }

  /** SHA-256 of `bytes` GGUF bytes read back from the device (O_DIRECT: from the device, not a cache). */
  async hashData(bytes: number): Promise<string> {
    const buffer = helperNativeAddon().alignedBuffer(CHUNK);
    const hash = createHash("sha256");
    for (let done = 0; done < bytes;) {
      const want = Math.min(CHUNK, bytes - done);
      const padded = Math.ceil(want / BLOCK) * BLOCK;
      const { bytesRead } = await readAsync(this.fd, buffer, 0, padded, this.dataStartBytes + done);
      if (bytesRead < want) throw new NtError("NT_E_IO", `short read at ${done} of the image`);
      hash.update(buffer.subarray(0, want));
      done += want;
    }
    return hash.digest("hex");
  }

  /** Hands the fd over (open-image): the area no longer closes it. */
  release(): number {
    this.#closed = true;
    return this.fd;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.fd);
  }

  #readFully(buffer: Buffer, position: number): void {
    const bytesRead = readSync(this.fd, buffer, 0, buffer.length, position);
    if (bytesRead !== buffer.length) throw new NtError("NT_E_IO", `short read of the image area at ${position}`);
  }
}

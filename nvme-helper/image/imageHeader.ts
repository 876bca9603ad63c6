import { createHash } from "node:crypto";

/** The image header's size: one 4096-byte block at the start of the image area; the GGUF follows it. */
export const IMAGE_HEADER_BYTES = 4096;

const MAGIC = "NTIMAGE1";
const VERSION = 1;
const STATE_VALID = 1;
const STATE_INVALID = 2;
const MAX_NAME_BYTES = 255;
/** The header's own SHA-256 sits in its last 32 bytes and covers everything before. */
const CHECKSUM_AT = IMAGE_HEADER_BYTES - 32;

/** What an image header says. */
export interface ImageHeader {
  /** valid: written and verified by read-back; invalid: a placement started and did not finish. */
  state: "valid" | "invalid";
  name: string;
  ggufBytes: number;
  /** Hex SHA-256 of the GGUF bytes; "" while invalid. */
  sha256: string;
  placedAtMs: number;
}

/** What the first block of an image area holds. */
export type AreaStart = { kind: "image"; header: ImageHeader } | { kind: "zero" } | { kind: "damaged-image" } | { kind: "foreign" };

/**
 * The header block, little-endian: "NTIMAGE1", u32 version, u32 state (1 valid, 2 invalid),
 * u64 GGUF bytes, u64 placed-at ms, 32-byte SHA-256 of the GGUF, u32 name length, name (UTF-8,
 * ≤ 255 bytes), zeros, and the SHA-256 of bytes 0..4063 in 4064..4095. Written into `block`
 * (4096 bytes, aligned for O_DIRECT).
 */
export function encodeImageHeader(header: ImageHeader, block: Buffer): void {
  const name = Buffer.from(header.name, "utf8");
  if (name.length > MAX_NAME_BYTES) throw new RangeError(`image name of ${name.length} bytes is above ${MAX_NAME_BYTES}`);
  block.fill(0, 0, IMAGE_HEADER_BYTES);
  block.write(MAGIC, 0, "latin1");
  block.writeUInt32LE(VERSION, 8);
  block.writeUInt32LE(header.state === "valid" ? STATE_VALID : STATE_INVALID, 12);
  block.writeBigUInt64LE(BigInt(header.ggufBytes), 16);
  block.writeBigUInt64LE(BigInt(header.placedAtMs), 24);
  if (header.sha256 !== "") Buffer.from(header.sha256, "hex").copy(block, 32);
  block.writeUInt32LE(name.length, 64);
  name.copy(block, 68);
  createHash("sha256").update(block.subarray(0, CHECKSUM_AT)).digest().copy(block, CHECKSUM_AT);
}

/**
 * Classifies the first block of an image area: one of our headers (checksum good), all zeros,
 * our magic with a bad checksum (a torn header write: ours, so it may be overwritten), or
 * anything else — foreign data that `place` must not overwrite.
 */
export function decodeAreaStart(block: Buffer): AreaStart {
  const head = block.subarray(0, IMAGE_HEADER_BYTES);
  if (head.toString("latin1", 0, 8) !== MAGIC) return head.every((byte) => byte === 0) ? { kind: "zero" } : { kind: "foreign" };
  const checksum = createHash("sha256").update(head.subarray(0, CHECKSUM_AT)).digest();
  const nameBytes = head.readUInt32LE(64);
  const state = head.readUInt32LE(12);
  if (!checksum.equals(head.subarray(CHECKSUM_AT)) || head.readUInt32LE(8) !== VERSION || nameBytes > MAX_NAME_BYTES ||
    (state !== STATE_VALID && state !== STATE_INVALID)) {
    return { kind: "damaged-image" };
  }
  const ggufBytes = Number(head.readBigUInt64LE(16));
  const placedAtMs = Number(head.readBigUInt64LE(24));
  return {
    kind: "image",
    header: {
      state: state === STATE_VALID ? "valid" : "invalid",
      name: head.toString("utf8", 68, 68 + nameBytes),
      ggufBytes, placedAtMs,
      sha256: state === STATE_VALID ? head.subarray(32, 64).toString("hex") : "",
    },
  };
}

import { NtError } from "../../protocol/NtError.js";

/** Bytes checkGgufHeader looks at: magic, version, tensor count, metadata count. */
export const GGUF_HEAD_BYTES = 24;
/** Far above any real model (a few thousand tensors, a few dozen keys), far below what would overflow anything. */
const MAX_COUNT = 1n << 20n;
/** The smallest tensor-info entry: name length (u64), n_dims (u32), one dim (u64), type (u32), offset (u64). */
const MIN_TENSOR_INFO_BYTES = 32n;
/** The smallest metadata entry: key length (u64), value type (u32), a one-byte value. */
const MIN_KV_BYTES = 13n;

/**
 * The helper's whole GGUF check (DESIGN §6: a root process parses as little as it can): magic
 * "GGUF", version 2 or 3, bounded tensor and metadata counts that fit in the file. The helper
 * copies bytes; it never interprets tensors. Throws NT_E_BAD_GGUF.
 */
export function checkGgufHeader(head: Buffer, fileBytes: number): void {
  if (fileBytes < GGUF_HEAD_BYTES || head.length < GGUF_HEAD_BYTES) {
    throw new NtError("NT_E_BAD_GGUF", `the file has ${fileBytes} bytes, fewer than a GGUF header's ${GGUF_HEAD_BYTES}`);
  }
  if (head.toString("latin1", 0, 4) !== "GGUF") throw new NtError("NT_E_BAD_GGUF", "the file does not start with the GGUF magic");
  const version = head.readUInt32LE(4);
  if (version !== 2 && version !== 3) throw new NtError("NT_E_BAD_GGUF", `GGUF version ${version}; only 2 and 3 are placed`);
  const tensors = head.readBigUInt64LE(8);
  const kvs = head.readBigUInt64LE(16);
  if (tensors > MAX_COUNT || kvs > MAX_COUNT) {
    throw new NtError("NT_E_BAD_GGUF", `GGUF declares ${tensors} tensors and ${kvs} metadata keys; at most ${MAX_COUNT} of each`);
  }
  if (BigInt(GGUF_HEAD_BYTES) + tensors * MIN_TENSOR_INFO_BYTES + kvs * MIN_KV_BYTES > BigInt(fileBytes)) {
    throw new NtError("NT_E_BAD_GGUF", `GGUF declares ${tensors} tensors and ${kvs} metadata keys, more than its ${fileBytes} bytes can hold`);
  }
}

import { fstat, read, type Stats } from "node:fs";
import { promisify } from "node:util";
import { NtError } from "../../protocol/NtError.js";

const fstatAsync = promisify(fstat);
const readAsync = promisify(read);

/** Bytes checkGgufHeader looks at: magic, version, tensor count, metadata count. */
const GGUF_HEAD_BYTES = 24;
/** Far above any real model (a few thousand tensors, a few dozen keys), far below what would overflow anything. */
const MAX_COUNT = 1n << 20n;
/** The smallest tensor-info entry: name length (u64), n_dims (u32), one dim (u64), type (u32), offset (u64). */
const MIN_TENSOR_INFO_BYTES = 32n;
/** The smallest metadata entry: key length (u64), value type (u32), a one-byte value. */
const MIN_KV_BYTES = 13n;

/**
 * The client's fd must be a regular file it opened for reading (fstat; a read of its head, which
 * fails with EBADF for a write-only or O_PATH fd): NT_E_BAD_FD otherwise. Then the bounded GGUF
 * check. Returns the file's size. Both calls run off the event loop with a deadline of
 * `timeoutMs` (withClientFdDeadline): a FUSE file can stall either, and must not stall the helper.
 */
export async function checkSourceFd(fd: number, timeoutMs: number): Promise<number> {
  const { stats, head } = await withClientFdDeadline(timeoutMs, "the fd passed to place", async (abandoned) => {
    let stats: Stats;
    try {
      stats = await fstatAsync(fd);
    } catch (err) {
      throw new NtError("NT_E_BAD_FD", `fstat of the fd passed to place failed: ${(err as Error).message}`);
    }
    // A pipe, socket or device is refused before any read: reading one could wait forever.
    if (!stats.isFile() || abandoned()) return { stats, head: Buffer.alloc(0) };
    const buffer = Buffer.alloc(GGUF_HEAD_BYTES);
    try {
      const { bytesRead } = await readAsync(fd, buffer, 0, GGUF_HEAD_BYTES, 0);
      return { stats, head: buffer.subarray(0, bytesRead) };
    } catch (err) {
      throw new NtError("NT_E_BAD_FD", `the fd passed to place is not readable: ${(err as Error).message}`);
    }
  });
  if (!stats.isFile()) {
    throw new NtError("NT_E_BAD_FD", `the fd passed to place is ${stats.isDirectory() ? "a directory" : stats.isFIFO() ? "a pipe" :
      stats.isSocket() ? "a socket" : stats.isBlockDevice() || stats.isCharacterDevice() ? "a device" : "not a regular file"}; it must be an open GGUF file`);
  }
  checkGgufHeader(head, stats.size);
  return stats.size;
}

/**
 * Set while a call that timed out still waits in the kernel: a read of a FUSE file whose server
 * never answers (or a FIFO whose writer never writes) cannot be cancelled, and holds one of
 * libuv's four pool threads until it returns — threads the helper's own file and sysfs I/O needs.
 */
let stalled: Promise<void> | undefined;

/**
 * Runs `operation` — asynchronous fs calls (libuv's pool) on an fd a client passed — for at most
 * `timeoutMs`, so that a file that never answers costs the request NT_E_BAD_FD instead of hanging
 * the helper. The event loop stays free meanwhile. After a timeout the operation is abandoned:
 * `abandoned()` turns true, and the operation must then start no further call on the fd (the
 * caller closes it, and its number may be reused). While an abandoned call is still stuck, further
 * calls are refused at once (NT_E_BUSY), so one hostile file holds at most one pool thread.
 * `what` names the fd in the messages.
 */
export async function withClientFdDeadline<T>(timeoutMs: number, what: string,
  operation: (abandoned: () => boolean) => Promise<T>): Promise<T> {
  if (stalled) {
    throw new NtError("NT_E_BUSY", `a file passed earlier has not answered a read for more than ${timeoutMs} ms, and the helper ` +
      `waits for it before reading another client's file; try again once it answers (or its FUSE server is gone)`);
  }
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const work = operation(() => timedOut);
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new NtError("NT_E_BAD_FD", `${what} did not answer a read within ${timeoutMs} ms (a stalled FUSE or network file?)`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } catch (err) {
    if (timedOut) {
      const pending: Promise<void> = work.then(() => {}, () => {}).finally(() => {
        if (stalled === pending) stalled = undefined;
      });
      stalled = pending;
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The helper's whole GGUF check (DESIGN §6: a root process parses as little as it can): magic
 * "GGUF", version 2 or 3, bounded tensor and metadata counts that fit in the file. The helper
 * copies bytes; it never interprets tensors. Throws NT_E_BAD_GGUF.
 */
function checkGgufHeader(head: Buffer, fileBytes: number): void {
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

import { fstat, read, type Stats } from "node:fs";
import { promisify } from "node:util";
import { NtError } from "../../protocol/NtError.js";
import { checkGgufHeader, GGUF_HEAD_BYTES } from "./checkGgufHeader.js";
import { withClientFdDeadline } from "./withClientFdDeadline.js";

const fstatAsync = promisify(fstat);
const readAsync = promisify(read);

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

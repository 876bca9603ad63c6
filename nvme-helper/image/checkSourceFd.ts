import { fstatSync, readSync } from "node:fs";
import { NtError } from "../../protocol/NtError.js";
import { checkGgufHeader, GGUF_HEAD_BYTES } from "./checkGgufHeader.js";

/**
 * The client's fd must be a regular file it opened for reading (fstat; a read of its head, which
 * fails with EBADF for a write-only or O_PATH fd): NT_E_BAD_FD otherwise. Then the bounded GGUF
 * check. Returns the file's size.
 */
export function checkSourceFd(fd: number): number {
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

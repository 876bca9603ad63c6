import { NtError } from "../../protocol/NtError.js";

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

import { closeSync, writeSync } from "node:fs";

/** protocol/helper/dataplaneRing.h: the header's session_state word and NT_DP_STATE_CLIENT_CLOSED. */
const SESSION_STATE_OFFSET = 320;
const STATE_CLIENT_CLOSED = 1;

/**
 * Ends a data-plane session the daemon opened but will not load from (its image is not the one
 * asked for), as the engine's reader ends its own: NT_DP_STATE_CLIENT_CLOSED in the ring's header,
 * which the helper's data-plane thread reads within its idle wait, then it shuts the controller
 * down. Written through the memfd (no mapping needed), then the fd is closed. Errors are ignored:
 * the helper also ends the session when ntd exits.
 */
export function endDataplaneSession(fd: number): void {
  try {
    const word = Buffer.alloc(4);
    word.writeUInt32LE(STATE_CLIENT_CLOSED);
    writeSync(fd, word, 0, 4, SESSION_STATE_OFFSET);
  } catch {
    // The session ends with the daemon at the latest.
  } finally {
    closeSync(fd);
  }
}

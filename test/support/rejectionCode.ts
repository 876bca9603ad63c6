import { NtError } from "../../protocol/NtError.js";

/**
 * The NtError code a promise rejects with, "resolved" if it does not, or a description of a
 * rejection that is not an NtError — tests assert on codes, never on message text.
 */
export async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "resolved";
  } catch (err) {
    return err instanceof NtError ? err.code : `not an NtError: ${String(err)}`;
  }
}

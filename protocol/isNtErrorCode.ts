import { NT_ERROR_CODES, type NtErrorCode } from "./errorCodes.js";

const known: ReadonlySet<unknown> = new Set(NT_ERROR_CODES);

/** Whether a value is one of the stable error codes (codes arrive from the wire and the addon as plain strings). */
export function isNtErrorCode(value: unknown): value is NtErrorCode {
  return known.has(value);
}

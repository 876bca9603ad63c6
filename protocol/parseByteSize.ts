import { NtError } from "./NtError.js";

/** Bytes per unit, by lower-cased unit: IEC binary units (KiB = 1024) and SI decimal ones (KB = 1000). */
const UNIT_BYTES: Readonly<Record<string, number>> = {
  "": 1, b: 1,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
};

const SIZE_PATTERN = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i;

/**
 * A size in bytes from a number of bytes or a string such as "24GiB", "512 MiB", "1.5GB", "4096"
 * (units: B, KiB, MiB, GiB, TiB, and the decimal KB, MB, GB, TB; any case). A fraction of a byte
 * is rounded down, since a budget must not be exceeded. Refuses negatives, anything else, and
 * sizes beyond 2^53 - 1 bytes (the largest integer a double and the protocol carry exactly) with
 * NT_E_BAD_REQUEST; `what` names the value in the message ("--vram-budget", "vramBudget").
 */
export function parseByteSize(value: string | number, what = "size"): number {
  const bytes = typeof value === "number" ? value : bytesOfText(value.trim(), what);
  if (Number.isNaN(bytes)) throw new NtError("NT_E_BAD_REQUEST", `${what} must be a number of bytes, not ${value}`);
  if (bytes < 0) throw new NtError("NT_E_BAD_REQUEST", `${what} must not be negative (${value})`);
  if (bytes > Number.MAX_SAFE_INTEGER) {
    throw new NtError("NT_E_BAD_REQUEST", `${what} ${value} is too large: sizes stop at 2^53 - 1 bytes (8 PiB)`);
  }
  if (!Number.isInteger(bytes)) throw new NtError("NT_E_BAD_REQUEST", `${what} must be a whole number of bytes, not ${value}`);
  return bytes;
}

function bytesOfText(text: string, what: string): number {
  if (text.startsWith("-")) throw new NtError("NT_E_BAD_REQUEST", `${what} must not be negative ("${text}")`);
  const match = SIZE_PATTERN.exec(text);
  const unit = match ? UNIT_BYTES[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new NtError("NT_E_BAD_REQUEST",
      `${what} "${text}" is not a size: give bytes, or a number with KiB, MiB, GiB, TiB (x1024) or KB, MB, GB, TB (x1000), e.g. "24GiB"`);
  }
  const number = Number(match[1]);
  // Plain bytes must be whole; with a unit, a fraction ("1.5GB") is the usual way to write it.
  if (unit === 1) return number;
  return Math.floor(number * unit);
}

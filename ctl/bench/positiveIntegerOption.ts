import { NtError } from "../../protocol/NtError.js";

/**
 * A yargs coerce function for a count flag (-p, -n, -r, -t): a whole number ≥ 1, else a usage
 * error (NT_E_BAD_REQUEST, exit 2) naming the flag. Repeating the flag keeps the last.
 */
export function positiveIntegerOption(flag: string): (value: unknown) => number {
  return (value) => {
    const last = [value].flat().at(-1);
    const n = typeof last === "number" ? last : Number(String(last ?? "").trim() || Number.NaN);
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new NtError("NT_E_BAD_REQUEST", `${flag} must be a whole number of at least 1, not ${String(last)} (see "ntctl --help")`);
    }
    return n;
  };
}

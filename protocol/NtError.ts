import { NT_ERROR_CODES, type NtErrorCode } from "./errorCodes.js";

/**
 * The one error type of the project. `code` is stable and is what programs (and tests) act on;
 * `message` names the thing and the reason, for people.
 */
export class NtError extends Error {
  readonly code: NtErrorCode;

  constructor(code: NtErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NtError";
    this.code = code;
  }

  /** The form sent in an `error` frame: the code and message only, never a stack. */
  toWire(): { code: NtErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }

  /**
   * Rebuilds an error received in an `error` frame. A code this side does not know (a newer
   * peer) becomes NT_E_INTERNAL, keeping the original code in the message so nothing is lost.
   */
  static fromWire(wire: { code: string; message: string }): NtError {
    if (isNtErrorCode(wire.code)) return new NtError(wire.code, wire.message);
    return new NtError("NT_E_INTERNAL", `${wire.message} [${wire.code}]`);
  }

  /**
   * Wraps anything thrown into an NtError. The native addon rejects with plain Error objects
   * carrying a string `code` (such as "NT_E_BAD_GGUF"); a known code is kept. Node's system
   * errors (they carry `syscall`, e.g. ENOENT from open) become NT_E_IO; anything else is
   * NT_E_INTERNAL. The original is kept as `cause`.
   */
  static from(err: unknown): NtError {
    if (err instanceof NtError) return err;
    if (err instanceof Error) return new NtError(codeOf(err), err.message, { cause: err });
    return new NtError("NT_E_INTERNAL", `non-Error value thrown: ${String(err)}`, { cause: err });
  }
}

/** The code an arbitrary Error maps to (see NtError.from). */
function codeOf(err: Error): NtErrorCode {
  const { code, syscall } = err as { code?: unknown; syscall?: unknown };
  if (isNtErrorCode(code)) return code;
  return typeof syscall === "string" ? "NT_E_IO" : "NT_E_INTERNAL";
}

const KNOWN_CODES: ReadonlySet<unknown> = new Set(NT_ERROR_CODES);

/** Whether a value is one of the stable error codes (codes arrive from the wire and the addon as plain strings). */
export function isNtErrorCode(value: unknown): value is NtErrorCode {
  return KNOWN_CODES.has(value);
}

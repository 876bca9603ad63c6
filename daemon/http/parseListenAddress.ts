import { NtError } from "../../protocol/NtError.js";

/** Where the HTTP server listens. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses "HOST:PORT" ("127.0.0.1:11435", "[::1]:11435", "localhost:0" for a port the system
 * picks). The host is required: listening on every interface must be asked for by name
 * ("0.0.0.0:11435"), never happen because a host was left out.
 */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new NtError("NT_E_BAD_REQUEST",
      `HTTP listen address "${text}" is not HOST:PORT (e.g. 127.0.0.1:11435 or [::1]:11435; empty turns HTTP off)`);
  }
  return { host: match[1] ?? match[2]!, port };
}

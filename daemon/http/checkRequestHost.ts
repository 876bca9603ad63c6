import type { IncomingMessage } from "node:http";
import { NtError } from "../../protocol/NtError.js";
import type { ListenAddress } from "./parseListenAddress.js";
import { isAllowedHost } from "./requestChecks.js";

/**
 * Refuses, with NT_E_FORBIDDEN (403), a request whose Host header names anything but this server
 * (see isAllowedHost). This is what stops DNS rebinding: a web page whose own name the attacker
 * re-points at 127.0.0.1 reaches the API as its "same origin", so the browser lets it read the
 * answers (and /metrics, and /health), but the browser still sends the page's name as Host. A
 * request without Host (HTTP/1.0; no browser sends one) passes: Node refuses HTTP/1.1 ones itself.
 */
export function checkRequestHost(req: IncomingMessage, listen: ListenAddress, allowedHosts: readonly string[]): void {
  const host = req.headers.host;
  if (host === undefined || isAllowedHost(host, listen, allowedHosts)) return;
  throw new NtError("NT_E_FORBIDDEN", `this ntd does not answer requests for host ${JSON.stringify(host)}: `
    + "only loopback names and its listen address; if that is a name of this machine, add it to httpAllowedHosts");
}

import type { IncomingMessage } from "node:http";
import { NtError } from "../../protocol/NtError.js";
import type { ListenAddress } from "./parseListenAddress.js";
import { isAllowedHost } from "./requestChecks.js";

const DEFAULT_PORTS: Readonly<Record<string, string>> = { "http:": "80", "https:": "443" };

/**
 * Checks a request's Origin header and returns the origin to answer with CORS headers: one of
 * `allowedOrigins`. Undefined when there is no Origin (programs, curl, a typed-in URL) or when it
 * is this server's own (http, a host isAllowedHost accepts, the listening port): those need no
 * CORS. Any other Origin, a web page's or "null" (a sandbox, a file), is NT_E_FORBIDDEN (403):
 * browsers send a cross-origin POST with a text/plain body without asking first, so the page
 * could make ntd generate (and load models) even though it cannot read the answer.
 */
export function checkRequestOrigin(req: IncomingMessage, listen: ListenAddress,
  allowedHosts: readonly string[], allowedOrigins: readonly string[]): string | undefined {
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  const url = URL.canParse(origin) ? new URL(origin) : undefined;
  if (url && allowedOrigins.includes(url.origin)) return url.origin;
  if (url?.protocol === "http:" && isOwnHost(url, listen, allowedHosts)) return undefined;
  throw new NtError("NT_E_FORBIDDEN", `this ntd does not answer requests from web pages of origin ${JSON.stringify(origin)}; `
    + "add the origin to httpAllowedOrigins to let its pages use the API");
}

function isOwnHost(url: URL, listen: ListenAddress, allowedHosts: readonly string[]): boolean {
  const port = url.port || DEFAULT_PORTS[url.protocol];
  return Number(port) === listen.port && isAllowedHost(`${url.hostname}:${port}`, listen, allowedHosts);
}

// The checks every HTTP request passes before its route, in the order serve() applies them: its
// Host and Origin (a web page the user visits must neither drive the API nor read it), the CORS
// preflight of an allowed origin, the API key, and the Content-Type of a POST body.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isIP } from "node:net";
import { NtError } from "../../protocol/NtError.js";
import type { ListenAddress } from "./parseListenAddress.js";

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

/** Host (and Origin) names of loopback: they reach this machine whatever DNS says. */
const LOOPBACK_NAMES = new Set(["localhost"]);

/** Listen hosts that stand for every address, not for a name a client would use. */
const WILDCARD_HOSTS = new Set(["0.0.0.0", "[::]"]);

/**
 * Whether `host`, as a Host header carries it ("name", "name:port", "[v6]:port"), names this
 * server: a loopback name or address (localhost, 127.0.0.0/8, [::1], [::ffff:127.x.y.z]) or the
 * listen address's host, each without a port or with the listening port; or an entry of `allowed`
 * ("name": on any port, "name:port": on that one). Case-insensitive; anything unparsable is not.
 */
export function isAllowedHost(host: string, listen: ListenAddress, allowed: readonly string[]): boolean {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host.trim().toLowerCase());
  if (!match) return false;
  const name = match[1]!;
  const port = match[2];
  if (allowed.includes(name) || (port !== undefined && allowed.includes(`${name}:${port}`))) return true;
  if (port !== undefined && Number(port) !== listen.port) return false;
  const listenHost = bracketed(listen.host.toLowerCase());
  return isLoopback(name) || (name === listenHost && !WILDCARD_HOSTS.has(listenHost));
}

function isLoopback(name: string): boolean {
  if (LOOPBACK_NAMES.has(name)) return true;
  if (isIP(name) === 4) return name.startsWith("127.");
  if (!name.startsWith("[") || isIP(name.slice(1, -1)) !== 6) return false;
  // The URL parser writes every spelling of an IPv6 address one way ("[0:0::1]" is "[::1]").
  const canonical = new URL(`http://${name}/`).hostname;
  return canonical === "[::1]" || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}

/** An address as a Host header writes it: IPv6 in brackets. */
function bracketed(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

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

/**
 * Answers a CORS preflight (OPTIONS from an origin in httpAllowedOrigins; the caller has set
 * Access-Control-Allow-Origin): 204 with the route's methods and the headers the page asked to
 * send, cached for 10 minutes. Browsers ask before a cross-origin POST with a JSON body or an
 * Authorization header, and never send credentials with the question, so this is answered before
 * the API key is checked; the request that follows still needs the key.
 */
export function answerPreflight(req: IncomingMessage, res: ServerResponse, methods: readonly string[]): void {
  const askedHeaders = req.headers["access-control-request-headers"];
  res.writeHead(204, {
    "Access-Control-Allow-Methods": methods.join(", "),
    ...(askedHeaders === undefined ? {} : { "Access-Control-Allow-Headers": askedHeaders }),
    "Access-Control-Max-Age": "600",
  });
  res.end();
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Refuses a request that does not carry `key` as `Authorization: Bearer <key>` (what OpenAI
 * clients send from their apiKey) with NT_E_UNAUTHORIZED (401). Both sides are hashed before the
 * constant-time comparison, so neither the key's bytes nor its length leak through timing.
 * An empty key means none is required.
 */
export function assertApiKey(req: IncomingMessage, key: string): void {
  if (key === "") return;
  const header = req.headers.authorization;
  const given = header === undefined ? undefined : BEARER.exec(header)?.[1];
  if (given === undefined) {
    throw new NtError("NT_E_UNAUTHORIZED", "this ntd's HTTP API needs an API key: send \"Authorization: Bearer <key>\"");
  }
  if (!timingSafeEqual(digest(given), digest(key))) {
    throw new NtError("NT_E_UNAUTHORIZED", "incorrect API key");
  }
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/**
 * What is wrong with a request body's Content-Type for ntd's JSON routes, or undefined when it is
 * `application/json` (charset, if given, UTF-8). Requiring it is part of refusing web pages: a
 * page may POST `text/plain`, form or multipart bodies anywhere without asking first, but a JSON
 * body makes the browser ask the server (a CORS preflight), which only allowed origins pass.
 */
export function jsonContentTypeProblem(contentType: string | undefined): string | undefined {
  const hint = "send the JSON body with \"Content-Type: application/json\"";
  if (contentType === undefined) return `the request has no Content-Type; ${hint}`;
  const [mediaType = "", ...parameters] = contentType.split(";").map((part) => part.trim().toLowerCase());
  if (mediaType !== "application/json") return `the request's Content-Type is ${JSON.stringify(contentType)}; ${hint}`;
  const charset = parameters.find((parameter) => parameter.startsWith("charset="))?.slice("charset=".length).replace(/"/g, "");
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
    return `the request's body is in charset ${charset}; ntd reads JSON as UTF-8 only`;
  }
  return undefined;
}

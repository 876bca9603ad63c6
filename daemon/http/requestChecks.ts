import { isIP } from "node:net";
import type { ListenAddress } from "./parseListenAddress.js";

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

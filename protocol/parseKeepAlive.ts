import { NtError } from "./NtError.js";
import type { KeepAlive } from "./verbs/keepAlive.js";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A keep-alive in milliseconds: Infinity for a negative value (never unload), 0 for "unload when
 * idle". A bare number, or a string of digits, counts seconds (Ollama's API takes `"300"` too);
 * a duration string is a sequence of number+unit parts (ms, s, m, h), as Go's time.ParseDuration
 * reads them. Anything else is NT_E_BAD_REQUEST.
 */
export function parseKeepAlive(value: KeepAlive): number {
  if (typeof value === "number") return toMs(value * 1000, value);
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return toMs(Number(text) * 1000, value);
  const match = /^(-?)((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)$/.exec(text);
  if (!match) {
    throw new NtError("NT_E_BAD_REQUEST", `keep-alive ${JSON.stringify(value)} is not a duration such as "30s", "5m", "1h30m" or "-1"`);
  }
  let ms = 0;
  for (const part of (match[2] ?? "").matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    ms += Number(part[1]) * (UNIT_MS[part[2] ?? "s"] ?? 1000);
  }
  return toMs(match[1] === "-" ? -ms : ms, value);
}

function toMs(ms: number, original: KeepAlive): number {
  if (Number.isNaN(ms)) throw new NtError("NT_E_BAD_REQUEST", `keep-alive ${JSON.stringify(original)} is not a number`);
  // Ollama treats any negative keep-alive as "forever"; "-0s" is just 0.
  return ms < 0 ? Infinity : Math.round(ms);
}

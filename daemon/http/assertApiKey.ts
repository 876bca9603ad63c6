import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { NtError } from "../../protocol/NtError.js";

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

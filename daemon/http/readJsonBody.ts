import type { IncomingMessage } from "node:http";
import { NtError } from "../../protocol/NtError.js";

/**
 * Reads a request body of at most `maxBytes` and parses it as JSON. Too large (by Content-Length,
 * before reading, or by the bytes that arrive) → NT_E_FRAME_TOO_LARGE (413); not JSON →
 * NT_E_BAD_REQUEST (400).
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const tooLarge = () => new NtError("NT_E_FRAME_TOO_LARGE", `the request body is larger than ${maxBytes} bytes`);
  if (Number(req.headers["content-length"] ?? 0) > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") throw new NtError("NT_E_BAD_REQUEST", "the request has no body; send a JSON object");
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new NtError("NT_E_BAD_REQUEST", `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

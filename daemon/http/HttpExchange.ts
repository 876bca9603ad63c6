import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "winston";
import type { DaemonMetrics } from "../metrics/DaemonMetrics.js";
import type { ModelRegistry } from "../models/ModelRegistry.js";

/** One HTTP request being served, with what a route handler may use. */
export interface HttpExchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The models the daemon holds. */
  readonly registry: ModelRegistry;
  readonly metrics: DaemonMetrics;
  readonly logger: Logger;
  /** Aborts when the client goes away before the answer is complete; generations stop with it. */
  readonly signal: AbortSignal;
  /** The request body's size cap in bytes (readJsonBody answers 413 above it). */
  readonly maxBodyBytes: number;
}

/** Serves one route: writes the answer, or throws (an NtError) for the server to answer in OpenAI's error shape. */
export type HttpRoute = (exchange: HttpExchange) => Promise<void>;

/** Answers with one JSON document. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import winston, { type Logger } from "winston";
import { NtError } from "../../protocol/NtError.js";
import type { DaemonMetrics } from "../metrics/DaemonMetrics.js";
import { ntdMetrics } from "../metrics/ntdMetrics.js";
import { LISTEN_BACKLOG } from "../listenBacklog.js";
import type { ModelRegistry } from "../models/ModelRegistry.js";
import { sendJson, type HttpExchange } from "./HttpExchange.js";
import { httpErrorOf } from "./httpErrorOf.js";
import { httpRoutes } from "./httpRoutes.js";
import { parseListenAddress, type ListenAddress } from "./parseListenAddress.js";
import { answerPreflight, assertApiKey, checkRequestHost, checkRequestOrigin, jsonContentTypeProblem } from "./requestChecks.js";

/** Options of startHttpServer. */
export interface HttpServerOptions {
  /** The models the API serves (the daemon's registry). Required. */
  registry: ModelRegistry;
  /**
   * "HOST:PORT" to listen on, e.g. "127.0.0.1:11435" (the daemon's default, config key
   * http.listen); port 0 lets the system pick one (tests). Every local user can reach a loopback
   * port, so listening elsewhere should be a deliberate choice. Required.
   */
  listen: string;
  /** Where log lines go: one debug line per request, a warning per 5xx answer. Default: discards everything. */
  logger?: Logger;
  /** Largest request body accepted, in bytes; larger ones are answered 413. Default 4 MiB (a long chat history). */
  maxBodyBytes?: number;
  /** Where requests and generations are counted, and what /metrics serves. Default: this process's ntdMetrics. */
  metrics?: DaemonMetrics;
  /**
   * The key every route but /health requires as `Authorization: Bearer <key>` (401 otherwise); a
   * function is asked per request, so the key can change while the server runs. "" or absent:
   * no key. Default: none.
   */
  apiKey?: string | (() => string);
  /**
   * Host names answered besides loopback ones and the listen address ("name": any port,
   * "name:port": that one); any other Host is 403, on every route (DNS rebinding). A function is
   * asked per request. Default: none.
   */
  allowedHosts?: readonly string[] | (() => readonly string[]);
  /**
   * Origins (as browsers send them: "http://localhost:3000") whose pages may call the API; they
   * get CORS headers and preflight answers. A request with any other Origin but the server's own
   * is 403. A function is asked per request. Default: none.
   */
  allowedOrigins?: readonly string[] | (() => readonly string[]);
}

/** What serve() needs besides the request: the exchange's shared part and the access rules. */
interface ServeContext extends Pick<HttpExchange, "registry" | "logger" | "metrics" | "maxBodyBytes"> {
  listen: ListenAddress;
  apiKey: () => string;
  allowedHosts: () => readonly string[];
  allowedOrigins: () => readonly string[];
}

/** A running HTTP server. */
export interface HttpServerHandle {
  /** Where it listens, with the port the system picked when 0 was asked for. */
  readonly address: ListenAddress;
  /** Its base URL, e.g. "http://127.0.0.1:11435". */
  readonly url: string;
  /**
   * Stops accepting and drops every connection: streams in flight end, and their generations are
   * cancelled as if their clients had left. Resolves once the server is closed. Safe to call twice.
   */
  close(): Promise<void>;
}

/**
 * Starts ntd's HTTP server: the OpenAI-compatible API (/v1/models, /v1/chat/completions,
 * /v1/completions), /health and /metrics, all but /health behind the API key when one is set.
 * Every route, /health included, answers only requests for this server's Host and without a
 * foreign Origin, and POST bodies must be application/json: a web page the user visits must not
 * drive the API (cross-origin POSTs) nor read it (DNS rebinding). Plain node:http: five routes
 * need no framework.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const { host, port } = parseListenAddress(options.listen);
  const logger = options.logger ?? winston.createLogger({ silent: true });
  const metrics = options.metrics ?? ntdMetrics;
  const { apiKey = "", allowedHosts = [], allowedOrigins = [] } = options;
  const listen = { host, port };
  const shared: ServeContext = {
    registry: options.registry, logger, metrics, maxBodyBytes: options.maxBodyBytes ?? 4 * 2 ** 20, listen,
    apiKey: typeof apiKey === "function" ? apiKey : () => apiKey,
    allowedHosts: typeof allowedHosts === "function" ? allowedHosts : () => allowedHosts,
    allowedOrigins: typeof allowedOrigins === "function" ? allowedOrigins : () => allowedOrigins,
  };
  const server = http.createServer((req, res) => void serve(req, res, shared));
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(listenError(options.listen, err)));
    // Node's default backlog (511) is too short for a burst of clients (listenBacklog.ts).
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => resolve());
  });
  server.on("error", (err) => logger.error(`HTTP server error: ${err.message}`));
  const unwatch = metrics.watchModels(() => options.registry.list());
  const bound = server.address() as AddressInfo;
  // Port 0 asked the system for one: the Host check must know the port clients were given.
  listen.port = bound.port;
  const address = { host, port: bound.port };
  let closed: Promise<void> | undefined;
  return {
    address,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${bound.port}`,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        unwatch();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** Why the server cannot listen, saying what to change (the `http` key) when the address is taken or not ours. */
function listenError(listen: string, err: NodeJS.ErrnoException): NtError {
  const change = 'set http (--http, NT_HTTP) to another HOST:PORT, or "off"';
  if (err.code === "EADDRINUSE") {
    return new NtError("NT_E_IO", `HTTP address ${listen} is already in use (another ntd, or another program, listens there): ${change}`, { cause: err });
  }
  if (err.code === "EADDRNOTAVAIL") {
    return new NtError("NT_E_IO", `HTTP address ${listen} is not an address of this machine: ${change}`, { cause: err });
  }
  return new NtError("NT_E_IO", `HTTP cannot listen on ${listen}: ${err.message}`, { cause: err });
}

/** Serves one request: checks and routes it, answers errors in OpenAI's shape, counts and logs it. */
async function serve(req: IncomingMessage, res: ServerResponse, shared: ServeContext): Promise<void> {
  const started = performance.now();
  const client = new AbortController();
  // 'close' before the answer is complete means the client left (or the server is closing).
  res.on("close", () => {
    if (!res.writableFinished) client.abort();
  });
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const methods = Object.hasOwn(httpRoutes, path) ? httpRoutes[path] : undefined;
  let code = "ok";
  const { apiKey, listen, allowedHosts, allowedOrigins, ...exchange } = shared;
  /** Answers a client mistake that HTTP names more precisely than its code (405, 415). */
  const refuse = (status: number, error: NtError) => {
    code = error.code;
    sendJson(res, status, httpErrorOf(error, status).body);
  };
  try {
    // Host and Origin first, on every route: a rebinding page could read /health too.
    checkRequestHost(req, listen, allowedHosts());
    const corsOrigin = checkRequestOrigin(req, listen, allowedHosts(), allowedOrigins());
    if (corsOrigin !== undefined) {
      res.setHeader("Access-Control-Allow-Origin", corsOrigin);
      res.setHeader("Vary", "Origin");
      if (req.method === "OPTIONS" && methods) return answerPreflight(req, res, Object.keys(methods));
    }
    // /health stays open: load balancers and systemd-style probes carry no key.
    if (path !== "/health") assertApiKey(req, apiKey());
    if (!methods) throw new NtError("NT_E_NOT_FOUND", `no route ${path}; routes: ${Object.keys(httpRoutes).join(", ")}`);
    const route = methods[req.method ?? ""];
    if (!route) {
      res.setHeader("Allow", Object.keys(methods).join(", "));
      return refuse(405, new NtError("NT_E_BAD_REQUEST", `${path} takes ${Object.keys(methods).join(", ")}, not ${req.method}`));
    }
    const contentTypeProblem = req.method === "POST" ? jsonContentTypeProblem(req.headers["content-type"]) : undefined;
    if (contentTypeProblem !== undefined) return refuse(415, new NtError("NT_E_BAD_REQUEST", contentTypeProblem));
    await route({ ...exchange, req, res, signal: client.signal });
  } catch (err) {
    const error = NtError.from(err);
    code = error.code;
    if (res.headersSent) {
      // A streamed answer that failed after it began and was not ended (serveGeneration ends its own).
      if (!res.writableEnded) res.destroy();
    } else if (!res.destroyed) {
      const { status, body } = httpErrorOf(error);
      // The rest of a too-large body is not worth reading: close the connection after answering.
      if (error.code === "NT_E_FRAME_TOO_LARGE") res.setHeader("Connection", "close");
      if (error.code === "NT_E_UNAUTHORIZED") res.setHeader("WWW-Authenticate", 'Bearer realm="ntd"');
      sendJson(res, status, body);
      if (status >= 500) shared.logger.warn(`HTTP ${req.method} ${path}: ${status} ${error.message} [${error.code}]`);
    }
  } finally {
    shared.metrics.countRequest("http", methods ? path : "unmatched", code);
    shared.logger.debug(`HTTP ${req.method} ${path} ${code} in ${(performance.now() - started).toFixed(0)} ms`);
  }
}

import { chmod, rm } from "node:fs/promises";
import net from "node:net";
import { performance } from "node:perf_hooks";
import winston, { type Logger } from "winston";
import type { EngineBinding } from "../cuda-engine/js/EngineBinding.js";
import { loadEngine } from "../cuda-engine/js/loadEngine.js";
import { NtError } from "../protocol/NtError.js";
import { claimSocketPath } from "./claimSocketPath.js";
import { ClientConnection } from "./ClientConnection.js";
import { FrameBufferBudget, FRAME_BUFFER_LIMIT } from "./FrameBufferBudget.js";
import type { DaemonContext } from "./DaemonContext.js";
import { LISTEN_BACKLOG } from "./listenBacklog.js";
import { ModelRegistry, type ModelRegistryOptions } from "./models/ModelRegistry.js";

/** Options of a DaemonServer. */
export interface DaemonServerOptions {
  /** Path of the Unix socket to listen on; its folder is created if missing. Required. */
  socketPath: string;
  /** Where log lines go. Default: a logger that discards everything (for embedding and tests). */
  logger?: Logger;
  /**
   * Loads the engine addon; called lazily by the verbs that report on the engine, and a failure
   * is reported, never fatal. Default: loadEngine() from cuda-engine/js (tests pass a fake).
   */
  loadEngine?: () => EngineBinding;
  /** Permission bits of the socket file. Default 0o660: the daemon's user and group may connect. */
  socketMode?: number;
  /**
   * How long stop() lets clients receive the answers that end their requests before it drops
   * them, in ms. Default 2000.
   */
  closeGraceMs?: number;
  /** How long a new connection may take to send its hello before it is dropped, in ms. Default 10000. */
  helloTimeoutMs?: number;
  /**
   * How long a frame may take from its first byte to its last before its connection is dropped
   * (NT_E_BAD_FRAME), in ms. Default 30000 (config key socketFrameTimeout).
   */
  frameTimeoutMs?: number;
  /**
   * The most bytes all connections together may hold for frames not yet complete; the connection
   * whose frame would pass it is dropped with NT_E_BUSY. Default FRAME_BUFFER_LIMIT, 64 MiB
   * (config key socketBufferLimit).
   */
  frameBufferLimit?: number;
  /**
   * The model lifecycle's limits: defaultKeepAlive ("5m"), maxLoadedModels (3), maxSequences (4),
   * maxQueue (16), cancelGraceMs (5000); see ModelRegistryOptions. Default: those defaults.
   */
  models?: Omit<ModelRegistryOptions, "loadEngine" | "logger">;
}

/**
 * ntd's socket server: listens on ntd.sock and serves each client through a ClientConnection.
 * It owns its connections: stop() closes them all. Started once, stopped once.
 */
export class DaemonServer {
  readonly #options: DaemonServerOptions;
  readonly #logger: Logger;
  readonly #connections = new Set<ClientConnection>();
  readonly #models: ModelRegistry;
  readonly #frameBudget: FrameBufferBudget;
  #server: net.Server | undefined;
  #state: "new" | "started" | "stopped" = "new";
  #connectionCount = 0;

  constructor(options: DaemonServerOptions) {
    this.#options = options;
    this.#logger = options.logger ?? winston.createLogger({ silent: true });
    this.#frameBudget = new FrameBufferBudget(options.frameBufferLimit ?? FRAME_BUFFER_LIMIT);
    this.#models = new ModelRegistry({ ...options.models, loadEngine: options.loadEngine ?? loadEngine, logger: this.#logger });
  }

  /** The models this daemon holds. */
  get models(): ModelRegistry {
    return this.#models;
  }

  /** Bytes the connections hold now for frames they have not finished receiving (tests compare it; see frameBufferLimit). */
  get bufferedFrameBytes(): number {
    return this.#frameBudget.usedBytes;
  }

  /** The socket path this server listens on. */
  get socketPath(): string {
    return this.#options.socketPath;
  }

  /** Claims the socket path (see claimSocketPath) and starts accepting connections. */
  async start(): Promise<void> {
    if (this.#state !== "new") throw new NtError("NT_E_INTERNAL", `DaemonServer cannot start: it is ${this.#state}`);
    this.#state = "started";
    const { socketPath } = this.#options;
    await claimSocketPath(socketPath);
    const context: DaemonContext = {
      socketPath, startedAtMs: performance.now(), loadEngine: this.#options.loadEngine ?? loadEngine,
      models: this.#models,
    };
    const server = net.createServer((socket) => this.#accept(socket, context));
    await listen(server, socketPath);
    server.on("error", (err) => this.#logger.error(`socket server error: ${err.message}`));
    this.#server = server;
    // stop() during start (a signal while starting up) found no server to close; close it now.
    if (this.#hasStopped()) return this.#close(server);
    // Until this chmod the socket has the umask's mode (srwxr-xr-x with the usual 022): connecting
    // needs write permission, so that window is narrower than 0660, never wider.
    await chmod(socketPath, this.#options.socketMode ?? 0o660);
  }

  /**
   * Stops accepting, ends every request in flight with NT_E_CANCELLED ("ntd is stopping"), unloads
   * every model, closes every connection (once its last answers are sent, or after closeGraceMs),
   * and removes the socket file. Safe to call twice.
   */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#state = "stopped";
    this.#server = undefined;
    if (server) await this.#close(server);
  }

  async #close(server: net.Server): Promise<void> {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await this.#models.close(new NtError("NT_E_CANCELLED", "ntd is stopping; the request was cancelled"))
      .catch((err: unknown) => this.#logger.error(`unloading models failed: ${NtError.from(err).message}`));
    // The requests just failed; let their answers be written before the connections close.
    await new Promise((resolve) => setImmediate(resolve));
    const connections = [...this.#connections];
    const grace = setTimeout(() => connections.forEach((c) => c.destroy()), this.#options.closeGraceMs ?? 2000);
    await Promise.all(connections.map((c) => c.end()));
    clearTimeout(grace);
    await closed;
    // Node unlinks the socket on close; this covers a close that did not (and costs nothing otherwise).
    await rm(this.#options.socketPath, { force: true });
  }

  /** A method, so TypeScript does not narrow #state across the awaits in start(). */
  #hasStopped(): boolean {
    return this.#state === "stopped";
  }

  #accept(socket: net.Socket, context: DaemonContext): void {
    const connection = new ClientConnection(socket, {
      label: `conn#${++this.#connectionCount}`, context, logger: this.#logger,
      helloTimeoutMs: this.#options.helloTimeoutMs, frameTimeoutMs: this.#options.frameTimeoutMs,
      frameBudget: this.#frameBudget,
    });
    this.#connections.add(connection);
    socket.on("close", () => this.#connections.delete(connection));
  }
}

function listen(server: net.Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    // An explicit backlog: Node's default (511) refuses a burst of 1000 connects (listenBacklog.ts).
    server.listen({ path: socketPath, backlog: LISTEN_BACKLOG }, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

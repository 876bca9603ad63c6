import type { Socket } from "node:net";
import type { Logger } from "winston";
import { clientFrameSchema, type RequestFrame } from "../protocol/clientFrames.js";
import { FrameDecoder, type FrameMemoryBudget } from "../protocol/FrameDecoder.js";
import { NtError } from "../protocol/NtError.js";
import { packageVersion } from "../protocol/packageVersion.js";
import { parseMessage } from "../protocol/parseMessage.js";
import { PROTOCOL_VERSION } from "../protocol/protocolVersion.js";
import type { ServerFrame } from "../protocol/serverFrames.js";
import { encodeFrame } from "../protocol/transport.js";
import type { DaemonContext } from "./DaemonContext.js";
import { dispatchRequest } from "./dispatchRequest.js";
import { readClientHello } from "./readClientHello.js";
import { countOf } from "../protocol/countOf.js";

/** Options of a ClientConnection. */
export interface ClientConnectionOptions {
  /** Names the connection in log lines, e.g. "conn#3". */
  label: string;
  /** What the verb handlers may know about the daemon. */
  context: DaemonContext;
  /** Where log lines go. */
  logger: Logger;
  /**
   * How long a new connection may take to send its hello, in ms; then it is dropped with
   * NT_E_BAD_REQUEST. Default 10000.
   */
  helloTimeoutMs?: number;
  /**
   * How long a frame may take from its first byte to its last, in ms; then the connection is
   * dropped with NT_E_BAD_FRAME, so a peer cannot hold a half-sent frame's memory for ever.
   * Default 30000.
   */
  frameTimeoutMs?: number;
  /**
   * Where the memory of partly received frames is accounted, shared by all connections; a frame
   * it refuses drops this connection with its error (NT_E_BUSY). Default: none (one frame per
   * connection, MAX_FRAME_BYTES, is then the only bound).
   */
  frameBudget?: FrameMemoryBudget;
}

/** How long a dropped connection may take to take its last error frame before it is cut. */
const DROP_GRACE_MS = 1000;

/**
 * One client on ntd.sock: handshake, then requests answered in any order by id. Anything that
 * is not the protocol gets one id-less `error` frame and the connection is dropped; the daemon
 * and other connections never notice.
 */
export class ClientConnection {
  readonly #socket: Socket;
  readonly #options: ClientConnectionOptions;
  readonly #decoder: FrameDecoder;
  /** Requests being served, by id; aborting a controller tells its handler to stop. */
  readonly #inFlight = new Map<number, AbortController>();
  #greeted = false;
  #dropping = false;
  /** Drops a connection that never says hello: otherwise it would hold a socket (a descriptor) forever. */
  #helloTimer: NodeJS.Timeout | undefined;
  /** Runs from the first byte of a frame until the frame is complete (frameTimeoutMs). */
  #frameTimer: NodeJS.Timeout | undefined;

  constructor(socket: Socket, options: ClientConnectionOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#decoder = new FrameDecoder({ budget: options.frameBudget });
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    // Resets by a departing client are routine; 'close' follows and cleans up.
    socket.on("error", (err) => options.logger.debug(`${options.label}: socket error: ${err.message}`));
    socket.on("close", () => this.#onClose());
    const helloTimeoutMs = options.helloTimeoutMs ?? 10_000;
    this.#helloTimer = setTimeout(() => this.#drop(new NtError("NT_E_BAD_REQUEST",
      `no hello within ${helloTimeoutMs} ms`)), helloTimeoutMs);
    // The socket keeps the daemon alive while it is open; this timer must not do so on its own.
    this.#helloTimer.unref();
    options.logger.debug(`${options.label}: connected`);
  }

  /** Drops the connection at once, abandoning its requests (used when the daemon stops). */
  destroy(): void {
    this.#socket.destroy();
  }

  /**
   * Closes the connection after what was already written has been sent (the daemon stops: the
   * answers that end the requests in flight must reach the client). Resolves once it is closed.
   */
  end(): Promise<void> {
    if (this.#socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#socket.once("close", () => resolve());
      this.#socket.end();
    });
  }

  #onData(chunk: Buffer): void {
    if (this.#dropping) return;
    let completed = 0;
    try {
      for (const message of this.#decoder.push(chunk)) {
        completed++;
        this.#onMessage(message);
        if (this.#dropping) return;
      }
    } catch (err) {
      return this.#drop(NtError.from(err));
    }
    this.#watchFrame(completed > 0);
  }

  /**
   * Starts the frame timer when a frame has begun and none was running, and stops it when no frame
   * is pending; a completed frame restarts it for the next one already begun.
   */
  #watchFrame(frameCompleted: boolean): void {
    const pending = this.#decoder.pendingBytes > 0;
    if (frameCompleted || !pending) this.#stopFrameTimer();
    if (!pending || this.#frameTimer !== undefined) return;
    const frameTimeoutMs = this.#options.frameTimeoutMs ?? 30_000;
    this.#frameTimer = setTimeout(() => {
      const { declaredBytes, pendingBytes } = this.#decoder;
      const size = declaredBytes === undefined ? "a frame header" : `a frame of ${countOf(declaredBytes, "byte")}`;
      this.#drop(new NtError("NT_E_BAD_FRAME",
        `${size} was not complete within ${frameTimeoutMs} ms (${countOf(pendingBytes, "byte")} of it received)`));
    }, frameTimeoutMs);
    this.#frameTimer.unref();
  }

  #stopFrameTimer(): void {
    clearTimeout(this.#frameTimer);
    this.#frameTimer = undefined;
  }

  #onMessage(message: unknown): void {
    if (!this.#greeted) return this.#onHello(message);
    const frame = parseMessage(clientFrameSchema, message, "frame");
    if (frame.kind === "request") return this.#startRequest(frame);
    if (frame.kind === "cancel") return this.#cancel(frame.id);
    throw new NtError("NT_E_BAD_REQUEST", "a second hello on the same connection");
  }

  #onHello(message: unknown): void {
    const hello = readClientHello(message);
    this.#greeted = true;
    clearTimeout(this.#helloTimer);
    this.#options.logger.debug(`${this.#options.label}: hello from ${hello.client}`);
    this.#send({ kind: "hello", protocol: PROTOCOL_VERSION, server: packageVersion(), pid: process.pid });
  }

  #startRequest(request: RequestFrame): void {
    const { id } = request;
    // A reused id would make the client's answers ambiguous: that is a broken client, not a bad request.
    if (this.#inFlight.has(id)) throw new NtError("NT_E_BAD_REQUEST", `request id ${id} is already in flight`);
    const controller = new AbortController();
    this.#inFlight.set(id, controller);
    // Events go out only while the request is in flight: after a cancel the client must see no more.
    const emit = (event: Record<string, unknown>) => {
      if (this.#inFlight.get(id) === controller) this.#send({ kind: "event", id, event });
    };
    dispatchRequest(request, this.#options.context, controller.signal, emit).then(
      (result) => this.#finish(id, controller, { kind: "result", id, result }),
      (err: unknown) => this.#finish(id, controller, { kind: "error", id, error: this.#toWire(err, request.verb) }),
    ).catch((err: unknown) => {
      // A failure to answer must never become an unhandled rejection, which would end the daemon.
      this.#options.logger.error(`${this.#options.label}: cannot answer request ${id}`, { error: err });
    });
  }

  /** Sends a request's answer, unless it was cancelled (or the connection closed) meanwhile. */
  #finish(id: number, controller: AbortController, answer: ServerFrame): void {
    if (this.#inFlight.get(id) !== controller) return;
    this.#inFlight.delete(id);
    this.#send(answer);
  }

  #cancel(id: number): void {
    const controller = this.#inFlight.get(id);
    if (!controller) {
      const error = new NtError("NT_E_NOT_FOUND", `no request with id ${id} is in flight`);
      this.#send({ kind: "error", id, error: error.toWire() });
      return;
    }
    this.#inFlight.delete(id);
    controller.abort();
    this.#send({ kind: "error", id, error: new NtError("NT_E_CANCELLED", `request ${id} was cancelled`).toWire() });
  }

  #toWire(err: unknown, verb: string): { code: string; message: string } {
    const error = NtError.from(err);
    if (error.code === "NT_E_INTERNAL") this.#options.logger.error(`${this.#options.label}: ${verb} failed`, { error: err });
    return error.toWire();
  }

  #send(frame: ServerFrame): void {
    if (this.#socket.destroyed || this.#dropping) return;
    let bytes: Buffer;
    try {
      bytes = encodeFrame(frame);
    } catch (err) {
      // Only an oversized answer can fail to encode; the client still gets an answer for its id.
      bytes = encodeFrame({ kind: "error", id: "id" in frame ? frame.id : undefined, error: NtError.from(err).toWire() });
    }
    // A client that sends but does not read must not make the daemon buffer without bound.
    if (!this.#socket.write(bytes)) {
      this.#socket.pause();
      this.#socket.once("drain", () => this.#socket.resume());
    }
  }

  /**
   * Answers garbage with one id-less error frame, then closes the connection. The frame being
   * received is freed at once, not when the peer gets round to closing; a peer that does not take
   * the error frame within DROP_GRACE_MS is cut.
   */
  #drop(error: NtError): void {
    clearTimeout(this.#helloTimer);
    this.#stopFrameTimer();
    this.#options.logger.warn(`${this.#options.label}: dropping connection: ${error.message} [${error.code}]`);
    this.#dropping = true;
    this.#decoder.dispose();
    this.#abortAll();
    this.#socket.end(encodeFrame({ kind: "error", error: error.toWire() }), () => this.#socket.destroy());
    setTimeout(() => this.#socket.destroy(), DROP_GRACE_MS).unref();
  }

  #onClose(): void {
    clearTimeout(this.#helloTimer);
    this.#stopFrameTimer();
    this.#decoder.dispose();
    this.#abortAll();
    this.#options.logger.debug(`${this.#options.label}: closed`);
  }

  #abortAll(): void {
    for (const controller of this.#inFlight.values()) controller.abort();
    this.#inFlight.clear();
  }
}

import net from "node:net";
import type { z } from "zod";
import { FrameDecoder } from "../protocol/FrameDecoder.js";
import { NtError } from "../protocol/NtError.js";
import { packageVersion } from "../protocol/packageVersion.js";
import { parseMessage } from "../protocol/parseMessage.js";
import { PROTOCOL_VERSION } from "../protocol/protocolVersion.js";
import { serverFrameSchema, type ServerFrame, type ServerHello } from "../protocol/serverFrames.js";
import { encodeFrame } from "../protocol/transport.js";
import { VERBS, type VerbEvent, type VerbName, type VerbParams, type VerbResult } from "../protocol/verbs.js";
import { NtStream } from "./NtStream.js";

/** Options of NtClient.connect. */
export interface NtClientOptions {
  /** Path of the daemon's Unix socket. Required. */
  socketPath: string;
  /** How long connecting plus the hello exchange may take, in ms; then NT_E_DAEMON_UNREACHABLE. Default 5000. */
  timeoutMs?: number;
  /** Who is calling, sent in the hello for the daemon's logs. Default "ntctl/<package version>". */
  clientName?: string;
}

/** Options of one request. */
export interface NtRequestOptions<V extends VerbName = VerbName> {
  /**
   * How long to wait for the answer, in ms; past it the request is cancelled (a `cancel` frame is
   * sent) and fails with NT_E_DAEMON_UNREACHABLE. Default: no limit.
   */
  timeoutMs?: number;
  /**
   * Gets each event of a streaming verb, validated, as soon as it arrives. If it throws, the
   * request is cancelled and fails with that error. Default: events are dropped.
   */
  onEvent?: (event: VerbEvent<V>) => void;
  /**
   * Aborting it sends a `cancel` frame; the request then fails with the daemon's NT_E_CANCELLED.
   * Default: none.
   */
  signal?: AbortSignal;
}

/** Options of generate() and chat(). */
export interface NtStreamOptions {
  /**
   * Aborting it sends a `cancel` frame; iteration and `result` then fail with the daemon's
   * NT_E_CANCELLED. Default: none.
   */
  signal?: AbortSignal;
  /** As NtRequestOptions.timeoutMs: past it the request is cancelled. Default: no limit. */
  timeoutMs?: number;
}

interface Waiter {
  resolve: (value: Record<string, unknown>) => void;
  reject: (error: NtError) => void;
  /** Takes an event frame's `event` for this request (validates and delivers it). */
  onEvent?: (event: unknown) => void;
}

/**
 * A connection to ntd: the hello exchange, then any number of concurrent requests, each answered
 * by id. A failure of the connection itself (daemon gone, id-less error frame, garbage from the
 * daemon) fails every request in flight and the client stays failed; close() when done.
 */
export class NtClient {
  readonly #socket: net.Socket;
  readonly #socketPath: string;
  readonly #decoder = new FrameDecoder();
  /** Requests awaiting their answer, by id. */
  readonly #waiters = new Map<number, Waiter>();
  /** connect() awaiting the server's hello. */
  #helloWaiter: Waiter | undefined;
  #nextId = 1;
  #failure: NtError | undefined;
  #server: ServerHello | undefined;

  private constructor(socket: net.Socket, socketPath: string) {
    this.#socket = socket;
    this.#socketPath = socketPath;
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", (err) => this.#fail(unreachableError(socketPath, err)));
    socket.on("close", () => this.#fail(new NtError("NT_E_DAEMON_UNREACHABLE",
      `the daemon at ${socketPath} closed the connection`)));
  }

  /** Connects to the daemon and exchanges hellos; rejects with NT_E_DAEMON_UNREACHABLE when nobody answers. */
  static async connect(options: NtClientOptions): Promise<NtClient> {
    const { socketPath, timeoutMs = 5000, clientName = `ntctl/${packageVersion()}` } = options;
    const client = new NtClient(net.createConnection(socketPath), socketPath);
    const timer = setTimeout(() => client.#fail(new NtError("NT_E_DAEMON_UNREACHABLE",
      `the daemon at ${socketPath} did not answer within ${timeoutMs} ms`)), timeoutMs);
    try {
      await client.#greet(clientName);
      return client;
    } catch (err) {
      client.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The daemon's hello: its protocol, version and pid. */
  get server(): ServerHello {
    if (!this.#server) throw new NtError("NT_E_INTERNAL", "NtClient used before its hello exchange");
    return this.#server;
  }

  /** Sends one request and resolves with its validated result, or rejects with the daemon's NtError. */
  async request<V extends VerbName>(verb: V, params: VerbParams<V>,
    options: NtRequestOptions<V> = {}): Promise<VerbResult<V>> {
    const id = this.#takeId();
    const { timeoutMs, signal } = options;
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => this.#timeOut(id, verb, timeoutMs), timeoutMs);
    const onAbort = () => this.#sendCancel(id);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const answer = this.#exchange(id, { kind: "request", id, verb, params }, this.#eventReceiver(id, verb, options));
      if (signal?.aborted) onAbort();
      const result = await answer;
      return parseMessage(VERBS[verb].result, result, `${verb} result`, "NT_E_INTERNAL") as VerbResult<V>;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Starts a `generate` request: iterate the returned stream for its events (load progress, then
   * tokens and text) and await its `result` for the Generation. See NtStream.
   */
  generate(params: VerbParams<"generate">, options: NtStreamOptions = {}): NtStream<VerbEvent<"generate">, VerbResult<"generate">> {
    return this.#stream("generate", params, options);
  }

  /** Starts a `chat` request; the stream and its result are those of generate(). */
  chat(params: VerbParams<"chat">, options: NtStreamOptions = {}): NtStream<VerbEvent<"chat">, VerbResult<"chat">> {
    return this.#stream("chat", params, options);
  }

  /** Closes the connection; requests still in flight fail with NT_E_CANCELLED. */
  close(): void {
    this.#fail(new NtError("NT_E_CANCELLED", "the client closed the connection"));
  }

  #stream<V extends "generate" | "chat">(verb: V, params: VerbParams<V>,
    options: NtStreamOptions): NtStream<VerbEvent<V>, VerbResult<V>> {
    // Our own controller cancels when the consumer leaves its loop early; the caller's signal still works.
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    return new NtStream<VerbEvent<V>, VerbResult<V>>(
      (push) => this.request(verb, params, { signal, timeoutMs: options.timeoutMs, onEvent: push }),
      () => stop.abort());
  }

  /** Sends our hello (queued by the socket until it connects) and waits for the server's. */
  #greet(clientName: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#helloWaiter = { resolve, reject };
      this.#socket.write(encodeFrame({ kind: "hello", protocol: PROTOCOL_VERSION, client: clientName }));
    });
  }

  /** Sends a request frame and waits for the answer that carries its id. */
  #exchange(id: number, frame: Record<string, unknown>, onEvent?: (event: unknown) => void): Promise<Record<string, unknown>> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiters.set(id, { resolve, reject, onEvent });
      this.#socket.write(encodeFrame(frame));
    });
  }

  /**
   * Validates a request's events against its verb's event schema (an event the verb does not
   * define is a broken daemon: NT_E_INTERNAL fails the connection) and hands them to onEvent.
   */
  #eventReceiver<V extends VerbName>(id: number, verb: V, options: NtRequestOptions<V>): (event: unknown) => void {
    const definition: { params: z.ZodType; event?: z.ZodType } = VERBS[verb];
    return (event) => {
      if (!definition.event) throw new NtError("NT_E_INTERNAL", `the daemon sent an event for ${verb}, which streams none`);
      const parsed = parseMessage(definition.event, event, `${verb} event`, "NT_E_INTERNAL") as VerbEvent<V>;
      try {
        options.onEvent?.(parsed);
      } catch (err) {
        this.#sendCancel(id);
        this.#settle(id, (w) => w.reject(NtError.from(err)));
      }
    };
  }

  /** Asks the daemon to cancel a request still awaiting its answer. */
  #sendCancel(id: number): void {
    if (this.#failure || !this.#waiters.has(id)) return;
    this.#socket.write(encodeFrame({ kind: "cancel", id }));
  }

  #takeId(): number {
    const id = this.#nextId;
    this.#nextId = id === 0xffffffff ? 1 : id + 1;
    return id;
  }

  #timeOut(id: number, verb: string, timeoutMs: number): void {
    const waiter = this.#waiters.get(id);
    if (!waiter) return;
    this.#waiters.delete(id);
    if (!this.#failure) this.#socket.write(encodeFrame({ kind: "cancel", id }));
    waiter.reject(new NtError("NT_E_DAEMON_UNREACHABLE",
      `the daemon at ${this.#socketPath} did not answer ${verb} within ${timeoutMs} ms`));
  }

  #onData(chunk: Buffer): void {
    try {
      for (const message of this.#decoder.push(chunk)) {
        this.#onFrame(parseMessage(serverFrameSchema, message, "server frame", "NT_E_INTERNAL"));
      }
    } catch (err) {
      this.#fail(NtError.from(err));
    }
  }

  #onFrame(frame: ServerFrame): void {
    switch (frame.kind) {
      case "hello": return this.#onHello(frame);
      case "result": return this.#settle(frame.id, (w) => w.resolve(frame.result));
      case "error": {
        const error = NtError.fromWire(frame.error);
        // An id-less error is about the connection itself; the daemon closes it next.
        if (frame.id === undefined) return this.#fail(error);
        return this.#settle(frame.id, (w) => w.reject(error));
      }
      // Events of a request that already ended here (timed out, or failed in its event handler) are dropped.
      case "event": return this.#waiters.get(frame.id)?.onEvent?.(frame.event);
    }
  }

  #onHello(hello: ServerHello): void {
    if (this.#server) throw new NtError("NT_E_INTERNAL", `the daemon at ${this.#socketPath} sent a second hello`);
    if (hello.protocol !== PROTOCOL_VERSION) {
      throw new NtError("NT_E_PROTOCOL_VERSION",
        `the daemon at ${this.#socketPath} speaks protocol ${hello.protocol}, this ntctl speaks ${PROTOCOL_VERSION}`);
    }
    this.#server = hello;
    this.#helloWaiter?.resolve(hello);
    this.#helloWaiter = undefined;
  }

  /** Hands an answer to its waiter; answers to requests that timed out are dropped. */
  #settle(id: number, deliver: (waiter: Waiter) => void): void {
    const waiter = this.#waiters.get(id);
    if (!waiter) return;
    this.#waiters.delete(id);
    deliver(waiter);
  }

  #fail(error: NtError): void {
    if (this.#failure) return;
    this.#failure = error;
    for (const waiter of this.#waiters.values()) waiter.reject(error);
    this.#waiters.clear();
    this.#helloWaiter?.reject(error);
    this.#helloWaiter = undefined;
    this.#socket.destroy();
  }
}

/**
 * The error for a daemon that cannot be reached (or was lost): names the socket and, when nothing
 * listens there, says how to start one.
 */
function unreachableError(socketPath: string, err: NodeJS.ErrnoException): NtError {
  const options = { cause: err };
  switch (err.code) {
    case "ENOENT":
    case "ECONNREFUSED":
      return new NtError("NT_E_DAEMON_UNREACHABLE",
        `no daemon is listening at ${socketPath} (${err.code}); start one with "ntd --socket ${socketPath}"`, options);
    case "EACCES":
      return new NtError("NT_E_DAEMON_UNREACHABLE",
        `permission denied on ${socketPath}; ask to be added to the daemon's group`, options);
    default:
      return new NtError("NT_E_DAEMON_UNREACHABLE", `cannot talk to the daemon at ${socketPath}: ${err.message}`, options);
  }
}

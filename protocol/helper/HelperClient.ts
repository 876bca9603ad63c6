import { closeSync } from "node:fs";
import { NtError } from "../NtError.js";
import { parseMessage } from "../parseMessage.js";
import { decodeHelperPacket } from "./decodeHelperPacket.js";
import { encodeHelperPacket } from "./encodeHelperPacket.js";
import { helperResponseSchema } from "./helperResponseSchema.js";
import { HELPER_VERBS, type HelperVerbName, type HelperVerbParams, type HelperVerbResult } from "./helperVerbs.js";
import { SeqpacketConnection } from "./seqpacket/SeqpacketConnection.js";

/** A request in flight: what to do with its events and its end. */
interface Waiter {
  id: number;
  onEvent: (event: unknown) => void;
  resolve: (value: { result: unknown; fds: number[] }) => void;
  reject: (error: NtError) => void;
}

/** Options of one request. */
export interface HelperRequestOptions {
  /**
   * An fd to pass with the request (SCM_RIGHTS), e.g. place's GGUF opened read-only. The client
   * takes it over and closes it once sent.
   */
  fd?: number;
  /** Receives each event of the request (place's progress), already validated. */
  onEvent?: (event: unknown) => void;
}

/**
 * A connection to nt-nvme-helper over helper.sock (SOCK_SEQPACKET, one msgpack message per
 * packet, fds as SCM_RIGHTS): one request at a time, each answered by a result or an error, with
 * events before it for `place`. Reaching nobody is NT_E_DAEMON_UNREACHABLE, naming the socket.
 */
export class HelperClient {
  readonly #connection: SeqpacketConnection;
  #nextId = 1;
  #waiter: Waiter | undefined;
  #failure: NtError | undefined;

  private constructor(connection: SeqpacketConnection, socketPath: string) {
    this.#connection = connection;
    connection.start({
      packet: (data, fds) => this.#onPacket(data, fds),
      badPacket: (error) => {
        this.#fail(error);
        connection.close();
      },
      close: () => this.#fail(new NtError("NT_E_DAEMON_UNREACHABLE", `nt-nvme-helper at ${socketPath} closed the connection`)),
    });
  }

  /** Connects; rejects with NT_E_DAEMON_UNREACHABLE when nothing listens there. */
  static async connect(socketPath: string): Promise<HelperClient> {
    try {
      // One fd at most in an answer (open-image's).
      return new HelperClient(SeqpacketConnection.connect(socketPath, 1), socketPath);
    } catch (err) {
      throw new NtError("NT_E_DAEMON_UNREACHABLE",
        `cannot reach nt-nvme-helper at ${socketPath}: ${(err as Error).message} (is nt-nvme-helper.socket running? see --helper-socket)`, { cause: err });
    }
  }

  /** Sends one request and returns its validated result, or rejects with the helper's error. */
  async request<V extends HelperVerbName>(verb: V, params: HelperVerbParams<V>, options: HelperRequestOptions = {}): Promise<HelperVerbResult<V>> {
    const { result, fds } = await this.#call(verb, params, options);
    for (const fd of fds) closeSync(fd);
    return result;
  }

  /** `place`: writes the GGUF behind `fd` (taken over, closed once sent) into the device's image area. */
  place(params: HelperVerbParams<"place">, fd: number, onProgress?: (done: number, total: number) => void): Promise<HelperVerbResult<"place">> {
    const event = HELPER_VERBS.place.event;
    return this.request("place", params, {
      fd,
      onEvent: (raw) => {
        const progress = parseMessage(event, raw, "place event", "NT_E_INTERNAL");
        onProgress?.(progress.done, progress.total);
      },
    });
  }

  /** `open-image`: the image's place on the device and a read-only O_DIRECT fd of it (the caller closes it). */
  async openImage(params: HelperVerbParams<"open-image">): Promise<HelperVerbResult<"open-image"> & { fd: number }> {
    const { result, fds } = await this.#call("open-image", params, {});
    const [fd, ...extra] = fds;
    for (const other of extra) closeSync(other);
    if (fd === undefined) throw new NtError("NT_E_INTERNAL", "nt-nvme-helper answered open-image without a file descriptor");
    return { ...result, fd };
  }

  close(): void {
    this.#connection.close();
  }

  #call<V extends HelperVerbName>(verb: V, params: HelperVerbParams<V>, options: HelperRequestOptions): Promise<{ result: HelperVerbResult<V>; fds: number[] }> {
    const fds = options.fd === undefined ? [] : [options.fd];
    const refuse = (error: NtError) => {
      for (const fd of fds) closeSync(fd);
      return Promise.reject(error);
    };
    if (this.#failure) return refuse(this.#failure);
    if (this.#waiter) return refuse(new NtError("NT_E_BUSY", "HelperClient serves one request at a time"));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiter = {
        id, reject,
        onEvent: options.onEvent ?? (() => {}),
        resolve: ({ result, fds: received }) => {
          try {
            resolve({ result: parseMessage(HELPER_VERBS[verb].result, result, `${verb} result`, "NT_E_INTERNAL") as HelperVerbResult<V>, fds: received });
          } catch (err) {
            for (const fd of received) closeSync(fd);
            reject(NtError.from(err));
          }
        },
      };
      this.#connection.send(encodeHelperPacket({ kind: "request", id, verb, params }), fds);
    });
  }

  #onPacket(data: Buffer, fds: number[]): void {
    try {
      const response = parseMessage(helperResponseSchema, decodeHelperPacket(data), "helper message", "NT_E_INTERNAL");
      if (response.kind === "error" && response.id === undefined) throw NtError.fromWire(response.error);
      const waiter = this.#waiter;
      if (!waiter || response.id !== waiter.id) throw new NtError("NT_E_INTERNAL", `nt-nvme-helper answered an unknown request id ${response.id}`);
      if (response.kind === "event") {
        if (fds.length > 0) throw new NtError("NT_E_INTERNAL", "nt-nvme-helper sent a file descriptor with an event");
        waiter.onEvent(response.event);
        return;
      }
      this.#waiter = undefined;
      if (response.kind === "result") {
        waiter.resolve({ result: response.result, fds });
      } else {
        for (const fd of fds) closeSync(fd);
        waiter.reject(NtError.fromWire(response.error));
      }
    } catch (err) {
      for (const fd of fds) closeSync(fd);
      this.#fail(NtError.from(err));
      this.#connection.close();
    }
  }

  #fail(error: NtError): void {
    this.#failure ??= error;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(this.#failure);
  }
}

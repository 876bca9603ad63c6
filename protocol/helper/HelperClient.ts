import { closeSync } from "node:fs";
import { NtError } from "../NtError.js";
import { parseMessage } from "../parseMessage.js";
import { decodeHelperPacket, encodeHelperPacket, helperResponseSchema } from "./helperPackets.js";
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

/** Options of HelperClient.connect. */
export interface HelperClientOptions {
  /**
   * The uid the listening process must have (SO_PEERCRED), else NT_E_HELPER_NOT_ROOT before anything
   * is sent. Default 0: nt-nvme-helper runs as root. Only tests, which run a helper as their own
   * uid, pass another; ntctl and ntd never do (no option or variable reaches it).
   */
  expectedServerUid?: number;
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

  /**
   * Connects, then checks with SO_PEERCRED that root listens there before anything is sent: the
   * socket's folder may be writable by someone else (it was, see nvme-helper/THREAT_MODEL.md), and an
   * impostor would get root's fds and forge answers. Rejects with NT_E_DAEMON_UNREACHABLE when
   * nothing listens, NT_E_HELPER_NOT_ROOT when another uid does.
   */
  static async connect(socketPath: string, options: HelperClientOptions = {}): Promise<HelperClient> {
    let connection: SeqpacketConnection;
    try {
      // One fd at most in an answer (open-image's).
      connection = SeqpacketConnection.connect(socketPath, 1);
    } catch (err) {
      throw new NtError("NT_E_DAEMON_UNREACHABLE",
        `cannot reach nt-nvme-helper at ${socketPath}: ${(err as Error).message} (is nt-nvme-helper.socket running? see --helper-socket)`, { cause: err });
    }
    try {
      checkServerUid(connection, socketPath, options.expectedServerUid ?? 0);
    } catch (err) {
      connection.close();
      throw err;
    }
    return new HelperClient(connection, socketPath);
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

  /** `open-dataplane`: the session's layout and its sealed memfd (the caller maps it and closes the fd; protocol/helper/dataplaneRing.h). */
  async openDataplane(params: HelperVerbParams<"open-dataplane">): Promise<HelperVerbResult<"open-dataplane"> & { fd: number }> {
    const { result, fds } = await this.#call("open-dataplane", params, {});
    const [fd, ...extra] = fds;
    for (const other of extra) closeSync(other);
    if (fd === undefined) throw new NtError("NT_E_INTERNAL", "nt-nvme-helper answered open-dataplane without a file descriptor");
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

/** NT_E_HELPER_NOT_ROOT unless the socket's listener (SO_PEERCRED: its uid at listen()) is `expected`. */
function checkServerUid(connection: SeqpacketConnection, socketPath: string, expected: number): void {
  const server = connection.peerCredentials();
  if (server.uid === expected) return;
  const wanted = expected === 0 ? "root (uid 0), as nt-nvme-helper does" : `uid ${expected}`;
  throw new NtError("NT_E_HELPER_NOT_ROOT", `${socketPath} is served by uid ${server.uid} (pid ${server.pid}), not by ${wanted}: ` +
    "nothing was sent to it. Another process holds the helper's socket path; check who owns its folder " +
    "(nt-nvme-helper.socket makes /run/nt-nvme-helper, root:nt 0750)");
}

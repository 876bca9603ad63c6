import net from "node:net";
import { FrameDecoder } from "../../protocol/FrameDecoder.js";
import { NtError } from "../../protocol/NtError.js";
import { parseMessage } from "../../protocol/parseMessage.js";
import { encodeHelperPacket } from "../../protocol/helper/encodeHelperPacket.js";
import { HELPER_MAX_PACKET_BYTES } from "../../protocol/helper/helperMaxPacketBytes.js";
import { helperResponseSchema } from "../../protocol/helper/helperResponseSchema.js";
import { HELPER_VERBS, type HelperVerbName, type HelperVerbParams, type HelperVerbResult } from "../../protocol/helper/helperVerbs.js";

/**
 * A connection to nt-nvme-helper: one request at a time, each answered by a result or an error
 * (events of `place` are ignored for now). Reaching nobody is NT_E_DAEMON_UNREACHABLE, naming the
 * helper socket.
 */
export class HelperClient {
  readonly #socket: net.Socket;
  readonly #decoder = new FrameDecoder({ maxFrameBytes: HELPER_MAX_PACKET_BYTES });
  #nextId = 1;
  #waiter: { id: number; resolve: (value: unknown) => void; reject: (error: NtError) => void } | undefined;
  #failure: NtError | undefined;

  private constructor(socket: net.Socket, socketPath: string) {
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", (err) => this.#fail(new NtError("NT_E_DAEMON_UNREACHABLE",
      `cannot reach nt-nvme-helper at ${socketPath}: ${err.message}`, { cause: err })));
    socket.on("close", () => this.#fail(new NtError("NT_E_DAEMON_UNREACHABLE", `nt-nvme-helper at ${socketPath} closed the connection`)));
  }

  /** Connects; rejects with NT_E_DAEMON_UNREACHABLE when nothing listens there. */
  static connect(socketPath: string): Promise<HelperClient> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(socketPath);
      socket.once("connect", () => resolve(new HelperClient(socket, socketPath)));
      socket.once("error", (err) => reject(new NtError("NT_E_DAEMON_UNREACHABLE",
        `cannot reach nt-nvme-helper at ${socketPath}: ${err.message} (is nt-nvme-helper.socket running? see --helper-socket)`, { cause: err })));
    });
  }

  /** Sends one request and returns its validated result, or rejects with the helper's error. */
  request<V extends HelperVerbName>(verb: V, params: HelperVerbParams<V>): Promise<HelperVerbResult<V>> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#waiter) return Promise.reject(new NtError("NT_E_BUSY", "HelperClient serves one request at a time"));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiter = {
        id, reject,
        resolve: (result) => {
          try {
            resolve(parseMessage(HELPER_VERBS[verb].result, result, `${verb} result`, "NT_E_INTERNAL") as HelperVerbResult<V>);
          } catch (err) {
            reject(NtError.from(err));
          }
        },
      };
      this.#socket.write(encodeHelperPacket({ kind: "request", id, verb, params }));
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    try {
      for (const message of this.#decoder.push(chunk)) {
        const response = parseMessage(helperResponseSchema, message, "helper message", "NT_E_INTERNAL");
        if (response.kind === "event") continue;
        if (response.kind === "error" && response.id === undefined) throw NtError.fromWire(response.error);
        const waiter = this.#waiter;
        if (!waiter || response.id !== waiter.id) throw new NtError("NT_E_INTERNAL", `nt-nvme-helper answered an unknown request id ${response.id}`);
        this.#waiter = undefined;
        if (response.kind === "result") waiter.resolve(response.result);
        else waiter.reject(NtError.fromWire(response.error));
      }
    } catch (err) {
      this.#fail(NtError.from(err));
      this.#socket.destroy();
    }
  }

  #fail(error: NtError): void {
    this.#failure ??= error;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(this.#failure);
  }
}

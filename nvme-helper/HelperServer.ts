import net from "node:net";
import { FrameDecoder } from "../protocol/FrameDecoder.js";
import { NtError } from "../protocol/NtError.js";
import { parseMessage } from "../protocol/parseMessage.js";
import { encodeHelperPacket } from "../protocol/helper/encodeHelperPacket.js";
import { HELPER_MAX_PACKET_BYTES } from "../protocol/helper/helperMaxPacketBytes.js";
import { helperRequestSchema, type HelperRequest } from "../protocol/helper/helperRequestSchema.js";
import { HELPER_VERBS } from "../protocol/helper/helperVerbs.js";
import { isHelperVerbName } from "../protocol/helper/isHelperVerbName.js";
import type { HelperConfig } from "./config/helperConfigSchema.js";
import type { HelperMonitor } from "./HelperMonitor.js";
import type { PeerCredentials } from "./peer/peerCredentials.js";

/** How long a dropped connection may keep sending (discarded) before it is cut, in ms. */
const DROP_LINGER_MS = 1000;

/** Options of a HelperServer. */
export interface HelperServerOptions {
  config: HelperConfig;
  monitor: HelperMonitor;
  /** The peer's SO_PEERCRED credentials (peer/peerCredentials.ts; tests never replace it). */
  credentialsOf: (socket: net.Socket) => PeerCredentials;
  /** Receives one line per connection refused and per request served (journald reads stderr). Default: stderr. */
  log?: (line: string) => void;
}

/**
 * helper.sock: authenticates each connection by SO_PEERCRED before reading a byte, then serves one
 * request at a time. Anything malformed — oversized, not msgpack, unknown kind, verb or field, a
 * second request before the answer — is answered with one error and that connection is closed;
 * the helper itself never stops on a client's input. Requests of all connections run one after
 * another, so two clients cannot interleave the steps of a driver move.
 */
export class HelperServer {
  readonly #options: HelperServerOptions;
  readonly #log: (line: string) => void;
  readonly #server: net.Server;
  /** The tail of the queue of privileged work, shared by all connections. */
  #queue: Promise<unknown> = Promise.resolve();
  readonly #sockets = new Set<net.Socket>();

  constructor(options: HelperServerOptions) {
    this.#options = options;
    this.#log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.#server = net.createServer((socket) => this.#accept(socket));
  }

  /** Listens on a socket path, or on an inherited descriptor (systemd socket activation passes fd 3). */
  listen(where: { path: string } | { fd: number }): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(where, () => resolve());
    });
  }

  /** Stops listening and cuts every open connection. */
  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    return closed;
  }

  #accept(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let peer: PeerCredentials;
    try {
      peer = this.#options.credentialsOf(socket);
    } catch (err) {
      this.#log(`refused connection: no peer credentials: ${(err as Error).message}`);
      return this.#drop(socket, NtError.from(err));
    }
    const { allowedUids, allowedGids } = this.#options.config;
    if (peer.uid !== 0 && !allowedUids.includes(peer.uid) && !allowedGids.includes(peer.gid)) {
      this.#log(`refused connection uid=${peer.uid} gid=${peer.gid} pid=${peer.pid} outcome=NT_E_PEER_NOT_ALLOWED`);
      return this.#drop(socket, new NtError("NT_E_PEER_NOT_ALLOWED",
        `uid ${peer.uid} / gid ${peer.gid} is not allowed to use nt-nvme-helper (allowedUids/allowedGids in its configuration)`));
    }
    const decoder = new FrameDecoder({ maxFrameBytes: HELPER_MAX_PACKET_BYTES });
    let busy = false;
    socket.on("data", (chunk: Buffer) => {
      try {
        for (const message of decoder.push(chunk)) {
          if (busy) throw new NtError("NT_E_BUSY", "a second request arrived before the first was answered");
          busy = true;
          const request = this.#validate(message);
          this.#queue = this.#queue.then(() => this.#serve(socket, peer, request)).finally(() => {
            busy = false;
          });
        }
      } catch (err) {
        this.#log(`dropped connection uid=${peer.uid} pid=${peer.pid}: ${NtError.from(err).code} ${(err as Error).message}`);
        this.#drop(socket, NtError.from(err));
      }
    });
  }

  /** Frame → typed request; any defect throws and costs the client its connection. */
  #validate(message: unknown): HelperRequest {
    const request = parseMessage(helperRequestSchema, message, "request");
    if (!isHelperVerbName(request.verb)) throw new NtError("NT_E_UNKNOWN_VERB", `nt-nvme-helper has no verb ${JSON.stringify(request.verb)}`);
    return { ...request, params: parseMessage(HELPER_VERBS[request.verb].params, request.params, `${request.verb}.params`) };
  }

  async #serve(socket: net.Socket, peer: PeerCredentials, request: HelperRequest): Promise<void> {
    const { monitor } = this.#options;
    const device = typeof request.params.device === "string" ? request.params.device : "all";
    const allowed = this.#options.config.devices.find((entry) => entry.bdf === device);
    const identity = allowed ? [allowed.serial && `serial=${allowed.serial}`, allowed.eui64 && `eui64=${allowed.eui64}`,
      allowed.nguid && `nguid=${allowed.nguid}`].filter(Boolean).join(" ") : "identity=none";
    let answer: unknown;
    let outcome: string;
    try {
      // request.params was validated by #validate against this verb's schema.
      const params = request.params as never;
      let result: unknown;
      switch (request.verb) {
        case "status": result = monitor.status(params); break;
        case "bind": result = await monitor.bind(params); break;
        case "restore": result = await monitor.restore(params); break;
        default:
          throw new NtError("NT_E_UNSUPPORTED", `${request.verb} needs file descriptors passed with SCM_RIGHTS, which this helper cannot do yet`);
      }
      answer = { kind: "result", id: request.id, result };
      outcome = "ok";
    } catch (err) {
      const error = NtError.from(err);
      answer = { kind: "error", id: request.id, error: error.toWire() };
      outcome = `${error.code} ${JSON.stringify(error.message)}`;
    }
    this.#log(`action uid=${peer.uid} pid=${peer.pid} verb=${request.verb} device=${device} ${identity} outcome=${outcome}`);
    if (!socket.destroyed) socket.write(encodeHelperPacket(answer));
  }

  /**
   * One id-less error, then the connection closes (the peer gets nothing more from it). What the
   * peer still sends is read and discarded until it hangs up, at most DROP_LINGER_MS: closing a
   * Unix socket with unread bytes in it resets the peer, which could then lose the error.
   */
  #drop(socket: net.Socket, error: NtError): void {
    socket.removeAllListeners("data");
    socket.on("data", () => {});
    if (!socket.destroyed) socket.end(encodeHelperPacket({ kind: "error", error: error.toWire() }));
    setTimeout(() => socket.destroy(), DROP_LINGER_MS).unref();
  }
}

import { closeSync } from "node:fs";
import { NtError } from "../protocol/NtError.js";
import { parseMessage } from "../protocol/parseMessage.js";
import { decodeHelperPacket } from "../protocol/helper/decodeHelperPacket.js";
import { encodeHelperPacket } from "../protocol/helper/encodeHelperPacket.js";
import { helperRequestSchema, type HelperRequest } from "../protocol/helper/helperRequestSchema.js";
import { HELPER_VERBS } from "../protocol/helper/helperVerbs.js";
import { isHelperVerbName } from "../protocol/helper/isHelperVerbName.js";
import type { SeqpacketConnection } from "../protocol/helper/seqpacket/SeqpacketConnection.js";
import { SeqpacketServer } from "../protocol/helper/seqpacket/SeqpacketServer.js";
import type { HelperConfig } from "./config/helperConfigSchema.js";
import type { HelperMonitor } from "./HelperMonitor.js";
import type { PeerCredentials } from "./peer/peerCredentials.js";

/** How long a dropped connection may keep sending (discarded) before it is cut, in ms. */
const DROP_LINGER_MS = 1000;
/** The most fds one request packet may carry: `place` passes one, every other verb none. */
const MAX_FDS_PER_PACKET = 1;

/** Options of a HelperServer. */
export interface HelperServerOptions {
  config: HelperConfig;
  monitor: HelperMonitor;
  /** The peer's SO_PEERCRED credentials (peer/peerCredentials.ts; tests never replace it). */
  credentialsOf: (connection: SeqpacketConnection) => PeerCredentials;
  /** Receives one line per connection refused and per request served (journald reads stderr). Default: stderr. */
  log?: (line: string) => void;
}

/**
 * helper.sock (SOCK_SEQPACKET, one msgpack message per packet, fds as SCM_RIGHTS): authenticates
 * each connection by SO_PEERCRED before reading a byte, then serves one request at a time.
 * Anything malformed — oversized, not msgpack, unknown kind, verb or field, fds where none belong,
 * a second request before the answer — is answered with one error and that connection is closed;
 * every fd that came with it is closed too, and the helper itself never stops on a client's input.
 * Requests of all connections run one after another, so two clients cannot interleave the steps
 * of a driver move or a placement.
 */
export class HelperServer {
  readonly #options: HelperServerOptions;
  readonly #log: (line: string) => void;
  #server: SeqpacketServer | undefined;
  /** The tail of the queue of privileged work, shared by all connections. */
  #queue: Promise<unknown> = Promise.resolve();
  readonly #connections = new Set<SeqpacketConnection>();

  constructor(options: HelperServerOptions) {
    this.#options = options;
    this.#log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /**
   * Listens on a socket path (created with `mode`, default 0o660), or on an inherited descriptor
   * (systemd socket activation passes fd 3, a ListenSequentialPacket= socket).
   */
  async listen(where: { path: string; mode?: number } | { fd: number }): Promise<void> {
    this.#server = SeqpacketServer.listen(where, { maxFds: MAX_FDS_PER_PACKET, log: this.#log }, (connection) => this.#accept(connection));
  }

  /** Stops listening and cuts every open connection. */
  async close(): Promise<void> {
    this.#server?.close();
    this.#server = undefined;
    for (const connection of [...this.#connections]) connection.close();
  }

  #accept(connection: SeqpacketConnection): void {
    this.#connections.add(connection);
    let peer: PeerCredentials;
    try {
      peer = this.#options.credentialsOf(connection);
    } catch (err) {
      this.#log(`refused connection: no peer credentials: ${(err as Error).message}`);
      return this.#drop(connection, NtError.from(err));
    }
    const { allowedUids, allowedGids } = this.#options.config;
    if (peer.uid !== 0 && !allowedUids.includes(peer.uid) && !allowedGids.includes(peer.gid)) {
      this.#log(`refused connection uid=${peer.uid} gid=${peer.gid} pid=${peer.pid} outcome=NT_E_PEER_NOT_ALLOWED`);
      return this.#drop(connection, new NtError("NT_E_PEER_NOT_ALLOWED",
        `uid ${peer.uid} / gid ${peer.gid} is not allowed to use nt-nvme-helper (allowedUids/allowedGids in its configuration)`));
    }
    let busy = false;
    const refuse = (err: unknown) => {
      const error = NtError.from(err);
      this.#log(`dropped connection uid=${peer.uid} pid=${peer.pid}: ${error.code} ${error.message}`);
      this.#drop(connection, error);
    };
    connection.start({
      packet: (data, fds) => {
        try {
          if (busy) throw new NtError("NT_E_BUSY", "a second request arrived before the first was answered");
          const request = this.#validate(decodeHelperPacket(data));
          if (fds.length > 0 && request.verb !== "place") {
            throw new NtError("NT_E_BAD_REQUEST", `${request.verb} takes no file descriptor, and one came with it`);
          }
          busy = true;
          const fd = fds.pop();
          this.#queue = this.#queue.then(() => this.#serve(connection, peer, request, fd)).finally(() => {
            busy = false;
          });
        } catch (err) {
          for (const fd of fds) closeQuietly(fd);
          refuse(err);
        }
      },
      badPacket: refuse,
      close: () => this.#connections.delete(connection),
    });
  }

  /** Packet → typed request; any defect throws and costs the client its connection. */
  #validate(message: unknown): HelperRequest {
    const request = parseMessage(helperRequestSchema, message, "request");
    if (!isHelperVerbName(request.verb)) throw new NtError("NT_E_UNKNOWN_VERB", `nt-nvme-helper has no verb ${JSON.stringify(request.verb)}`);
    return { ...request, params: parseMessage(HELPER_VERBS[request.verb].params, request.params, `${request.verb}.params`) };
  }

  /** Runs one request; `fd` (place's GGUF) is closed here whatever happens. */
  async #serve(connection: SeqpacketConnection, peer: PeerCredentials, request: HelperRequest, fd: number | undefined): Promise<void> {
    const { monitor } = this.#options;
    const device = typeof request.params.device === "string" ? request.params.device : "all";
    const allowed = this.#options.config.devices.find((entry) => entry.bdf === device);
    const identity = allowed ? [allowed.serial && `serial=${allowed.serial}`, allowed.eui64 && `eui64=${allowed.eui64}`,
      allowed.nguid && `nguid=${allowed.nguid}`].filter(Boolean).join(" ") : "identity=none";
    let answer: unknown;
    let answerFds: number[] = [];
    let outcome: string;
    let detail = "";
    try {
      // request.params was validated by #validate against this verb's schema.
      const params = request.params as never;
      let result: unknown;
      switch (request.verb) {
        case "status": result = monitor.status(params); break;
        case "bind": result = await monitor.bind(params); break;
        case "restore": result = await monitor.restore(params); break;
        case "place": {
          if (fd === undefined) throw new NtError("NT_E_BAD_FD", "place needs the GGUF as an open read-only fd passed with SCM_RIGHTS; none came");
          const placed = await monitor.place(params, fd, (done, total) => {
            if (!connection.closed) connection.send(encodeHelperPacket({ kind: "event", id: request.id, event: { type: "progress", done, total } }));
          });
          detail = ` name=${placed.image.name} bytes=${placed.image.sizeBytes} sha256=${placed.image.sha256}`;
          result = placed;
          break;
        }
        case "open-image": {
          const opened = monitor.openImage(params);
          answerFds = [opened.fd];
          detail = ` name=${opened.result.image.name} offset=${opened.result.offsetBytes} bytes=${opened.result.image.sizeBytes}`;
          result = opened.result;
          break;
        }
      }
      answer = { kind: "result", id: request.id, result };
      outcome = "ok";
    } catch (err) {
      const error = NtError.from(err);
      answer = { kind: "error", id: request.id, error: error.toWire() };
      outcome = `${error.code} ${JSON.stringify(error.message)}`;
    } finally {
      if (fd !== undefined) closeQuietly(fd);
    }
    this.#log(`action uid=${peer.uid} pid=${peer.pid} verb=${request.verb} device=${device} ${identity}${detail} outcome=${outcome}`);
    // send() takes the fds and closes them once the kernel has passed them on (or the peer is gone).
    connection.send(encodeHelperPacket(answer), answerFds);
  }

  /**
   * One id-less error, then the connection closes (the peer gets nothing more from it). What the
   * peer still sends is read and discarded — fds closed — until it hangs up, at most DROP_LINGER_MS:
   * closing a Unix socket with unread packets in it resets the peer, which could then lose the error.
   */
  #drop(connection: SeqpacketConnection, error: NtError): void {
    if (connection.closed) return;
    connection.start({
      packet: (_data, fds) => fds.forEach(closeQuietly),
      badPacket: () => {},
      close: () => this.#connections.delete(connection),
    });
    connection.send(encodeHelperPacket({ kind: "error", error: error.toWire() }));
    setTimeout(() => connection.close(), DROP_LINGER_MS).unref();
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed: nothing leaks.
  }
}

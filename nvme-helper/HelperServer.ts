import { closeSync } from "node:fs";
import { NtError } from "../protocol/NtError.js";
import { parseMessage } from "../protocol/parseMessage.js";
import { decodeHelperPacket, encodeHelperPacket, type HelperRequest, helperRequestSchema } from "../protocol/helper/helperPackets.js";
import { type HelperVerbName, type HelperVerbParams, isHelperVerbName } from "../protocol/helper/helperVerbs.js";
import type { SeqpacketConnection } from "../protocol/helper/seqpacket/SeqpacketConnection.js";
import { SeqpacketServer } from "../protocol/helper/seqpacket/SeqpacketServer.js";
import { type HelperConfig, type HelperLimits, helperLimitsSchema } from "./config/helperConfigSchema.js";
import { HelperRequestQueue } from "./HelperRequestQueue.js";
import { HELPER_VERB_TABLE, type HelperVerbEntry, type HelperVerbMonitor } from "./helperVerbTable.js";
import type { PeerCredentials } from "./peer/peerCredentials.js";
import { rateLimitedLog } from "./rateLimitedLog.js";
import { countOf } from "../protocol/countOf.js";

/** How long a dropped connection may keep sending (discarded) before it is cut, in ms. */
const DROP_LINGER_MS = 1000;
/**
 * The most dropped connections left to linger at once; past it a drop closes at once (that peer may
 * then miss its error). Each lingering connection holds an fd, and a refused peer can reconnect at
 * once, so without this bound refusals alone could use up the helper's fds.
 */
const MAX_LINGERING = 32;
/** The most fds one request packet may carry: a verb with `fdIn` (helperVerbTable.ts: place) one, every other verb none. */
const MAX_FDS_PER_PACKET = 1;
/** Lines a second of refusals (connections, requests) that peers can cause at will. */
const REFUSAL_LINES_PER_SECOND = 10;

/** Options of a HelperServer. */
export interface HelperServerOptions {
  config: HelperConfig;
  /** What the verbs run on (HelperMonitor; tests of the server alone give a fake). */
  monitor: HelperVerbMonitor;
  /** The peer's SO_PEERCRED credentials (peer/peerCredentials.ts; tests never replace it). */
  credentialsOf: (connection: SeqpacketConnection) => PeerCredentials;
  /** Receives one line per connection refused and per request served (journald reads stderr). Default: stderr. */
  log?: (line: string) => void;
}

/** A request of a known verb, its params valid against that verb's schema. */
interface VerbRequest<V extends HelperVerbName> {
  id: number;
  verb: V;
  params: HelperVerbParams<V>;
}

/** What the server keeps of one connection. */
interface Peer {
  connection: SeqpacketConnection;
  /** Counted against its uid's and everyone's connection cap (an admitted peer other than root). */
  counted?: { uid: number };
  /** A request of it is waiting or running. */
  busy: boolean;
  /** Refused: its error is sent, it closes after a linger; nothing of it is served any more. */
  dropping: boolean;
  lingering: boolean;
  idleTimer?: NodeJS.Timeout;
  /** Aborted when the connection closes or is dropped: its waiting request is skipped, its running place stops. */
  hangUp: AbortController;
}

/**
 * helper.sock (SOCK_SEQPACKET, one msgpack message per packet, fds as SCM_RIGHTS): authenticates
 * each connection by SO_PEERCRED before reading a byte, then serves one request at a time, each
 * by its verb's entry in HELPER_VERB_TABLE (helperVerbTable.ts).
 * Anything malformed — oversized, not msgpack, unknown kind, verb or field, fds where none belong,
 * a second request before the answer — is answered with one error and that connection is closed;
 * every fd that came with it is closed too, and the helper itself never stops on a client's input.
 * Requests of all connections run one after another (HelperRequestQueue), so two clients cannot
 * interleave the steps of a driver move or a placement.
 *
 * Bounded against a peer that wants to deny service (config `limits`, helperLimitsSchema in config/helperConfigSchema.ts): so
 * many connections per uid and in all (root exempt: NT_E_BUSY beyond), so many requests queued,
 * idle connections closed (NT_E_TIMEOUT), a request whose client hung up skipped, a running place
 * stopped, and the listener paused when out of fds (SeqpacketServer).
 */
export class HelperServer {
  readonly #options: HelperServerOptions;
  readonly #log: (line: string) => void;
  /** For refusals, which a peer can cause in a loop. */
  readonly #logRefusal: (line: string) => void;
  readonly #limits: HelperLimits;
  readonly #queue: HelperRequestQueue;
  #server: SeqpacketServer | undefined;
  readonly #peers = new Map<SeqpacketConnection, Peer>();
  /** Admitted connections per uid other than root, and their sum. */
  readonly #connectionsByUid = new Map<number, number>();
  #connectionsOfOthers = 0;
  #lingering = 0;

  constructor(options: HelperServerOptions) {
    this.#options = options;
    this.#log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.#logRefusal = rateLimitedLog(this.#log, REFUSAL_LINES_PER_SECOND);
    this.#limits = options.config.limits ?? helperLimitsSchema.parse({});
    this.#queue = new HelperRequestQueue(this.#limits);
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
    for (const connection of [...this.#peers.keys()]) connection.close();
  }

  #accept(connection: SeqpacketConnection): void {
    const peer: Peer = { connection, busy: false, dropping: false, lingering: false, hangUp: new AbortController() };
    this.#peers.set(connection, peer);
    let credentials: PeerCredentials;
    try {
      credentials = this.#options.credentialsOf(connection);
    } catch (err) {
      this.#logRefusal(`refused connection: no peer credentials: ${(err as Error).message}`);
      return this.#drop(peer, NtError.from(err));
    }
    const refusal = this.#refusalOf(credentials);
    if (refusal) {
      this.#logRefusal(`refused connection uid=${credentials.uid} gid=${credentials.gid} pid=${credentials.pid} outcome=${refusal.code}`);
      return this.#drop(peer, refusal);
    }
    this.#count(peer, credentials.uid);
    connection.start({
      packet: (data, fds) => this.#onPacket(peer, credentials, data, fds),
      badPacket: (error) => this.#refuse(peer, credentials, error),
      close: () => this.#forget(peer),
    });
    this.#armIdleTimer(peer, credentials);
  }

  /** Why this peer may not open a connection — not allowed, or its uid or everyone at the cap — or undefined. */
  #refusalOf({ uid, gid }: PeerCredentials): NtError | undefined {
    const { allowedUids, allowedGids } = this.#options.config;
    if (uid === 0) return undefined;
    if (!allowedUids.includes(uid) && !allowedGids.includes(gid)) {
      return new NtError("NT_E_PEER_NOT_ALLOWED",
        `uid ${uid} / gid ${gid} is not allowed to use nt-nvme-helper (allowedUids/allowedGids in its configuration)`);
    }
    const mine = this.#connectionsByUid.get(uid) ?? 0;
    if (mine >= this.#limits.maxConnectionsPerUid) {
      return new NtError("NT_E_BUSY", `uid ${uid} already has ${countOf(mine, "connection")} open to nt-nvme-helper, the most it may ` +
        "(limits.maxConnectionsPerUid); close one first");
    }
    if (this.#connectionsOfOthers >= this.#limits.maxConnections) {
      return new NtError("NT_E_BUSY", `nt-nvme-helper already has ${countOf(this.#connectionsOfOthers, "connection")} open from users ` +
        "other than root, the most it takes (limits.maxConnections); try again later");
    }
    return undefined;
  }

  #count(peer: Peer, uid: number): void {
    if (uid === 0) return;
    peer.counted = { uid };
    this.#connectionsByUid.set(uid, (this.#connectionsByUid.get(uid) ?? 0) + 1);
    this.#connectionsOfOthers++;
  }

  /** The connection is closed: its counts and timers go, and whatever of it waits or runs learns it. */
  #forget(peer: Peer): void {
    this.#peers.delete(peer.connection);
    clearTimeout(peer.idleTimer);
    peer.hangUp.abort();
    if (peer.lingering) this.#lingering--;
    if (peer.counted) {
      const left = (this.#connectionsByUid.get(peer.counted.uid) ?? 1) - 1;
      if (left === 0) this.#connectionsByUid.delete(peer.counted.uid);
      else this.#connectionsByUid.set(peer.counted.uid, left);
      this.#connectionsOfOthers--;
    }
  }

  /** One request packet: validated, then queued (a full queue answers NT_E_BUSY and keeps the connection). */
  #onPacket(peer: Peer, credentials: PeerCredentials, data: Buffer, fds: number[]): void {
    let request: VerbRequest<HelperVerbName>;
    try {
      if (peer.busy) throw new NtError("NT_E_BUSY", "a second request arrived before the first was answered");
      request = this.#validate(decodeHelperPacket(data));
      if (fds.length > 0 && !HELPER_VERB_TABLE[request.verb].fdIn) {
        throw new NtError("NT_E_BAD_REQUEST", `${request.verb} takes no file descriptor, and one came with it`);
      }
    } catch (err) {
      for (const fd of fds) closeQuietly(fd);
      return this.#refuse(peer, credentials, err);
    }
    const fd = fds.pop();
    peer.busy = true;
    clearTimeout(peer.idleTimer);
    try {
      this.#queue.add(credentials.uid, () => this.#serve(peer, credentials, request, fd));
    } catch (err) {
      peer.busy = false;
      if (fd !== undefined) closeQuietly(fd);
      const error = NtError.from(err);
      this.#logRefusal(`refused request uid=${credentials.uid} pid=${credentials.pid} verb=${request.verb} outcome=${error.code}`);
      peer.connection.send(encodeHelperPacket({ kind: "error", id: request.id, error: error.toWire() }));
      this.#armIdleTimer(peer, credentials);
    }
  }

  /** Packet → typed request; any defect throws and costs the client its connection. */
  #validate(message: unknown): VerbRequest<HelperVerbName> {
    const { id, verb, params }: HelperRequest = parseMessage(helperRequestSchema, message, "request");
    if (!isHelperVerbName(verb)) throw new NtError("NT_E_UNKNOWN_VERB", `nt-nvme-helper has no verb ${JSON.stringify(verb)}`);
    return { id, verb, params: parseMessage(HELPER_VERB_TABLE[verb].params, params, `${verb}.params`) };
  }

  /**
   * Runs one request at its turn in the queue by its verb's entry — unless its client is gone by
   * then: nobody would read the answer, so the work is skipped. `fd` (place's GGUF) is closed here
   * whatever happens.
   */
  async #serve<V extends HelperVerbName>(peer: Peer, credentials: PeerCredentials, request: VerbRequest<V>, fd: number | undefined): Promise<void> {
    const device = deviceOf(request.params);
    if (peer.connection.closed || peer.dropping) {
      if (fd !== undefined) closeQuietly(fd);
      this.#log(`skipped uid=${credentials.uid} pid=${credentials.pid} verb=${request.verb} device=${device}: the client hung up before its turn`);
      return;
    }
    const allowed = this.#options.config.devices.find((entry) => entry.bdf === device);
    const identity = allowed ? [allowed.serial && `serial=${allowed.serial}`, allowed.eui64 && `eui64=${allowed.eui64}`,
      allowed.nguid && `nguid=${allowed.nguid}`].filter(Boolean).join(" ") : "identity=none";
    const entry: HelperVerbEntry<V> = HELPER_VERB_TABLE[request.verb];
    let answer: unknown;
    let answerFds: number[] = [];
    let outcome: string;
    let detail = "";
    try {
      const call = {
        params: request.params,
        emit: (event: unknown) => {
          if (!peer.connection.closed) peer.connection.send(encodeHelperPacket({ kind: "event", id: request.id, event }));
        },
        hangUp: peer.hangUp.signal,
        peerPid: credentials.pid,
      };
      // #onPacket refused an fd with a verb without fdIn.
      const served = entry.fdIn ? await entry.handle(this.#options.monitor, { ...call, fd })
        : await entry.handle(this.#options.monitor, { ...call, fd: undefined });
      if (served.fd !== undefined) answerFds = [served.fd];
      const audit = entry.audit(served.result);
      detail = audit === "" ? "" : ` ${audit}`;
      answer = { kind: "result", id: request.id, result: served.result };
      outcome = "ok";
    } catch (err) {
      const error = NtError.from(err);
      answer = { kind: "error", id: request.id, error: error.toWire() };
      outcome = `${error.code} ${JSON.stringify(error.message)}`;
    } finally {
      if (fd !== undefined) closeQuietly(fd);
    }
    this.#log(`action uid=${credentials.uid} pid=${credentials.pid} verb=${request.verb} device=${device} ${identity}${detail} outcome=${outcome}`);
    // send() takes the fds and closes them once the kernel has passed them on (or the peer is gone).
    peer.connection.send(encodeHelperPacket(answer), answerFds);
    peer.busy = false;
    this.#armIdleTimer(peer, credentials);
  }

  /** (Re)starts the idle clock of a connection with nothing waiting or running: at its end, NT_E_TIMEOUT. */
  #armIdleTimer(peer: Peer, credentials: PeerCredentials): void {
    clearTimeout(peer.idleTimer);
    if (peer.dropping || peer.connection.closed) return;
    const ms = this.#limits.idleTimeoutMs;
    peer.idleTimer = setTimeout(() => {
      this.#log(`closed idle connection uid=${credentials.uid} pid=${credentials.pid} after ${ms} ms outcome=NT_E_TIMEOUT`);
      this.#drop(peer, new NtError("NT_E_TIMEOUT", `nt-nvme-helper closed this connection: no request for ${ms} ms (limits.idleTimeoutMs)`));
    }, ms);
    peer.idleTimer.unref();
  }

  /** Logs why, then drops the connection. */
  #refuse(peer: Peer, credentials: PeerCredentials, err: unknown): void {
    const error = NtError.from(err);
    this.#logRefusal(`dropped connection uid=${credentials.uid} pid=${credentials.pid}: ${error.code} ${error.message}`);
    this.#drop(peer, error);
  }

  /**
   * One id-less error, then the connection closes (the peer gets nothing more from it; a request of
   * it still waiting is skipped, a running place stops). What the peer still sends is read and
   * discarded — fds closed — until it hangs up, at most DROP_LINGER_MS: closing a Unix socket with
   * unread packets in it resets the peer, which could then lose the error. At most MAX_LINGERING
   * connections linger; past that the connection closes as soon as the error is sent.
   */
  #drop(peer: Peer, error: NtError): void {
    const { connection } = peer;
    if (connection.closed || peer.dropping) return;
    peer.dropping = true;
    clearTimeout(peer.idleTimer);
    peer.hangUp.abort();
    connection.start({
      packet: (_data, fds) => fds.forEach(closeQuietly),
      badPacket: () => {},
      close: () => this.#forget(peer),
    });
    const packet = encodeHelperPacket({ kind: "error", error: error.toWire() });
    if (this.#lingering >= MAX_LINGERING) return connection.end(packet);
    peer.lingering = true;
    this.#lingering++;
    connection.send(packet);
    setTimeout(() => connection.close(), DROP_LINGER_MS).unref();
  }
}

/** The device a request names, for its log line; "all" for status, and for restore without one. */
function deviceOf(params: object): string {
  return "device" in params && typeof params.device === "string" ? params.device : "all";
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed: nothing leaks.
  }
}

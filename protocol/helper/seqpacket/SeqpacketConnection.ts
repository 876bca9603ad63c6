import { NtError } from "../../NtError.js";
import { seqpacketAddon, type SeqpacketAddon, type SocketPeer } from "./seqpacketAddon.js";

const READABLE = 1;
const WRITABLE = 2;

/** A packet waiting for room in the socket, with the fds it owns. */
interface OutgoingPacket {
  data: Buffer;
  fds: number[];
}

/** Callbacks of a SeqpacketConnection. */
export interface SeqpacketHandlers {
  /** One packet arrived. The fds are the handler's from now on: it must close each one. */
  packet: (data: Buffer, fds: number[]) => void;
  /** A packet was refused (too large, too many fds); its fds are already closed. The connection stays open. */
  badPacket: (error: NtError) => void;
  /** The connection is closed (by either side); called once. */
  close: () => void;
}

/**
 * One connected SOCK_SEQPACKET Unix socket (helper.sock): one message per packet, fds as
 * SCM_RIGHTS. Reads are driven by a libuv poll handle, so nothing blocks the event loop; packets
 * the socket cannot take yet wait in order until it is writable. A connection owns its fd and the
 * fds given to send(); close() releases all of them.
 */
export class SeqpacketConnection {
  readonly fd: number;
  readonly #addon: SeqpacketAddon;
  readonly #poller: unknown;
  readonly #maxFds: number;
  readonly #outgoing: OutgoingPacket[] = [];
  #handlers: SeqpacketHandlers | undefined;
  #closed = false;
  #closeWhenSent = false;

  /**
   * Wraps a connected, non-blocking fd (from accept or connect); it reads nothing until
   * start(handlers). `maxFds`: how many fds one incoming packet may carry (more is a bad packet).
   */
  constructor(fd: number, maxFds: number) {
    this.#addon = seqpacketAddon();
    this.fd = fd;
    this.#maxFds = maxFds;
    this.#poller = this.#addon.pollerCreate(fd, (events) => this.#onReady(events));
  }

  /** Connects to a listening helper.sock; throws NT_E_DAEMON_UNREACHABLE. */
  static connect(socketPath: string, maxFds: number): SeqpacketConnection {
    return new SeqpacketConnection(seqpacketAddon().connect(socketPath), maxFds);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The peer's credentials (SO_PEERCRED), recorded by the kernel when the connection was made: a
   * client learns who listens — for a socket systemd made, systemd's (root) — before it sends anything.
   */
  peerCredentials(): SocketPeer {
    return this.#addon.peerCredentials(this.fd);
  }

  /** Starts delivering packets to `handlers`. */
  start(handlers: SeqpacketHandlers): void {
    this.#handlers = handlers;
    this.#poll();
  }

  /**
   * Sends one packet; `fds` pass to the connection, which closes them once the kernel has them
   * (the peer holds its own copies then) or when the connection closes first.
   */
  send(data: Buffer, fds: number[] = []): void {
    if (this.#closed || this.#closeWhenSent) {
      for (const fd of fds) this.#addon.close(fd);
      return;
    }
    this.#outgoing.push({ data, fds });
    this.#flush();
  }

  /** Sends what is queued (and `data`, if given), then closes. */
  end(data?: Buffer): void {
    if (data) this.send(data);
    this.#closeWhenSent = true;
    this.#flush();
  }

  /** Closes the socket at once; queued packets and their fds are dropped. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#addon.pollerClose(this.#poller);
    this.#addon.close(this.fd);
    for (const packet of this.#outgoing.splice(0)) for (const fd of packet.fds) this.#addon.close(fd);
    this.#handlers?.close();
  }

  #poll(): void {
    if (this.#closed) return;
    const wantRead = this.#handlers !== undefined;
    this.#addon.pollerStart(this.#poller, (wantRead ? READABLE : 0) | (this.#outgoing.length > 0 ? WRITABLE : 0));
  }

  #onReady(events: number): void {
    if (this.#closed) return;
    if (events & WRITABLE) this.#flush();
    if (events & READABLE) this.#read();
  }

  #read(): void {
    // A bounded batch per wakeup, so one busy peer cannot starve the others (the poll is level-triggered).
    for (let batch = 0; batch < 64 && !this.#closed && this.#handlers; batch++) {
      let packet;
      try {
        packet = this.#addon.recv(this.fd, this.#maxFds);
      } catch (err) {
        const error = NtError.from(err);
        if (error.code === "NT_E_IO") return this.close();
        this.#handlers.badPacket(error);
        continue;
      }
      if (packet === undefined) return;
      if (packet === null) return this.close();
      this.#handlers.packet(packet.data, packet.fds);
    }
  }

  #flush(): void {
    while (!this.#closed && this.#outgoing.length > 0) {
      const packet = this.#outgoing[0]!;
      let sent: boolean;
      try {
        sent = this.#addon.send(this.fd, packet.data, packet.fds);
      } catch {
        // EPIPE / ECONNRESET: the peer is gone.
        return this.close();
      }
      if (!sent) break;
      this.#outgoing.shift();
      for (const fd of packet.fds) this.#addon.close(fd);
    }
    if (this.#closeWhenSent && this.#outgoing.length === 0) return this.close();
    this.#poll();
  }
}

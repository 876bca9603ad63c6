import { NtError } from "../../NtError.js";
import { seqpacketAddon, type SeqpacketAddon } from "./seqpacketAddon.js";
import { SeqpacketConnection } from "./SeqpacketConnection.js";

/**
 * A listening SOCK_SEQPACKET Unix socket: either made here (bind at `path` with `mode`, for tests
 * and runs by hand) or inherited from systemd (ListenSequentialPacket=). Each connection is handed
 * over unread; its receiver decides what to do with it.
 */
export class SeqpacketServer {
  readonly #addon: SeqpacketAddon;
  readonly #fd: number;
  readonly #poller: unknown;
  readonly #maxFds: number;
  #closed = false;

  private constructor(fd: number, maxFds: number, onConnection: (connection: SeqpacketConnection) => void) {
    this.#addon = seqpacketAddon();
    this.#fd = fd;
    this.#maxFds = maxFds;
    this.#poller = this.#addon.pollerCreate(fd, () => {
      for (let batch = 0; batch < 64 && !this.#closed; batch++) {
        let client: number;
        try {
          client = this.#addon.accept(this.#fd);
        } catch (err) {
          // EMFILE and the like: leave the connection pending; the next wakeup tries again.
          process.stderr.write(`nt-nvme-helper: accept failed: ${NtError.from(err).message}\n`);
          return;
        }
        if (client < 0) return;
        onConnection(new SeqpacketConnection(client, this.#maxFds));
      }
    });
    this.#addon.pollerStart(this.#poller, 1);
  }

  /**
   * Listens at `where.path` (created with `where.mode`, default 0o660) or on the inherited
   * `where.fd`. `maxFds`: how many fds one incoming packet may carry.
   */
  static listen(where: { path: string; mode?: number } | { fd: number }, maxFds: number,
    onConnection: (connection: SeqpacketConnection) => void): SeqpacketServer {
    const addon = seqpacketAddon();
    let fd: number;
    if ("fd" in where) {
      addon.adopt(where.fd);
      fd = where.fd;
    } else {
      fd = addon.listen(where.path, where.mode ?? 0o660, 64);
    }
    return new SeqpacketServer(fd, maxFds, onConnection);
  }

  /** Stops accepting (open connections are their owners' to close). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#addon.pollerClose(this.#poller);
    this.#addon.close(this.#fd);
  }
}

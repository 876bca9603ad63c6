import { NtError } from "../../NtError.js";
import { seqpacketAddon, type SeqpacketAddon } from "./seqpacketAddon.js";
import { SeqpacketConnection } from "./SeqpacketConnection.js";

/** The first pause of the listener after a failed accept, in ms; each failure in a row doubles it. */
const FIRST_BACKOFF_MS = 100;
/** The longest pause, in ms: a listener that ran out of fds tries again at least this often. */
const MAX_BACKOFF_MS = 2000;

/** Options of SeqpacketServer.listen. */
export interface SeqpacketServerOptions {
  /** How many fds one incoming packet may carry (more is a bad packet). */
  maxFds: number;
  /** Receives one line per back-off of the listener (accept failed). Default: stderr. */
  log?: (line: string) => void;
}

/**
 * A listening SOCK_SEQPACKET Unix socket: either made here (bind at `path` with `mode`, for tests
 * and runs by hand) or inherited from systemd (ListenSequentialPacket=). Each connection is handed
 * over unread; its receiver decides what to do with it.
 *
 * When accept fails (EMFILE/ENFILE: out of fds), the pending connection stays pending and the
 * level-triggered poll would report it again at once — a busy loop writing a log line per turn.
 * So the listener stops polling for a while instead (100 ms, doubling up to 2 s while it keeps
 * failing), with one log line per pause, and resumes; connections already open are served meanwhile.
 */
export class SeqpacketServer {
  readonly #addon: SeqpacketAddon;
  readonly #fd: number;
  readonly #poller: unknown;
  readonly #maxFds: number;
  readonly #log: (line: string) => void;
  readonly #onConnection: (connection: SeqpacketConnection) => void;
  #closed = false;
  #backoffMs = 0;
  #backoffTimer: NodeJS.Timeout | undefined;

  private constructor(fd: number, options: SeqpacketServerOptions, onConnection: (connection: SeqpacketConnection) => void) {
    this.#addon = seqpacketAddon();
    this.#fd = fd;
    this.#maxFds = options.maxFds;
    this.#log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.#onConnection = onConnection;
    this.#poller = this.#addon.pollerCreate(fd, () => this.#acceptPending());
    this.#addon.pollerStart(this.#poller, 1);
  }

  /** Listens at `where.path` (created with `where.mode`, default 0o660) or on the inherited `where.fd`. */
  static listen(where: { path: string; mode?: number } | { fd: number }, options: SeqpacketServerOptions,
    onConnection: (connection: SeqpacketConnection) => void): SeqpacketServer {
    const addon = seqpacketAddon();
    let fd: number;
    if ("fd" in where) {
      addon.adopt(where.fd);
      fd = where.fd;
    } else {
      fd = addon.listen(where.path, where.mode ?? 0o660, 64);
    }
    return new SeqpacketServer(fd, options, onConnection);
  }

  /** Stops accepting (open connections are their owners' to close). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#backoffTimer);
    this.#addon.pollerClose(this.#poller);
    this.#addon.close(this.#fd);
  }

  #acceptPending(): void {
    // A bounded batch per wakeup, so a flood of connects cannot starve the open connections.
    for (let batch = 0; batch < 64 && !this.#closed && this.#backoffTimer === undefined; batch++) {
      let client: number;
      try {
        client = this.#addon.accept(this.#fd);
      } catch (err) {
        return this.#backOff(NtError.from(err));
      }
      // Accepting again (or nothing pending): the next failure starts a fresh back-off.
      this.#backoffMs = 0;
      if (client < 0) return;
      this.#onConnection(new SeqpacketConnection(client, this.#maxFds));
    }
  }

  /** Stops polling the listener for a while after a failed accept, logging once. */
  #backOff(error: NtError): void {
    this.#backoffMs = Math.min(this.#backoffMs === 0 ? FIRST_BACKOFF_MS : this.#backoffMs * 2, MAX_BACKOFF_MS);
    this.#log(`accept failed: ${error.message}; not accepting for ${this.#backoffMs} ms (connections already open are served)`);
    this.#addon.pollerStart(this.#poller, 0);
    // Not unref'd: with no connection open, this timer is what keeps the process serving.
    this.#backoffTimer = setTimeout(() => {
      this.#backoffTimer = undefined;
      if (!this.#closed) this.#addon.pollerStart(this.#poller, 1);
    }, this.#backoffMs);
  }
}

import { decodeHelperPacket, encodeHelperPacket } from "../../protocol/helper/helperPackets.js";
import { SeqpacketConnection } from "../../protocol/helper/seqpacket/SeqpacketConnection.js";

/** A message from the helper and the fds that came with it. */
export interface ReceivedMessage {
  message: unknown;
  fds: number[];
}

/**
 * A bare helper.sock client for tests that send what HelperClient never would (garbage packets,
 * oversized ones, stray fds) and see exactly what comes back and when the helper hangs up.
 */
export class RawHelperConnection {
  readonly #connection: SeqpacketConnection;
  readonly #received: ReceivedMessage[] = [];
  readonly #waiters: ((received: ReceivedMessage) => void)[] = [];
  /** Resolves when the helper has closed the connection. */
  readonly closed: Promise<void>;

  private constructor(connection: SeqpacketConnection) {
    this.#connection = connection;
    let onClose: () => void = () => {};
    this.closed = new Promise((resolve) => { onClose = resolve; });
    connection.start({
      packet: (data, fds) => {
        const received = { message: decodeHelperPacket(data), fds };
        const waiter = this.#waiters.shift();
        if (waiter) waiter(received);
        else this.#received.push(received);
      },
      badPacket: () => {},
      close: () => onClose(),
    });
  }

  static open(socketPath: string): RawHelperConnection {
    return new RawHelperConnection(SeqpacketConnection.connect(socketPath, 4));
  }

  /** Sends one raw packet, with `fds` (taken over: closed once sent). */
  write(packet: Buffer, fds: number[] = []): void {
    this.#connection.send(packet, fds);
  }

  /** Sends one message as a packet. */
  send(message: unknown, fds: number[] = []): void {
    this.write(encodeHelperPacket(message), fds);
  }

  get fd(): number {
    return this.#connection.fd;
  }

  /** The next message (and its fds); rejects if the connection closes first. */
  next(): Promise<ReceivedMessage> {
    const queued = this.#received.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      this.#waiters.push(resolve);
      void this.closed.then(() => reject(new Error("connection closed before the next message")));
    });
  }

  destroy(): void {
    this.#connection.close();
  }
}

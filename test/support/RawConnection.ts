import net from "node:net";
import { FrameDecoder } from "../../protocol/FrameDecoder.js";
import { PROTOCOL_VERSION } from "../../protocol/protocolVersion.js";
import { encodeFrame } from "../../protocol/transport.js";

/**
 * A bare socket client for tests that need to send what NtClient never would (garbage, frames
 * out of order) and see exactly which frames come back and when the server hangs up.
 */
export class RawConnection {
  readonly #socket: net.Socket;
  readonly #decoder = new FrameDecoder();
  readonly #frames: unknown[] = [];
  readonly #waiters: ((frame: unknown) => void)[] = [];
  /** Resolves when the server has closed (or reset) the connection. */
  readonly closed: Promise<void>;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => {
      for (const frame of this.#decoder.push(chunk)) {
        const waiter = this.#waiters.shift();
        if (waiter) waiter(frame);
        else this.#frames.push(frame);
      }
    });
    // A reset after the server's last frame is one way a dropped connection ends; 'close' follows.
    socket.on("error", () => {});
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
  }

  static open(socketPath: string): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(socketPath, () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  /** Writes raw bytes. */
  write(bytes: Buffer | Uint8Array): void {
    this.#socket.write(bytes);
  }

  /** Writes one properly framed message. */
  send(message: unknown): void {
    this.write(encodeFrame(message));
  }

  /** The next frame from the server; rejects if the connection closes first. */
  next(): Promise<unknown> {
    if (this.#frames.length > 0) return Promise.resolve(this.#frames.shift());
    return new Promise((resolve, reject) => {
      this.#waiters.push(resolve);
      void this.closed.then(() => reject(new Error("connection closed before the next frame")));
    });
  }

  /** Sends a valid hello and returns the server's answer. */
  async greet(): Promise<unknown> {
    this.send({ kind: "hello", protocol: PROTOCOL_VERSION, client: "test/raw" });
    return this.next();
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { NtError } from "../../NtError.js";

/** One packet as recv() returns it: the bytes, and the fds that came with it (now the receiver's). */
export interface ReceivedPacket {
  data: Buffer;
  fds: number[];
}

/** The native half of helper.sock (nvme-helper/native, built by `npm run build:helper-native`). */
export interface HelperSocketAddon {
  /** SO_PEERCRED of a connected Unix socket: the peer's pid, uid, gid at connect(). */
  peerCredentials(fd: number): { pid: number; uid: number; gid: number };
  /** socket(AF_UNIX, SOCK_SEQPACKET) + bind + chmod(mode) + listen; non-blocking. */
  listen(socketPath: string, mode: number, backlog: number): number;
  /** Takes an inherited listening socket after checking it is AF_UNIX SOCK_SEQPACKET (systemd). */
  adopt(fd: number): void;
  /** One pending connection's fd, or -1. */
  accept(fd: number): number;
  /** A connected, non-blocking client socket; throws NT_E_DAEMON_UNREACHABLE. */
  connect(socketPath: string): number;
  /** One packet; undefined when none waits, null at end of stream; throws on a bad packet (its fds closed). */
  recv(fd: number, maxFds: number): ReceivedPacket | null | undefined;
  /** Queues one packet with `fds` (SCM_RIGHTS); false when the socket is full. */
  send(fd: number, data: Buffer, fds: number[]): boolean;
  close(fd: number): void;
  /** A libuv poll handle on `fd`; `callback` runs on the event loop when it is ready. */
  pollerCreate(fd: number, callback: (events: number, status: number) => void): unknown;
  /** 1 readable, 2 writable, 3 both, 0 stop. */
  pollerStart(poller: unknown, events: number): void;
  /** Stops and frees the handle; call exactly once, before closing its fd. */
  pollerClose(poller: unknown): void;
  /** A zeroed Buffer at a 4096-byte aligned address (O_DIRECT); bytes a multiple of 4096. */
  alignedBuffer(bytes: number): Buffer;
  /** ioctl BLKSSZGET / BLKGETSIZE64 of an open block device. */
  blockDeviceGeometry(fd: number): { logicalBlockSize: number; sizeBytes: number };
}

let addon: HelperSocketAddon | undefined;

/**
 * The addon, loaded on first use, or NT_E_INTERNAL naming what was tried. Node cannot speak
 * SOCK_SEQPACKET nor pass fds (libuv reads Unix sockets with read(), dropping SCM_RIGHTS), so
 * neither the helper nor its clients work without it; the helper also needs it for SO_PEERCRED.
 */
export function helperSocketAddon(): HelperSocketAddon {
  if (addon) return addon;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const require = createRequire(import.meta.url);
  // From dist/protocol/helper/seqpacket/ and from protocol/helper/seqpacket/ (sources run directly).
  const candidates = [path.resolve(here, "../../../../nvme-helper/native/build/Release/nt_helper_socket.node"),
    path.resolve(here, "../../../nvme-helper/native/build/Release/nt_helper_socket.node")];
  const errors: string[] = [];
  for (const candidate of candidates) {
    try {
      addon = require(candidate) as HelperSocketAddon;
      return addon;
    } catch (err) {
      errors.push(`${candidate}: ${(err as Error).message}`);
    }
  }
  throw new NtError("NT_E_INTERNAL", `the helper socket addon is not built (npm run build:helper-native); ` +
    `helper.sock needs it for SOCK_SEQPACKET, fd passing and SO_PEERCRED. Tried ${errors.join("; ")}`);
}

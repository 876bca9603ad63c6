import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadNativeAddon } from "../../loadNativeAddon.js";

/** One packet as recv() returns it: the bytes, and the fds that came with it (now the receiver's). */
export interface ReceivedPacket {
  data: Buffer;
  fds: number[];
}

/** Who is at the other end of a connected Unix socket, as the kernel recorded it (SO_PEERCRED). */
export interface SocketPeer {
  pid: number;
  uid: number;
  gid: number;
}

/** The native half of helper.sock (./native, built by `npm run build:seqpacket-native`). */
export interface SeqpacketAddon {
  /** socket(AF_UNIX, SOCK_SEQPACKET) + bind + chmod(mode) + listen; non-blocking. */
  listen(socketPath: string, mode: number, backlog: number): number;
  /** Takes an inherited listening socket after checking it is AF_UNIX SOCK_SEQPACKET (systemd). */
  adopt(fd: number): void;
  /** One pending connection's fd, or -1. */
  accept(fd: number): number;
  /** A connected, non-blocking client socket; throws NT_E_DAEMON_UNREACHABLE. */
  connect(socketPath: string): number;
  /**
   * SO_PEERCRED of a connected socket: the peer's credentials at its connect() — for a client, the
   * listener's at listen(). Unforgeable by the peer; throws NT_E_IO.
   */
  peerCredentials(fd: number): SocketPeer;
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
}

let addon: SeqpacketAddon | undefined;

/**
 * The addon, loaded on first use, or NT_E_INTERNAL naming what was tried. Node cannot speak
 * SOCK_SEQPACKET nor pass fds (libuv reads Unix sockets with read(), dropping SCM_RIGHTS), so
 * neither the helper nor its clients (ntd, ntctl) can use helper.sock without it.
 */
export function seqpacketAddon(): SeqpacketAddon {
  if (addon) return addon;
  const here = path.dirname(fileURLToPath(import.meta.url));
  // From dist/protocol/helper/seqpacket/ and from protocol/helper/seqpacket/ (sources run directly).
  addon = loadNativeAddon<SeqpacketAddon>([
    path.resolve(here, "../../../../protocol/helper/seqpacket/native/build/Release/nt_seqpacket.node"),
    path.resolve(here, "native/build/Release/nt_seqpacket.node"),
  ], "the seqpacket addon is not built (npm run build:seqpacket-native); helper.sock needs it for SOCK_SEQPACKET " +
    "and fd passing");
  return addon;
}

import type { SeqpacketConnection } from "../../protocol/helper/seqpacket/SeqpacketConnection.js";
import { helperNativeAddon } from "../native/helperNativeAddon.js";

/** Who is at the other end of a Unix socket, as the kernel recorded it at connect(). */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/**
 * Loads the native addon (nvme-helper/native, built by `npm run build:helper-native`) or throws.
 * Called at start so a helper without it refuses to run, rather than serve unchecked.
 */
export function loadPeerCredentialsAddon(): void {
  helperNativeAddon();
}

/** The peer's credentials of a connected helper.sock connection (SO_PEERCRED; unforgeable). */
export function peerCredentials(connection: SeqpacketConnection): PeerCredentials {
  return helperNativeAddon().peerCredentials(connection.fd);
}

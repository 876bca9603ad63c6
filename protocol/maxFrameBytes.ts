/**
 * The largest frame body either side accepts on ntd.sock, in bytes (16 MiB). Far above any
 * control message; it bounds what a hostile or broken peer can make the other side buffer.
 */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

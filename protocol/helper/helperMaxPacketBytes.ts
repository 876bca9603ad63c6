/**
 * The largest message either side accepts on helper.sock, in bytes (64 KiB). Every helper
 * message is a few hundred bytes (a status of a handful of devices is the largest); a root process
 * has no reason to buffer more from a peer it does not trust.
 */
export const HELPER_MAX_PACKET_BYTES = 64 * 1024;

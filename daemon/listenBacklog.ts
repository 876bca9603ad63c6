/**
 * The listen backlog of ntd's servers (ntd.sock and HTTP): how many connections the kernel queues
 * before ntd accepts them. Node's default is 511, and libuv accepts only a few queued connections
 * per loop turn, so 1000 clients connecting at once to ntd.sock overflowed it: a Unix socket
 * refuses the excess with EAGAIN (TCP drops the SYN and the client retries). The kernel silently
 * caps this at net.core.somaxconn, which is 4096 since Linux 5.4; a queued connection costs only
 * kernel memory, so asking for the cap's value costs nothing on smaller settings.
 */
export const LISTEN_BACKLOG = 4096;

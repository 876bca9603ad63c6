// SOCK_SEQPACKET Unix sockets for helper.sock: one message per packet, the kernel keeps the
// boundaries, and file descriptors travel as SCM_RIGHTS (unix(7)). Every socket here is
// non-blocking and close-on-exec; poller.c tells JS when to call accept/recv/send again.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <node_api.h>

#include "seqpacket.h"

/** The most fds one packet may carry, either way (the protocol uses one). */
#define MAX_FDS 4
/** The largest packet recv() accepts (protocol/helper/helperPackets.ts says 64 KiB). */
#define MAX_PACKET (64 * 1024)
/**
 * The largest packet send() takes. Above MAX_PACKET only so tests can send an oversized packet;
 * encodeHelperPacket caps every real message at 64 KiB.
 */
#define MAX_SEND (256 * 1024)

static int fill_address(napi_env env, napi_value value, struct sockaddr_un* address) {
  memset(address, 0, sizeof *address);
  address->sun_family = AF_UNIX;
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, address->sun_path, sizeof address->sun_path, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "socket path must be a string");
    return 0;
  }
  // napi truncates silently; a path that fills the buffer may have been cut.
  if (length == 0 || length >= sizeof address->sun_path - 1 || strlen(address->sun_path) != length) {
    throw_code(env, "NT_E_BAD_REQUEST", "socket path is empty, too long for a Unix socket, or contains NUL");
    return 0;
  }
  return 1;
}

// listen(path, mode, backlog) -> fd. bind, then chmod before listen(), so nobody can connect
// while the socket still has the umask's mode.
napi_value seqpacket_listen(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct sockaddr_un address;
  uint32_t mode = 0, backlog = 0;
  if (argc != 3 || !fill_address(env, argv[0], &address)) {
    if (argc != 3) napi_throw_type_error(env, NULL, "listen(path, mode, backlog)");
    return NULL;
  }
  napi_get_value_uint32(env, argv[1], &mode);
  napi_get_value_uint32(env, argv[2], &backlog);
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "NT_E_IO", "socket(AF_UNIX, SOCK_SEQPACKET)", errno);
  const char* step = "bind";
  if (bind(fd, (struct sockaddr*)&address, sizeof address) != 0) goto fail;
  step = "chmod";
  if (chmod(address.sun_path, mode & 07777) != 0) goto fail;
  step = "listen";
  if (listen(fd, backlog > 0 ? (int)backlog : 64) != 0) goto fail;
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
fail: {
    int err = errno;
    close(fd);
    return throw_errno(env, "NT_E_IO", step, err);
  }
}

// adopt(fd): takes an inherited listening socket (systemd's ListenSequentialPacket=) after
// checking that it is one: AF_UNIX, SOCK_SEQPACKET, listening. Makes it non-blocking, close-on-exec.
napi_value seqpacket_adopt(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (argc != 1 || !get_fd(env, argv[0], "adopt", &fd)) return NULL;
  int type = 0, domain = 0, listening = 0;
  socklen_t length = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0) return throw_errno(env, "NT_E_IO", "getsockopt(SO_TYPE)", errno);
  length = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length) != 0) return throw_errno(env, "NT_E_IO", "getsockopt(SO_DOMAIN)", errno);
  length = sizeof listening;
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0) return throw_errno(env, "NT_E_IO", "getsockopt(SO_ACCEPTCONN)", errno);
  if (domain != AF_UNIX || type != SOCK_SEQPACKET || !listening) {
    return throw_code(env, "NT_E_BAD_REQUEST", "the inherited socket is not a listening AF_UNIX SOCK_SEQPACKET socket (ListenSequentialPacket=)");
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    return throw_errno(env, "NT_E_IO", "fcntl", errno);
  }
  return NULL;
}

// accept(fd) -> connected fd, or -1 when no connection is pending.
napi_value seqpacket_accept(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (argc != 1 || !get_fd(env, argv[0], "accept", &fd)) return NULL;
  int client = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  // A peer that connected and left before accept is ECONNABORTED: nothing to serve.
  if (client < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED && errno != EINTR) {
    return throw_errno(env, "NT_E_IO", "accept4", errno);
  }
  napi_value result;
  napi_create_int32(env, client < 0 ? -1 : client, &result);
  return result;
}

// connect(path) -> fd, connected and then made non-blocking.
napi_value seqpacket_connect(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct sockaddr_un address;
  if (argc != 1 || !fill_address(env, argv[0], &address)) return NULL;
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "NT_E_DAEMON_UNREACHABLE", "socket(AF_UNIX, SOCK_SEQPACKET)", errno);
  int status;
  do status = connect(fd, (struct sockaddr*)&address, sizeof address); while (status != 0 && errno == EINTR);
  int flags = status == 0 ? fcntl(fd, F_GETFL) : -1;
  if (status != 0 || flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "NT_E_DAEMON_UNREACHABLE", "connect", err);
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

// peerCredentials(fd) -> {pid, uid, gid}: SO_PEERCRED, what the kernel recorded of the peer (its
// connect(), or for a client the listener's listen()); nothing the peer says can change it. The
// helper's clients ask it before sending anything: a socket path can be taken over, a uid cannot.
napi_value seqpacket_peer_credentials(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (argc != 1 || !get_fd(env, argv[0], "peerCredentials", &fd)) return NULL;
  struct ucred credentials;
  socklen_t length = sizeof credentials;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return throw_errno(env, "NT_E_IO", "getsockopt(SO_PEERCRED)", errno);
  if (length != sizeof credentials) return throw_code(env, "NT_E_IO", "getsockopt(SO_PEERCRED) returned a short struct ucred");
  napi_value result, pid, uid, gid;
  napi_create_object(env, &result);
  napi_create_int32(env, credentials.pid, &pid);
  napi_create_uint32(env, credentials.uid, &uid);
  napi_create_uint32(env, credentials.gid, &gid);
  napi_set_named_property(env, result, "pid", pid);
  napi_set_named_property(env, result, "uid", uid);
  napi_set_named_property(env, result, "gid", gid);
  return result;
}

static void close_all(const int* fds, size_t count) {
  for (size_t i = 0; i < count; i++) close(fds[i]);
}

// recv(fd, maxFds) -> {data: Buffer, fds: number[]} for one packet; undefined when none is
// waiting; null at end of stream (the peer closed; a zero-length packet reads the same).
// A packet above MAX_PACKET (MSG_TRUNC), more than maxFds fds (MSG_CTRUNC or too many) or any
// other ancillary data throws — after closing every fd it brought, so none leaks.
napi_value seqpacket_recv(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  uint32_t max_fds = 0;
  if (argc != 2 || !get_fd(env, argv[0], "recv", &fd)) return NULL;
  napi_get_value_uint32(env, argv[1], &max_fds);
  if (max_fds > MAX_FDS) max_fds = MAX_FDS;

  static char data[MAX_PACKET];
  union {
    struct cmsghdr align;
    char bytes[CMSG_SPACE(sizeof(int) * MAX_FDS)];
  } control;
  struct iovec iov = {data, sizeof data};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.bytes;
  // Room for max_fds only: the kernel refuses the rest (MSG_CTRUNC) and closes them itself.
  msg.msg_controllen = max_fds > 0 ? CMSG_SPACE(sizeof(int) * max_fds) : 0;
  if (max_fds == 0) msg.msg_control = NULL;
  ssize_t n;
  do n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT); while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return NULL;
  if (n < 0 && errno == ECONNRESET) n = 0;
  if (n < 0) return throw_errno(env, "NT_E_IO", "recvmsg", errno);

  int fds[MAX_FDS];
  size_t fd_count = 0;
  int foreign = 0;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; i++) {
        int received;
        memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof received);
        if (fd_count < MAX_FDS) fds[fd_count++] = received;
        else close(received);
      }
    } else {
      foreign = 1;
    }
  }
  if (n == 0) {
    close_all(fds, fd_count);
    napi_value null_value;
    napi_get_null(env, &null_value);
    return null_value;
  }
  if (msg.msg_flags & MSG_TRUNC) {
    close_all(fds, fd_count);
    return throw_code(env, "NT_E_FRAME_TOO_LARGE", "a packet larger than 64 KiB (MSG_TRUNC)");
  }
  if ((msg.msg_flags & MSG_CTRUNC) || foreign || fd_count > max_fds) {
    close_all(fds, fd_count);
    return throw_code(env, "NT_E_BAD_FRAME", "a packet with more file descriptors than allowed, or other ancillary data");
  }
  napi_value result, buffer, list;
  napi_create_object(env, &result);
  void* copy;
  if (napi_create_buffer_copy(env, (size_t)n, data, &copy, &buffer) != napi_ok) {
    close_all(fds, fd_count);
    return throw_code(env, "NT_E_OUT_OF_MEMORY", "cannot allocate a packet buffer");
  }
  napi_create_array_with_length(env, fd_count, &list);
  for (size_t i = 0; i < fd_count; i++) {
    napi_value value;
    napi_create_int32(env, fds[i], &value);
    napi_set_element(env, list, (uint32_t)i, value);
  }
  napi_set_named_property(env, result, "data", buffer);
  napi_set_named_property(env, result, "fds", list);
  return result;
}

// send(fd, data, fds) -> true when the packet was queued, false when the socket is full (poll
// for writable and try again). fds are duplicated into the peer by the kernel; the caller keeps
// (and closes) its own.
napi_value seqpacket_send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (argc != 3 || !get_fd(env, argv[0], "send", &fd)) return NULL;
  void* data = NULL;
  size_t length = 0;
  if (napi_get_buffer_info(env, argv[1], &data, &length) != napi_ok || length == 0 || length > MAX_SEND) {
    return throw_code(env, "NT_E_FRAME_TOO_LARGE", "send: data must be a Buffer of 1 to 262144 bytes");
  }
  uint32_t fd_count = 0;
  if (napi_get_array_length(env, argv[2], &fd_count) != napi_ok || fd_count > MAX_FDS) {
    return throw_code(env, "NT_E_BAD_REQUEST", "send: fds must be an array of at most 4 descriptors");
  }
  union {
    struct cmsghdr align;
    char bytes[CMSG_SPACE(sizeof(int) * MAX_FDS)];
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {data, length};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd_count > 0) {
    msg.msg_control = control.bytes;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fd_count);
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fd_count);
    for (uint32_t i = 0; i < fd_count; i++) {
      napi_value element;
      int32_t passed;
      napi_get_element(env, argv[2], i, &element);
      if (!get_fd(env, element, "send", &passed)) return NULL;
      memcpy(CMSG_DATA(c) + i * sizeof(int), &passed, sizeof passed);
    }
  }
  ssize_t n;
  do n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT); while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    napi_value no;
    napi_get_boolean(env, 0, &no);
    return no;
  }
  if (n < 0) return throw_errno(env, "NT_E_IO", "sendmsg", errno);
  napi_value yes;
  napi_get_boolean(env, 1, &yes);
  return yes;
}

// close(fd): for sockets made here and fds received with recv().
napi_value close_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (argc != 1 || !get_fd(env, argv[0], "close", &fd)) return NULL;
  // After EINTR Linux has closed the fd already; retrying could close another one.
  if (close(fd) != 0 && errno != EINTR) return throw_errno(env, "NT_E_IO", "close", errno);
  return NULL;
}

/*
 * nxrt networking: TCP and UDP sockets on the executor's IO readiness
 * (nxrt_services.h), socket addresses, byte-record channels and a retry
 * backoff.
 *
 * Why one header for these three: they are what a networked client adds on
 * top of the services (a socket per peer, record channels that hand received
 * frames to other threads without a copy, a backoff to reconnect), and this
 * header is the one that needs the system's socket headers, so a program
 * that only runs tasks never includes them.
 *
 * Conventions (as nxrt.h and nxrt_services.h): functions return NX_OK (0) or
 * a negative errno-style code; a poll function returns NX_READY (1),
 * NX_PENDING (0) or a negative code. Network failures are the kernel's errno,
 * negated, and nothing else: -ECONNREFUSED, -ECONNRESET, -EPIPE, -ETIMEDOUT,
 * -EADDRINUSE, -EADDRNOTAVAIL, -ENETUNREACH, -EHOSTUNREACH, -EMSGSIZE,
 * -EACCES, -EAFNOSUPPORT, ... (nx_err_name names them).
 *
 * Futures are state structs with _init / _poll / _drop, embedded in the
 * task's state. A zero-filled future is "empty": dropping it is a no-op and
 * polling it is NX_EINVAL. Call the drop function from the task's drop
 * function (it is idempotent). Once a read, write, send or receive future
 * finished (NX_READY or an error), polling it again returns the same result;
 * a connect future hands its stream out once (then it is empty), an accept
 * future stays armed for the next connection.
 *
 * Every function may be called from a poll function or a drop function of a
 * task on the socket's executor: none of them runs the executor or blocks.
 * Everything runs on the executor's thread unless marked "any thread"; from
 * another thread a socket function returns NX_EWRONGTHREAD and changes nothing.
 *
 * Licensed under the MIT license (see LICENSE).
 */
#ifndef NXRT_NET_H
#define NXRT_NET_H

#include "nxrt_services.h"

#include <netinet/in.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Socket addresses                                                         */
/* ------------------------------------------------------------------------ */

/* An IPv4 or IPv6 address with its port. `len` 0 means "no address". */
typedef struct nx_sockaddr {
  union {
    struct sockaddr sa;
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
  } u;
  socklen_t len;
} nx_sockaddr;

/* Room for the longest text nx_sockaddr_format writes, with its NUL:
 * "[ffff:...:255.255.255.255%<interface>]:65535". */
#define NX_SOCKADDR_STRLEN 80

/* Parses numeric text: "127.0.0.1:8080", "[::1]:8080", "[fe80::1%eth0]:80".
 * No name lookup (it would block the executor): resolve names before.
 * NX_EINVAL: NULL arguments, no port, port > 65535, not an address. */
int nx_sockaddr_parse(nx_sockaddr *out, const char *text);
/* An address from a numeric IP text without a port ("10.0.0.1", "::1").
 * NX_EINVAL as nx_sockaddr_parse. */
int nx_sockaddr_ip(nx_sockaddr *out, const char *ip, uint16_t port);
/* The loopback (127.0.0.1 or ::1) or wildcard (0.0.0.0 or ::) address of
 * `family` (AF_INET or AF_INET6). NX_EINVAL: out NULL, another family. */
int nx_sockaddr_loopback(nx_sockaddr *out, int family, uint16_t port);
int nx_sockaddr_any(nx_sockaddr *out, int family, uint16_t port);
/* Copies a kernel address (AF_INET / AF_INET6 only). NX_EINVAL otherwise. */
int nx_sockaddr_from(nx_sockaddr *out, const struct sockaddr *sa, socklen_t len);
/* Writes "a.b.c.d:port" or "[v6]:port" into buf (NUL-terminated) and
 * returns its length. NX_EINVAL: NULL arguments or no address. -ENOSPC:
 * `size` too small (NX_SOCKADDR_STRLEN is always enough); buf gets "". */
int nx_sockaddr_format(const nx_sockaddr *a, char *buf, size_t size);
/* The port (host order); 0 for NULL or no address. */
uint16_t nx_sockaddr_port(const nx_sockaddr *a);
/* Sets the port. NX_EINVAL: NULL or no address. */
int nx_sockaddr_set_port(nx_sockaddr *a, uint16_t port);
/* AF_INET, AF_INET6, or AF_UNSPEC for NULL / no address. */
int nx_sockaddr_family(const nx_sockaddr *a);
/* 1 if both hold the same family, address, port (and IPv6 scope), else 0. */
int nx_sockaddr_equal(const nx_sockaddr *a, const nx_sockaddr *b);

/* ------------------------------------------------------------------------ */
/* Sockets: what TCP and UDP share                                          */
/* ------------------------------------------------------------------------ */
/*
 * A socket is one allocation holding the descriptor (non-blocking,
 * close-on-exec) and its registration in the executor's epoll set. Handles
 * (nx_tcp_listener, nx_tcp_stream, nx_udp_socket) are small structs holding
 * a pointer to it; a zero-filled handle is "empty". Handles and the futures
 * made from them each hold a reference, so memory is freed when the last of
 * them is closed or dropped, in any order, and no future ever reads freed
 * memory.
 *
 * CLOSING. nx_*_close(h) on a full handle closes the socket for every holder
 * at once: each task waiting on it is woken, and every later operation on
 * any handle or future of that socket returns NX_ECANCELED (as Asio's
 * operation_aborted). The descriptor is deregistered, then closed. Every
 * handle must still be closed once (that releases its reference). To share
 * a stream between a reading task and a writing task that end on their own,
 * split it (nx_tcp_stream_split): closing a half only gives up that half.
 *
 * WAITING. Each socket has one waker per direction (read side, write side),
 * so one task may wait to read while another waits to write; two tasks
 * waiting on the SAME side at once is not supported (the later one replaces
 * the earlier one, which is then not woken). Dropping a future that is
 * waiting releases its task's waker at once; a future that finished leaves
 * the waker registered (the task's next wait on that side reuses it without
 * a clone) until the socket closes or another task waits on that side.
 *
 * SIGPIPE: no nxrt write raises it (sends use MSG_NOSIGNAL); a write to a
 * connection the peer closed returns -EPIPE (or -ECONNRESET). The program
 * need not ignore SIGPIPE for nxrt sockets.
 *
 * EXECUTOR SHUTDOWN: the executor removes every registration first (waking
 * nobody: the tasks are dropped next). Afterwards operations return
 * NX_ESHUTDOWN; closing still works, on any thread (one at a time), also
 * after nx_executor_destroy().
 */

struct nx_socket; /* private: runtime/src/socket.h */

/* A TCP connection. `role_` is NX_IO_READ | NX_IO_WRITE for a full handle,
 * or one of them for a half (nx_tcp_stream_split). */
typedef struct nx_tcp_stream {
  struct nx_socket *sock_;
  unsigned role_;
} nx_tcp_stream;

/* Flags for nx_tcp_listen and nx_udp_bind (options that must be set before
 * bind(2)). Listeners always set SO_REUSEADDR (a restarted server can bind
 * while old connections linger in TIME_WAIT); UDP sockets only on request. */
enum {
  NX_NET_REUSEADDR = 1, /* SO_REUSEADDR (UDP: share a multicast port) */
  NX_NET_REUSEPORT = 2, /* SO_REUSEPORT: several sockets bound to one port */
  NX_NET_V6ONLY = 4     /* IPV6_V6ONLY: an IPv6 wildcard does not take IPv4 */
};

/* Socket options, for nx_*_setopt / nx_*_getopt. Values are ints. */
typedef enum nx_sockopt {
  NX_SOCKOPT_NODELAY = 1,     /* TCP stream: TCP_NODELAY (0/1) */
  NX_SOCKOPT_KEEPALIVE,       /* TCP stream: SO_KEEPALIVE (0/1) */
  NX_SOCKOPT_KEEPIDLE,        /* TCP stream: TCP_KEEPIDLE, seconds (>= 1) */
  NX_SOCKOPT_LINGER,          /* TCP stream: -1 off (default), 0: close resets the
                                 connection (RST). Positive values are NX_EINVAL:
                                 close() would block the executor. */
  NX_SOCKOPT_SNDBUF,          /* any: SO_SNDBUF bytes (the kernel doubles what is set;
                                 get returns the kernel's value) */
  NX_SOCKOPT_RCVBUF,          /* any: SO_RCVBUF bytes (as SNDBUF) */
  NX_SOCKOPT_TTL,             /* any: IP_TTL / IPV6_UNICAST_HOPS (1..255) */
  NX_SOCKOPT_BROADCAST,       /* UDP IPv4: SO_BROADCAST (0/1) */
  NX_SOCKOPT_MULTICAST_LOOP,  /* UDP: IP(V6)_MULTICAST_LOOP (0/1) */
  NX_SOCKOPT_MULTICAST_TTL,   /* UDP: IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS (0..255) */
  NX_SOCKOPT_MULTICAST_IF     /* UDP: the interface index multicast leaves by (0: the
                                 routing table's choice). Set only: getopt is NX_EINVAL */
} nx_sockopt;

/* Waits until a socket is readable or writable (NX_IO_READ / NX_IO_WRITE,
 * one of them), without reading or writing: for code that calls the try_*
 * functions itself. READY stays true until a try_* returns NX_EAGAIN.
 * READY means "try now", not "data is there": a new socket starts ready,
 * and an executor in NX_RUN_BUSY with at most two descriptors registered
 * wakes waiting socket futures to try instead of asking epoll (one system
 * call where epoll_wait + recv are two), so a try_* may say NX_EAGAIN. */
typedef struct nx_sock_ready {
  struct nx_socket *sock_;
  nx_task *waiter_; /* the task waiting now, if any (no reference: for the drop) */
  unsigned side_;
} nx_sock_ready;
/* NX_READY, NX_PENDING, NX_ECANCELED (closed), NX_ESHUTDOWN. NX_EINVAL:
 * NULL, empty future, cx of another executor. */
int nx_sock_ready_poll(nx_sock_ready *f, nx_cx *cx);
/* Releases the waker (if waiting) and the reference. NULL/empty: no-op. */
void nx_sock_ready_drop(nx_sock_ready *f);

/* ------------------------------------------------------------------------ */
/* TCP listener                                                             */
/* ------------------------------------------------------------------------ */

typedef struct nx_tcp_listener { struct nx_socket *sock_; } nx_tcp_listener;

/* socket + bind + listen on `addr` (port 0: the kernel picks one; read it
 * with nx_tcp_listener_local_addr), registered on `ex`. backlog <= 0 means
 * SOMAXCONN. flags: NX_NET_*. NX_EINVAL: NULL arguments, no address, unknown
 * flags. NX_EWRONGTHREAD: not ex's thread. NX_ESHUTDOWN. NX_ENOMEM. Kernel errors:
 * -EADDRINUSE, -EADDRNOTAVAIL (not a local address), -EACCES (port < 1024
 * without privilege), -EAFNOSUPPORT, -EMFILE ... On error *out is empty and
 * nothing stays open. */
int nx_tcp_listen(nx_executor *ex, const nx_sockaddr *addr, int backlog, unsigned flags,
                  nx_tcp_listener *out);
/* Another handle to the same listener (closing either closes it).
 * NX_EINVAL: NULL or empty. NX_ECANCELED: already closed. NX_EWRONGTHREAD. */
int nx_tcp_listener_clone(const nx_tcp_listener *l, nx_tcp_listener *out);
/* Closes the listener for every holder (a task waiting in accept is woken
 * and gets NX_ECANCELED) and empties the handle. NX_OK; NX_EINVAL (NULL or
 * empty handle); NX_EWRONGTHREAD (wrong thread while the executor runs: nothing
 * changed). */
int nx_tcp_listener_close(nx_tcp_listener *l);
/* NX_EINVAL: NULL arguments, empty handle. NX_ECANCELED, NX_ESHUTDOWN,
 * NX_EWRONGTHREAD. */
int nx_tcp_listener_local_addr(const nx_tcp_listener *l, nx_sockaddr *out);
/* The descriptor (-1 for NULL, empty or closed). Do not close it or change
 * its flags; reading options with getsockopt is fine. */
int nx_tcp_listener_fd(const nx_tcp_listener *l);
/* Readiness of the listening socket (side NX_IO_READ only). NX_EINVAL. */
int nx_tcp_listener_ready_init(nx_sock_ready *f, const nx_tcp_listener *l);

/* Accepts connections. READY hands out one connection (a full stream
 * handle, registered on the listener's executor) and its peer address; the
 * future stays armed: poll it again for the next one. Transient errors of a
 * connection that died in the backlog (ECONNABORTED, EPROTO, ...) are
 * skipped, as accept(2) advises. */
typedef struct nx_tcp_accept {
  struct nx_socket *sock_;
  nx_task *waiter_;
} nx_tcp_accept;
/* NX_EINVAL: a NULL, empty or closed listener handle (a closed one:
 * NX_ECANCELED). */
int nx_tcp_accept_init(nx_tcp_accept *a, const nx_tcp_listener *l);
/* NX_READY with *out (peer may be NULL), NX_PENDING, NX_ECANCELED (the
 * listener was closed), NX_ESHUTDOWN, NX_ENOMEM (the connection is closed),
 * -EMFILE / -ENFILE / -ENOBUFS (out of descriptors or memory: the connection
 * stays in the backlog; wait before polling again, or it is retried at once).
 * NX_EINVAL: NULL a/cx/out, empty future, cx of another executor. */
int nx_tcp_accept_poll(nx_tcp_accept *a, nx_cx *cx, nx_tcp_stream *out, nx_sockaddr *peer);
/* NULL/empty: no-op. */
void nx_tcp_accept_drop(nx_tcp_accept *a);

/* ------------------------------------------------------------------------ */
/* TCP stream                                                               */
/* ------------------------------------------------------------------------ */

/* Connects without blocking: the first poll creates the socket (family of
 * `addr`) and starts connect(2); READY once the handshake finished.
 * Combine with nx_timeout for a deadline. */
typedef struct nx_tcp_connect {
  nx_sockaddr addr_;
  struct nx_socket *sock_;
  nx_task *waiter_;
  int state_, rc_;
} nx_tcp_connect;
/* NX_EINVAL: c or addr NULL, addr not AF_INET/AF_INET6. */
int nx_tcp_connect_init(nx_tcp_connect *c, const nx_sockaddr *addr);
/* NX_READY with *out (a full handle), NX_PENDING, or the connect error:
 * -ECONNREFUSED, -ETIMEDOUT, -ENETUNREACH, -EHOSTUNREACH, -EADDRNOTAVAIL,
 * -EAFNOSUPPORT, -EMFILE, NX_ENOMEM, NX_ESHUTDOWN. After an error the
 * future is finished (polls repeat the error); init it again to retry.
 * NX_EINVAL: NULL c/cx/out, empty future, cx of another executor. */
int nx_tcp_connect_poll(nx_tcp_connect *c, nx_cx *cx, nx_tcp_stream *out);
/* A connect still in progress is abandoned (the socket is closed).
 * NULL/empty: no-op. */
void nx_tcp_connect_drop(nx_tcp_connect *c);

/* Another handle with the same role. Closing a full handle (a clone or not)
 * closes the socket for all; closing a half gives up only that half.
 * NX_EINVAL: NULL or empty. NX_ECANCELED: already closed. NX_EWRONGTHREAD. */
int nx_tcp_stream_clone(const nx_tcp_stream *s, nx_tcp_stream *out);
/* Splits a full handle into a read half and a write half (the handle is
 * emptied), for two tasks: one reads, one writes, each with its own waker.
 * The socket stays open until both halves are closed (and every clone of
 * them); closing the write half first sends FIN (shutdown SHUT_WR).
 * NX_EINVAL: NULL arguments, empty handle, or a half (role_ not both).
 * NX_ECANCELED. NX_EWRONGTHREAD. */
int nx_tcp_stream_split(nx_tcp_stream *s, nx_tcp_stream *rd, nx_tcp_stream *wr);
/* Full handle: closes the socket for every holder (waiting tasks are woken
 * and get NX_ECANCELED; with NX_SOCKOPT_LINGER 0 the peer gets a reset).
 * Half: gives up this half (the write half's last handle sends FIN); the
 * socket closes with the last half. Empties the handle. NX_OK, NX_EINVAL
 * (NULL or empty), NX_EWRONGTHREAD (wrong thread while the executor runs: nothing
 * changed). */
int nx_tcp_stream_close(nx_tcp_stream *s);
/* shutdown(2): SHUT_RD, SHUT_WR or SHUT_RDWR (a read half may only shut
 * reading, a write half only writing). The peer reads end of file after
 * SHUT_WR. NX_EINVAL: NULL, empty, bad `how`. NX_ECANCELED, NX_ESHUTDOWN,
 * NX_EWRONGTHREAD, -ENOTCONN. */
int nx_tcp_stream_shutdown(const nx_tcp_stream *s, int how);
/* NX_EINVAL: NULL arguments or empty handle. NX_ECANCELED, NX_ESHUTDOWN,
 * NX_EWRONGTHREAD, -ENOTCONN (peer). */
int nx_tcp_stream_local_addr(const nx_tcp_stream *s, nx_sockaddr *out);
int nx_tcp_stream_peer_addr(const nx_tcp_stream *s, nx_sockaddr *out);
/* NX_EINVAL: NULL, empty, an option TCP streams do not have (see
 * nx_sockopt), a value out of range. NX_ECANCELED, NX_ESHUTDOWN, NX_EWRONGTHREAD,
 * or the kernel's -errno. */
int nx_tcp_stream_setopt(const nx_tcp_stream *s, nx_sockopt opt, int value);
int nx_tcp_stream_getopt(const nx_tcp_stream *s, nx_sockopt opt, int *value);
/* The descriptor (-1 for NULL, empty or closed). See nx_tcp_listener_fd. */
int nx_tcp_stream_fd(const nx_tcp_stream *s);

/* One read(2)/send(2) now, no waiting: NX_OK with *n (0 = end of file for a
 * read), NX_EAGAIN (would block; the readiness is cleared so a later
 * wait waits), or the kernel's error (-ECONNRESET, -EPIPE, ...).
 * NX_EINVAL: NULL, empty handle, n NULL, buf NULL with len > 0, the wrong
 * half. NX_ECANCELED, NX_ESHUTDOWN, NX_EWRONGTHREAD. */
int nx_tcp_try_read(const nx_tcp_stream *s, void *buf, size_t len, size_t *n);
int nx_tcp_try_write(const nx_tcp_stream *s, const void *buf, size_t len, size_t *n);
/* Readiness futures (NX_IO_READ needs a readable handle, NX_IO_WRITE a
 * writable one). NX_EINVAL: NULL, empty, wrong half, side not exactly one
 * of the two. NX_ECANCELED. */
int nx_tcp_stream_ready_init(nx_sock_ready *f, const nx_tcp_stream *s, unsigned side);

/* Reading. nx_tcp_read_init: READY after one read of up to `len` bytes
 * (n = 0: end of file). nx_tcp_read_exact_init: READY once exactly `len`
 * bytes arrived; end of file first is NX_EPIPE (nx_tcp_read_done() tells
 * how many arrived; they are in buf). `buf` must stay valid until READY or
 * dropped. A read first tries recv(2) while the read side is marked ready;
 * EAGAIN, or a read shorter than asked, clears the mark and the next read
 * waits for readiness (a short read still tries again when the peer's end
 * was already reported, so the end of file is read). A short send clears
 * the write mark the same way. */
typedef struct nx_tcp_xfer_ { /* private: what reads and writes share */
  struct nx_socket *sock_;
  unsigned char *buf_;
  size_t len_, done_;
  nx_task *waiter_;
  int exact_, rc_;
} nx_tcp_xfer_;
typedef struct nx_tcp_read { nx_tcp_xfer_ x_; } nx_tcp_read;
/* NX_EINVAL: NULL r, NULL/empty handle, a write half, buf NULL with
 * len > 0. NX_ECANCELED: the socket is closed. The future is empty after an
 * error. */
int nx_tcp_read_init(nx_tcp_read *r, const nx_tcp_stream *s, void *buf, size_t len);
int nx_tcp_read_exact_init(nx_tcp_read *r, const nx_tcp_stream *s, void *buf, size_t len);
/* NX_READY with *n_out (may be NULL), NX_PENDING, NX_EPIPE (read_exact: end
 * of file first), NX_ECANCELED (closed, also while waiting), NX_ESHUTDOWN,
 * or the kernel's error (-ECONNRESET, -ETIMEDOUT ...; bytes read before it
 * are in buf). NX_EINVAL: NULL r/cx, empty future, cx of another executor. */
int nx_tcp_read_poll(nx_tcp_read *r, nx_cx *cx, size_t *n_out);
/* Bytes read so far (0 for NULL). */
size_t nx_tcp_read_done(const nx_tcp_read *r);
/* NULL/empty: no-op. */
void nx_tcp_read_drop(nx_tcp_read *r);

/* Writing. nx_tcp_write_init: READY after one send of up to `len` bytes;
 * nx_tcp_write_all_init: READY once all `len` bytes were sent. `buf` must
 * stay valid and unchanged until READY or dropped. */
typedef struct nx_tcp_write { nx_tcp_xfer_ x_; } nx_tcp_write;
/* NX_EINVAL: as nx_tcp_read_init (a read half instead of a write half). */
int nx_tcp_write_init(nx_tcp_write *w, const nx_tcp_stream *s, const void *buf, size_t len);
int nx_tcp_write_all_init(nx_tcp_write *w, const nx_tcp_stream *s, const void *buf, size_t len);
/* NX_READY with *n_out (may be NULL), NX_PENDING, NX_ECANCELED,
 * NX_ESHUTDOWN, -EPIPE / -ECONNRESET (the peer is gone; never SIGPIPE), or
 * another kernel error. NX_EINVAL as nx_tcp_read_poll. */
int nx_tcp_write_poll(nx_tcp_write *w, nx_cx *cx, size_t *n_out);
/* Bytes sent so far (0 for NULL). */
size_t nx_tcp_write_done(const nx_tcp_write *w);
void nx_tcp_write_drop(nx_tcp_write *w);

/* ------------------------------------------------------------------------ */
/* UDP                                                                      */
/* ------------------------------------------------------------------------ */

typedef struct nx_udp_socket { struct nx_socket *sock_; } nx_udp_socket;

/* socket + bind, registered on `ex`. Errors as nx_tcp_listen. */
int nx_udp_bind(nx_executor *ex, const nx_sockaddr *addr, unsigned flags, nx_udp_socket *out);
/* connect(2): sets the default peer (send without an address) and filters
 * what recv gets. Errors as nx_tcp_stream_shutdown (-EAFNOSUPPORT for
 * another family). */
int nx_udp_connect(const nx_udp_socket *u, const nx_sockaddr *peer);
/* As the TCP stream functions of the same names. */
int nx_udp_clone(const nx_udp_socket *u, nx_udp_socket *out);
int nx_udp_close(nx_udp_socket *u);
int nx_udp_local_addr(const nx_udp_socket *u, nx_sockaddr *out);
int nx_udp_peer_addr(const nx_udp_socket *u, nx_sockaddr *out);
int nx_udp_setopt(const nx_udp_socket *u, nx_sockopt opt, int value);
int nx_udp_getopt(const nx_udp_socket *u, nx_sockopt opt, int *value);
int nx_udp_fd(const nx_udp_socket *u);
/* Joins / leaves a multicast group (IPv4: IP_ADD_MEMBERSHIP, IPv6:
 * IPV6_JOIN_GROUP) on interface `ifindex` (0: the kernel's choice). The
 * group's family must be the socket's. NX_EINVAL: NULL, empty, not a
 * multicast address, another family. NX_ECANCELED, NX_ESHUTDOWN, NX_EWRONGTHREAD,
 * or the kernel's error (-ENODEV: no such interface or no multicast route;
 * -EADDRNOTAVAIL: leaving a group not joined). */
int nx_udp_join_multicast(const nx_udp_socket *u, const nx_sockaddr *group, unsigned ifindex);
int nx_udp_leave_multicast(const nx_udp_socket *u, const nx_sockaddr *group, unsigned ifindex);

/* One datagram now, no waiting. send: `to` NULL sends to the connected
 * peer. recv: a datagram longer than `len` is cut: its first `len` bytes
 * are in buf, the rest is lost, and the result is -EMSGSIZE with *n the
 * datagram's full length. `from` may be NULL. NX_OK, NX_EAGAIN, -EMSGSIZE,
 * -ECONNREFUSED (connected socket: the peer's port was closed),
 * -EDESTADDRREQ (no address and not connected), other kernel errors.
 * NX_EINVAL: NULL u/n, empty handle, buf NULL with len > 0. NX_ECANCELED,
 * NX_ESHUTDOWN, NX_EWRONGTHREAD. */
int nx_udp_try_send(const nx_udp_socket *u, const void *buf, size_t len, const nx_sockaddr *to,
                    size_t *n);
int nx_udp_try_recv(const nx_udp_socket *u, void *buf, size_t len, size_t *n, nx_sockaddr *from);
/* Readiness (side NX_IO_READ or NX_IO_WRITE). NX_EINVAL as the TCP one. */
int nx_udp_ready_init(nx_sock_ready *f, const nx_udp_socket *u, unsigned side);

/* Sends one datagram, waiting for room in the send buffer. `to` NULL: the
 * connected peer. buf must stay valid until READY or dropped. */
typedef struct nx_udp_send {
  struct nx_socket *sock_;
  const void *buf_;
  size_t len_, sent_;
  nx_sockaddr to_;
  nx_task *waiter_;
  int rc_;
} nx_udp_send;
/* NX_EINVAL: NULL f, NULL/empty handle, buf NULL with len > 0, `to` of no
 * address. NX_ECANCELED. */
int nx_udp_send_init(nx_udp_send *f, const nx_udp_socket *u, const void *buf, size_t len,
                     const nx_sockaddr *to);
/* NX_READY with *n_out (may be NULL), NX_PENDING, or the errors of
 * nx_udp_try_send except NX_EAGAIN. NX_EINVAL as nx_tcp_read_poll. */
int nx_udp_send_poll(nx_udp_send *f, nx_cx *cx, size_t *n_out);
void nx_udp_send_drop(nx_udp_send *f);

/* Receives one datagram. */
typedef struct nx_udp_recv {
  struct nx_socket *sock_;
  void *buf_;
  size_t len_, got_;
  nx_sockaddr from_;
  nx_task *waiter_;
  int rc_;
} nx_udp_recv;
/* NX_EINVAL as nx_udp_send_init. */
int nx_udp_recv_init(nx_udp_recv *f, const nx_udp_socket *u, void *buf, size_t len);
/* NX_READY with *n_out and *from (both may be NULL), NX_PENDING, or the
 * errors of nx_udp_try_recv except NX_EAGAIN (-EMSGSIZE: cut, *n_out the
 * full length). NX_EINVAL as nx_tcp_read_poll. */
int nx_udp_recv_poll(nx_udp_recv *f, nx_cx *cx, size_t *n_out, nx_sockaddr *from);
void nx_udp_recv_drop(nx_udp_recv *f);

/* ------------------------------------------------------------------------ */
/* Byte-record channels                                                     */
/* ------------------------------------------------------------------------ */
/*
 * Variable-length records through a ring of bytes, without a copy: a
 * producer claims `len` bytes, writes them in place and commits (or aborts:
 * the record never appears); the receiver gets a record in place and
 * releases it, which frees its room. SPSC: one producer on any thread; MPSC:
 * producers on any threads (clone the sender); the receiver is a task on
 * one executor. A claim future waits for room (backpressure by waker, FIFO
 * among waiting MPSC producers), a receive poll waits for a record.
 *
 * Capacity is in bytes, rounded up to a power of two (64 .. 2^30). Each
 * record takes 8 bytes of header plus its length rounded up to 8; the
 * largest record is nx_*_bytes_max_record() = capacity / 2 - 8, so that a
 * record always fits once the ring is empty. A record's data is 8-byte
 * aligned. Zero-length records are allowed.
 *
 * Closing: as the typed channels (nxrt_services.h). When the receiver
 * closes, claims fail with NX_EPIPE and a commit returns NX_EPIPE (the
 * record is dropped). When the last sender closes, the receiver gets the
 * records still queued and then NX_EPIPE. A sender with an open claim (or
 * a claim future waiting for room), or a receiver holding a record, cannot
 * close: NX_EBUSY (commit/abort/release, or drop the future, first). The
 * ring is freed when every handle is closed.
 *
 * A claim and a record point into the ring: they are valid until commit /
 * abort / release, which empty them, and they count in their handle, which
 * must stay where it is (not be copied or moved) while they are open. One
 * record is held at a time. A claim future is empty once it returned
 * NX_READY or an error (polling it again is NX_EINVAL).
 */

typedef struct nx_spsc_bytes nx_spsc_bytes;
typedef struct nx_mpsc_bytes nx_mpsc_bytes;
/* Handles. claims_ / held_ count what the handle has open (one thread uses
 * a handle at a time). */
typedef struct nx_spsc_bytes_tx { nx_spsc_bytes *ch_; unsigned claims_; } nx_spsc_bytes_tx;
typedef struct nx_spsc_bytes_rx { nx_spsc_bytes *ch_; unsigned held_; } nx_spsc_bytes_rx;
typedef struct nx_mpsc_bytes_tx { nx_mpsc_bytes *ch_; unsigned claims_; } nx_mpsc_bytes_tx;
typedef struct nx_mpsc_bytes_rx { nx_mpsc_bytes *ch_; unsigned held_; } nx_mpsc_bytes_rx;

/* A producer's claim: write `len` bytes at `data`, then commit or abort. */
typedef struct nx_byte_claim {
  void *data;
  size_t len;
  void *ch_;          /* private from here */
  unsigned *claims_;  /* the sender handle's count */
  size_t pos_, size_;
  int kind_;
} nx_byte_claim;

/* A record the receiver holds: `len` bytes at `data`, until released. */
typedef struct nx_byte_record {
  void *data;
  size_t len;
  void *ch_;          /* private from here */
  unsigned *held_;
  size_t size_;
  int kind_;
} nx_byte_record;

/* Publishes the record (the receiver is woken) and empties the claim.
 * NX_OK, NX_EPIPE (the receiver closed: the record is dropped), NX_EINVAL
 * (NULL or empty claim). Any thread (the claiming one). */
int nx_byte_claim_commit(nx_byte_claim *c);
/* Gives the room back; the record never appears. NULL/empty: no-op. */
void nx_byte_claim_abort(nx_byte_claim *c);
/* Frees the record's room (a waiting producer is woken) and empties it.
 * NULL/empty: no-op. The receiver's thread. */
void nx_byte_record_release(nx_byte_record *r);

/* --- spsc --- */
/* NX_EINVAL: tx/rx NULL, capacity 0 or > 2^30. NX_ENOMEM. Any thread. */
int nx_spsc_bytes_create(size_t capacity, nx_spsc_bytes_tx *tx, nx_spsc_bytes_rx *rx);
/* The largest record (0 for NULL/empty). */
size_t nx_spsc_bytes_max_record(const nx_spsc_bytes_tx *tx);
/* NX_OK (handle emptied; the receiver is woken), NX_EBUSY (a claim is
 * open), NX_EINVAL (NULL/empty). The sender's thread. */
int nx_spsc_bytes_tx_close(nx_spsc_bytes_tx *tx);
/* NX_OK (queued records dropped, a waiting producer woken), NX_EBUSY (a
 * record is held), NX_EINVAL. The receiver's thread. */
int nx_spsc_bytes_rx_close(nx_spsc_bytes_rx *rx);
/* NX_OK with *c, NX_EAGAIN (no room now), NX_EPIPE (receiver closed),
 * NX_E2BIG (len above max_record), NX_EBUSY (this sender already has an
 * open claim: SPSC records are committed in order). NX_EINVAL: NULL,
 * empty. The sender's thread, wait-free. */
int nx_spsc_bytes_try_claim(nx_spsc_bytes_tx *tx, size_t len, nx_byte_claim *c);
/* NX_OK with *r, NX_EAGAIN (empty), NX_EPIPE (empty and the sender
 * closed), NX_EBUSY (a record is already held). NX_EINVAL: NULL, empty. */
int nx_spsc_bytes_try_recv(nx_spsc_bytes_rx *rx, nx_byte_record *r);
/* The receiver's task: NX_READY with *r, NX_PENDING, or the errors of
 * try_recv except NX_EAGAIN. NX_EINVAL also for cx NULL. */
int nx_spsc_bytes_recv_poll(nx_spsc_bytes_rx *rx, nx_cx *cx, nx_byte_record *r);

/* A claim that waits for room; polled by a task on any executor. */
typedef struct nx_spsc_bytes_claim {
  nx_spsc_bytes_tx *tx_;
  size_t len_;
  int registered_;
} nx_spsc_bytes_claim;
/* NX_EINVAL: NULL, empty tx. NX_E2BIG. The handle must outlive the future. */
int nx_spsc_bytes_claim_init(nx_spsc_bytes_claim *f, nx_spsc_bytes_tx *tx, size_t len);
/* NX_READY with *c, NX_PENDING, NX_EPIPE, NX_EBUSY. NX_EINVAL. */
int nx_spsc_bytes_claim_poll(nx_spsc_bytes_claim *f, nx_cx *cx, nx_byte_claim *c);
/* NULL/empty: no-op. */
void nx_spsc_bytes_claim_drop(nx_spsc_bytes_claim *f);

/* --- mpsc --- */
/* As nx_spsc_bytes_create. */
int nx_mpsc_bytes_create(size_t capacity, nx_mpsc_bytes_tx *tx, nx_mpsc_bytes_rx *rx);
size_t nx_mpsc_bytes_max_record(const nx_mpsc_bytes_tx *tx);
/* Another sender. NX_EINVAL: NULL/empty. Any thread. */
int nx_mpsc_bytes_tx_clone(const nx_mpsc_bytes_tx *tx, nx_mpsc_bytes_tx *out);
/* As the spsc ones; the last sender's close wakes the receiver. */
int nx_mpsc_bytes_tx_close(nx_mpsc_bytes_tx *tx);
int nx_mpsc_bytes_rx_close(nx_mpsc_bytes_rx *rx);
/* As nx_spsc_bytes_try_claim, lock-free, and a sender may hold several
 * claims (records appear in claim order; an open claim holds back the
 * records claimed after it, from any sender, until it is committed or
 * aborted). */
int nx_mpsc_bytes_try_claim(nx_mpsc_bytes_tx *tx, size_t len, nx_byte_claim *c);
int nx_mpsc_bytes_try_recv(nx_mpsc_bytes_rx *rx, nx_byte_record *r);
int nx_mpsc_bytes_recv_poll(nx_mpsc_bytes_rx *rx, nx_cx *cx, nx_byte_record *r);

/* A claim that waits for room (FIFO among waiting producers). */
typedef struct nx_mpsc_bytes_claim {
  nx_mpsc_bytes_tx *tx_;
  size_t len_;
  nx_waker waker_;
  struct nx_mpsc_bytes_claim *prev_, *next_;
  int owner_, state_;
} nx_mpsc_bytes_claim;
int nx_mpsc_bytes_claim_init(nx_mpsc_bytes_claim *f, nx_mpsc_bytes_tx *tx, size_t len);
int nx_mpsc_bytes_claim_poll(nx_mpsc_bytes_claim *f, nx_cx *cx, nx_byte_claim *c);
/* Leaves the wait list; a producer woken for room that drops its claim
 * future passes the wake on. NULL/empty: no-op. */
void nx_mpsc_bytes_claim_drop(nx_mpsc_bytes_claim *f);

/* ------------------------------------------------------------------------ */
/* Backoff                                                                  */
/* ------------------------------------------------------------------------ */
/*
 * Exponential backoff for retries: delays initial, 2*initial, 4*initial ...
 * up to max_delay, each multiplied by a random factor in [1-jitter,
 * 1+jitter] (each backoff draws its own sequence, seeded per instance), and
 * exhausted after max_retries waits or at the deadline, whichever comes
 * first. A delay never runs past the deadline.
 *
 *   NX_AWAIT(s, s->rc = nx_tcp_connect_poll(&s->conn, cx, &s->stream));
 *   while (s->rc < 0) {   // retry with backoff
 *     NX_AWAIT(s, s->rc = nx_backoff_wait_poll(&s->bo, cx));
 *     if (s->rc == NX_ETIMEDOUT) break;   // exhausted: give up
 *     ... init and await the connect again ...
 *   }
 */
typedef struct nx_backoff_config {
  int64_t initial_ns;    /* first delay. Default 100 ms */
  int64_t max_delay_ns;  /* cap. Default 30 s */
  uint32_t max_retries;  /* 0: no limit (default) */
  int64_t deadline_ns;   /* absolute nx_now_ns() time; 0: none (default) */
  double jitter;         /* 0 .. 1. Default 0 */
  uint64_t seed;         /* 0: a fresh seed per backoff (default); else reproducible */
} nx_backoff_config;

typedef struct nx_backoff {
  nx_backoff_config cfg_;
  nx_executor *ex_;
  int64_t current_ns_;
  uint64_t rng_;
  uint32_t retries_;
  int armed_;
  nx_sleep sleep_;
} nx_backoff;

/* The defaults above. NX_EINVAL: cfg NULL. */
int nx_backoff_config_init(nx_backoff_config *cfg);
/* NX_EINVAL: b/ex/cfg NULL, initial <= 0, initial > max_delay, jitter
 * outside [0, 1] (or NaN), deadline < 0. NX_ESHUTDOWN. */
int nx_backoff_init(nx_backoff *b, nx_executor *ex, const nx_backoff_config *cfg);
/* Sleeps the next delay: NX_READY when slept (the retry count and the next
 * delay advance), NX_PENDING, or NX_ETIMEDOUT when exhausted (no sleep: the
 * retry budget or the deadline is spent). Errors as nx_sleep_poll. NX_EINVAL:
 * NULL, not initialized, cx of another executor. */
int nx_backoff_wait_poll(nx_backoff *b, nx_cx *cx);
/* 1 if the next wait would report exhaustion (0 for NULL). */
int nx_backoff_is_exhausted(const nx_backoff *b);
/* Waits completed so far (0 for NULL). */
uint32_t nx_backoff_retries(const nx_backoff *b);
/* The next delay before jitter and the deadline cap (0 for NULL). */
int64_t nx_backoff_current_delay(const nx_backoff *b);
/* When the wait in progress ends (an nx_now_ns() time), or 0 if none is:
 * for a "retrying in ..." message. */
int64_t nx_backoff_wait_deadline(const nx_backoff *b);
/* Time left until the deadline (0 if passed), or -1 without a deadline. */
int64_t nx_backoff_remaining(const nx_backoff *b);
/* Back to the first delay and 0 retries; the deadline stays. A wait in
 * progress is abandoned. NX_EINVAL: NULL or not initialized. */
int nx_backoff_reset(nx_backoff *b);
/* Abandons a wait in progress (releases its timer and waker). Idempotent;
 * NULL or zero-filled: no-op. */
void nx_backoff_drop(nx_backoff *b);

#ifdef __cplusplus
}
#endif
#endif /* NXRT_NET_H */

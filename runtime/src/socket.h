/* What the socket types (tcp_listener.c, tcp_stream.c, udp_socket.c) share:
 * the socket object, its reference count and close, and the checks every
 * entry point makes. Not public.
 *
 * One allocation per socket: the descriptor, its nx_io registration (which
 * must not move, hence the heap) and a reference count. Handles and futures
 * each hold a reference; all reference changes happen on the executor's
 * thread (or, once the executor shut down, on whatever single thread closes
 * what is left), so the count is a plain int.
 *
 * States: open (registered), closed (a full handle's close ran: fd is -1,
 * every operation answers NX_ECANCELED), orphaned (the executor shut down
 * and took the registration away: NX_ESHUTDOWN; the descriptor is still
 * open until the last reference goes). The executor pointer is only
 * dereferenced while the socket is registered: a registration implies a
 * live executor (shutdown removes them all before anything is freed).
 */
#ifndef NXRT_SOCKET_H
#define NXRT_SOCKET_H

#include "services.h"
#include "nxrt_net.h"

enum { NX_SOCK_LISTENER = 1, NX_SOCK_STREAM = 2, NX_SOCK_UDP = 3 };

struct nx_socket {
  nx_io io;           /* the epoll registration (must not move) */
  nx_executor *ex;
  int fd;             /* -1 once closed */
  int refs;           /* handles + futures */
  int writers;        /* write-half handles: the last one's close sends FIN */
  int family;         /* AF_INET / AF_INET6 */
  unsigned char kind; /* NX_SOCK_* */
  unsigned char closed;
};

/* Wraps an open non-blocking descriptor: allocates the socket (one
 * reference) and registers it on `ex` for both sides. On error the
 * descriptor is closed. */
int nx__sock_adopt(nx_executor *ex, int fd, int family, int kind, struct nx_socket **out);
/* socket(2) (non-blocking, close-on-exec) + nx__sock_adopt. */
int nx__sock_open(nx_executor *ex, int family, int type, int kind, struct nx_socket **out);
/* socket + pre-bind flags (NX_NET_*) + bind, for listeners and UDP. */
int nx__sock_bind(nx_executor *ex, const nx_sockaddr *addr, int type, int kind, unsigned flags,
                  int reuseaddr, struct nx_socket **out);

/* NX_ECANCELED (closed), NX_ESHUTDOWN (executor gone), NX_EWRONGTHREAD (not the
 * executor's thread), else NX_OK. */
static inline int nx__sock_check(const struct nx_socket *s) {
  if (s->closed) return NX_ECANCELED;
  if (nx_io_fd(&s->io) < 0) return NX_ESHUTDOWN;
  if (!nx__on_owner(s->ex)) return NX_EWRONGTHREAD;
  return NX_OK;
}

/* Inside a poll the cx proves the thread; it must be the socket's
 * executor's (a pointer compare: the executor may be gone). */
static inline int nx__sock_cx_ok(const struct nx_socket *s, const nx_cx *cx) {
  return cx->ex == s->ex;
}

/* Whether this thread may change the socket's registration now: any thread
 * once it is unregistered, else only the executor's. */
static inline int nx__sock_may_release(const struct nx_socket *s) {
  return nx_io_fd(&s->io) < 0 || nx__on_owner(s->ex);
}

/* One more reference (after a check passed). NX_EOVERFLOW at INT_MAX. */
int nx__sock_ref(struct nx_socket *s);
/* One reference less; the last deregisters, closes the descriptor and
 * frees. The caller checked nx__sock_may_release. */
void nx__sock_unref(struct nx_socket *s);
/* Closes the socket for every holder (wakes the waiting tasks, deregisters,
 * closes the descriptor); idempotent. The caller checked
 * nx__sock_may_release. */
void nx__sock_close(struct nx_socket *s);

/* Waits for `side`: NX_READY if the side's readiness is set, else
 * NX_PENDING with the task's waker stored and *waiter set to the task (so a
 * drop can release it). */
static inline int nx__sock_wait(struct nx_socket *s, nx_cx *cx, unsigned side,
                                nx_task **waiter) {
  int rc = side == NX_IO_READ ? nx_io_poll_readable(&s->io, cx) : nx_io_poll_writable(&s->io, cx);
  *waiter = rc == NX_PENDING ? nx_cx_waker(cx).task : NULL;
  return rc;
}

/* One step of a socket future: while the socket is open, wait for `side`
 * and call attempt(arg), which answers NX_READY (done), NX_OK (progress: try
 * again), NX_EAGAIN (the side's mark was cleared: wait), or an error.
 * Returns NX_PENDING (waiting; *waiter set), NX_READY, NX_ECANCELED (closed),
 * NX_ESHUTDOWN, or attempt's error. The caller checked nx__sock_cx_ok. */
int nx__sock_drive(struct nx_socket *s, nx_cx *cx, unsigned side, nx_task **waiter,
                   int (*attempt)(void *arg), void *arg);

/* A future's drop: releases the waker it left waiting (if it was waiting)
 * and its reference; empties *sp. No-op for an empty future, or from a
 * thread that may not release (a leak beats a use after free). */
void nx__sock_future_drop(struct nx_socket **sp, unsigned side, nx_task **waiter);

/* nx__sock_drive for a future that finishes once: the first result other
 * than NX_PENDING is kept in *result (0 while running) and returned by every
 * later poll. */
static inline int nx__sock_drive_once(struct nx_socket *s, nx_cx *cx, unsigned side,
                                      nx_task **waiter, int *result,
                                      int (*attempt)(void *arg), void *arg) {
  if (*result == 0) {
    int rc = nx__sock_drive(s, cx, side, waiter, attempt, arg);
    if (rc == NX_PENDING) return rc;
    *result = rc;
  }
  return *result;
}

/* Options and addresses shared by the socket types. `kind_mask` says which
 * socket kinds (1 << NX_SOCK_*) an option is for. */
int nx__sock_setopt(struct nx_socket *s, nx_sockopt opt, int value);
int nx__sock_getopt(struct nx_socket *s, nx_sockopt opt, int *value);
int nx__sock_name(struct nx_socket *s, nx_sockaddr *out, int peer);

/* Errno of a failed syscall, as a status code. */
static inline int nx__neg_errno(void) { return errno > 0 ? -errno : NX_EINVAL; }

/* Starts a readiness future on `s` (side checked by the caller). */
int nx__sock_ready_init(nx_sock_ready *f, struct nx_socket *s, unsigned side);

#endif /* NXRT_SOCKET_H */

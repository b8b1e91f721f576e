/* The socket object every socket type is made of (socket.h): creation and
 * registration, references and close, options, addresses, and the readiness
 * future.
 *
 * Close order: wake the waiting tasks (their next poll finds `closed`),
 * deregister, then close(2). Deregistering first matters: a descriptor that
 * was dup()ed or inherited keeps its epoll registration after close(2), and
 * an event would then reach freed memory.
 */
#define _GNU_SOURCE
#include "socket.h"

#include <limits.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int nx__sock_adopt(nx_executor *ex, int fd, int family, int kind, struct nx_socket **out) {
  struct nx_socket *s = calloc(1, sizeof *s);
  if (s == NULL) {
    close(fd);
    return NX_ENOMEM;
  }
  int rc = nx_io_register(&s->io, ex, fd, NX_IO_READ | NX_IO_WRITE);
  if (rc < 0) {
    close(fd);
    free(s);
    return rc;
  }
  nx__io_set_try_first(&s->io); /* every socket future tries, then waits */
  s->ex = ex;
  s->fd = fd;
  s->refs = 1;
  s->family = family;
  s->kind = (unsigned char)kind;
  *out = s;
  return NX_OK;
}

int nx__sock_open(nx_executor *ex, int family, int type, int kind, struct nx_socket **out) {
  /* Check first, so a refused call makes no syscall. */
  int rc = nx__service_check(ex);
  if (rc < 0) return rc;
  int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return nx__neg_errno();
  return nx__sock_adopt(ex, fd, family, kind, out);
}

static int nx_setsockopt_int(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value) == 0 ? NX_OK : nx__neg_errno();
}

int nx__sock_bind(nx_executor *ex, const nx_sockaddr *addr, int type, int kind, unsigned flags,
                  int reuseaddr, struct nx_socket **out) {
  int family = nx_sockaddr_family(addr);
  if (family == AF_UNSPEC) return NX_EINVAL;
  if (flags & ~(unsigned)(NX_NET_REUSEADDR | NX_NET_REUSEPORT | NX_NET_V6ONLY)) return NX_EINVAL;
  struct nx_socket *s;
  int rc = nx__sock_open(ex, family, type, kind, &s);
  if (rc < 0) return rc;
  if (reuseaddr || (flags & NX_NET_REUSEADDR))
    rc = nx_setsockopt_int(s->fd, SOL_SOCKET, SO_REUSEADDR, 1);
  if (rc == NX_OK && (flags & NX_NET_REUSEPORT))
    rc = nx_setsockopt_int(s->fd, SOL_SOCKET, SO_REUSEPORT, 1);
  if (rc == NX_OK && (flags & NX_NET_V6ONLY))
    rc = family == AF_INET6 ? nx_setsockopt_int(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) : NX_EINVAL;
  if (rc == NX_OK && bind(s->fd, &addr->u.sa, addr->len) != 0) rc = nx__neg_errno();
  if (rc < 0) {
    nx__sock_close(s);
    nx__sock_unref(s);
    return rc;
  }
  *out = s;
  return NX_OK;
}

int nx__sock_ref(struct nx_socket *s) {
  if (s->refs == INT_MAX) return NX_EOVERFLOW;
  s->refs++;
  return NX_OK;
}

/* Deregisters (if still registered) and closes the descriptor. */
static void nx_sock_release_fd(struct nx_socket *s) {
  if (s->fd < 0) return;
  nx_io_drop(&s->io);
  close(s->fd);
  s->fd = -1;
}

void nx__sock_unref(struct nx_socket *s) {
  if (--s->refs > 0) return;
  nx_sock_release_fd(s);
  free(s);
}

void nx__sock_close(struct nx_socket *s) {
  if (s->closed) return;
  s->closed = 1;
  nx_io_wake(&s->io, NX_IO_READ | NX_IO_WRITE);
  nx_sock_release_fd(s);
}

int nx__sock_drive(struct nx_socket *s, nx_cx *cx, unsigned side, nx_task **waiter,
                   int (*attempt)(void *arg), void *arg) {
  int rc;
  for (;;) {
    if (s->closed) rc = NX_ECANCELED;
    else if (nx_io_fd(&s->io) < 0) rc = NX_ESHUTDOWN;
    else if ((rc = nx__sock_wait(s, cx, side, waiter)) == NX_READY && attempt != NULL &&
             ((rc = attempt(arg)) == NX_OK || rc == NX_EAGAIN))
      continue;
    if (rc != NX_PENDING) *waiter = NULL;
    return rc;
  }
}

void nx__sock_future_drop(struct nx_socket **sp, unsigned side, nx_task **waiter) {
  struct nx_socket *s = *sp;
  if (s == NULL || !nx__sock_may_release(s)) return;
  if (*waiter != NULL) {
    nx_waker w = {*waiter};
    nx_io_forget_waker(&s->io, side, &w);
    *waiter = NULL;
  }
  *sp = NULL;
  nx__sock_unref(s);
}

/* ------------------------------------------------------------------------ */
/* Options                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct nx_opt_map {
  int level, name;
  unsigned kinds; /* 1 << NX_SOCK_* */
  int min, max;
} nx_opt_map;

#define NX_KIND(k) (1u << (k))
#define NX_ANY_KIND (NX_KIND(NX_SOCK_LISTENER) | NX_KIND(NX_SOCK_STREAM) | NX_KIND(NX_SOCK_UDP))

/* Level and name of `opt` on this socket's family; 0 if it has none. */
static int nx_opt_lookup(const struct nx_socket *s, nx_sockopt opt, nx_opt_map *m) {
  int v6 = s->family == AF_INET6;
  switch (opt) {
  case NX_SOCKOPT_NODELAY:
    *m = (nx_opt_map){IPPROTO_TCP, TCP_NODELAY, NX_KIND(NX_SOCK_STREAM), 0, 1};
    break;
  case NX_SOCKOPT_KEEPALIVE:
    *m = (nx_opt_map){SOL_SOCKET, SO_KEEPALIVE, NX_KIND(NX_SOCK_STREAM), 0, 1};
    break;
  case NX_SOCKOPT_KEEPIDLE:
    *m = (nx_opt_map){IPPROTO_TCP, TCP_KEEPIDLE, NX_KIND(NX_SOCK_STREAM), 1, 32767};
    break;
  case NX_SOCKOPT_LINGER: /* struct linger: handled by the callers */
    *m = (nx_opt_map){SOL_SOCKET, SO_LINGER, NX_KIND(NX_SOCK_STREAM), -1, 0};
    break;
  case NX_SOCKOPT_SNDBUF:
    *m = (nx_opt_map){SOL_SOCKET, SO_SNDBUF, NX_ANY_KIND, 1, INT_MAX / 2};
    break;
  case NX_SOCKOPT_RCVBUF:
    *m = (nx_opt_map){SOL_SOCKET, SO_RCVBUF, NX_ANY_KIND, 1, INT_MAX / 2};
    break;
  case NX_SOCKOPT_TTL:
    *m = (nx_opt_map){v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_UNICAST_HOPS : IP_TTL,
                      NX_ANY_KIND, 1, 255};
    break;
  case NX_SOCKOPT_BROADCAST:
    *m = (nx_opt_map){SOL_SOCKET, SO_BROADCAST, NX_KIND(NX_SOCK_UDP), 0, 1};
    break;
  case NX_SOCKOPT_MULTICAST_LOOP:
    *m = (nx_opt_map){v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MULTICAST_LOOP : IP_MULTICAST_LOOP,
                      NX_KIND(NX_SOCK_UDP), 0, 1};
    break;
  case NX_SOCKOPT_MULTICAST_TTL:
    *m = (nx_opt_map){v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MULTICAST_HOPS : IP_MULTICAST_TTL,
                      NX_KIND(NX_SOCK_UDP), 0, 255};
    break;
  case NX_SOCKOPT_MULTICAST_IF: /* set only; struct ip_mreqn for IPv4 */
    *m = (nx_opt_map){v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MULTICAST_IF : IP_MULTICAST_IF,
                      NX_KIND(NX_SOCK_UDP), 0, INT_MAX};
    break;
  default:
    return 0;
  }
  return (m->kinds & NX_KIND(s->kind)) != 0;
}

int nx__sock_setopt(struct nx_socket *s, nx_sockopt opt, int value) {
  int rc = nx__sock_check(s);
  if (rc < 0) return rc;
  nx_opt_map m;
  if (!nx_opt_lookup(s, opt, &m) || value < m.min || value > m.max) return NX_EINVAL;
  if (opt == NX_SOCKOPT_LINGER) {
    struct linger l = {value == 0, 0};
    return setsockopt(s->fd, m.level, m.name, &l, sizeof l) == 0 ? NX_OK : nx__neg_errno();
  }
  if (opt == NX_SOCKOPT_MULTICAST_IF && s->family == AF_INET) {
    struct ip_mreqn mr;
    memset(&mr, 0, sizeof mr);
    mr.imr_ifindex = value;
    return setsockopt(s->fd, m.level, m.name, &mr, sizeof mr) == 0 ? NX_OK : nx__neg_errno();
  }
  return nx_setsockopt_int(s->fd, m.level, m.name, value);
}

int nx__sock_getopt(struct nx_socket *s, nx_sockopt opt, int *value) {
  if (value == NULL) return NX_EINVAL;
  int rc = nx__sock_check(s);
  if (rc < 0) return rc;
  nx_opt_map m;
  if (!nx_opt_lookup(s, opt, &m) || opt == NX_SOCKOPT_MULTICAST_IF) return NX_EINVAL;
  if (opt == NX_SOCKOPT_LINGER) {
    struct linger l;
    socklen_t len = sizeof l;
    if (getsockopt(s->fd, m.level, m.name, &l, &len) != 0) return nx__neg_errno();
    *value = l.l_onoff ? l.l_linger : -1;
    return NX_OK;
  }
  int v = 0;
  socklen_t len = sizeof v;
  if (getsockopt(s->fd, m.level, m.name, &v, &len) != 0) return nx__neg_errno();
  /* IP_MULTICAST_TTL/LOOP may answer with one byte. */
  *value = len == 1 ? (int)*(unsigned char *)&v : v;
  return NX_OK;
}

int nx__sock_name(struct nx_socket *s, nx_sockaddr *out, int peer) {
  if (out == NULL) return NX_EINVAL;
  int rc = nx__sock_check(s);
  if (rc < 0) return rc;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int r = peer ? getpeername(s->fd, (struct sockaddr *)&ss, &len)
               : getsockname(s->fd, (struct sockaddr *)&ss, &len);
  if (r != 0) return nx__neg_errno();
  return nx_sockaddr_from(out, (struct sockaddr *)&ss, len);
}

/* ------------------------------------------------------------------------ */
/* Readiness future                                                         */
/* ------------------------------------------------------------------------ */

int nx__sock_ready_init(nx_sock_ready *f, struct nx_socket *s, unsigned side) {
  int rc = nx__sock_check(s);
  if (rc == NX_OK) rc = nx__sock_ref(s);
  if (rc < 0) return rc;
  f->sock_ = s;
  f->waiter_ = NULL;
  f->side_ = side;
  return NX_OK;
}

int nx_sock_ready_poll(nx_sock_ready *f, nx_cx *cx) {
  if (f == NULL || cx == NULL || f->sock_ == NULL || !nx__sock_cx_ok(f->sock_, cx))
    return NX_EINVAL;
  return nx__sock_drive(f->sock_, cx, f->side_, &f->waiter_, NULL, NULL);
}

void nx_sock_ready_drop(nx_sock_ready *f) {
  if (f != NULL) nx__sock_future_drop(&f->sock_, f->side_, &f->waiter_);
}

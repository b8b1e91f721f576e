/* TCP listener: bind + listen, and the accept future.
 *
 * Accept waits on the read side. accept4() hands out the connection already
 * non-blocking; the new socket is registered on the listener's executor.
 * accept(2) reports some errors of a connection that died in the backlog
 * (ECONNABORTED, and on Linux the protocol's pending network errors); those
 * say nothing about the listener, so the loop just takes the next one.
 */
#define _GNU_SOURCE
#include "socket.h"

#include <unistd.h>

int nx_tcp_listen(nx_executor *ex, const nx_sockaddr *addr, int backlog, unsigned flags,
                  nx_tcp_listener *out) {
  if (out == NULL) return NX_EINVAL;
  out->sock_ = NULL;
  if (ex == NULL || addr == NULL) return NX_EINVAL;
  struct nx_socket *s;
  int rc = nx__sock_bind(ex, addr, SOCK_STREAM, NX_SOCK_LISTENER, flags, 1, &s);
  if (rc < 0) return rc;
  if (listen(s->fd, backlog > 0 ? backlog : SOMAXCONN) != 0) {
    rc = nx__neg_errno();
    nx__sock_close(s);
    nx__sock_unref(s);
    return rc;
  }
  out->sock_ = s;
  return NX_OK;
}

int nx_tcp_listener_clone(const nx_tcp_listener *l, nx_tcp_listener *out) {
  if (l == NULL || out == NULL || l->sock_ == NULL) return NX_EINVAL;
  int rc = nx__sock_check(l->sock_);
  if (rc == NX_OK) rc = nx__sock_ref(l->sock_);
  if (rc < 0) return rc;
  out->sock_ = l->sock_;
  return NX_OK;
}

int nx_tcp_listener_close(nx_tcp_listener *l) {
  if (l == NULL || l->sock_ == NULL) return NX_EINVAL;
  struct nx_socket *s = l->sock_;
  if (!nx__sock_may_release(s)) return NX_EWRONGTHREAD;
  l->sock_ = NULL;
  nx__sock_close(s);
  nx__sock_unref(s);
  return NX_OK;
}

int nx_tcp_listener_local_addr(const nx_tcp_listener *l, nx_sockaddr *out) {
  if (l == NULL || l->sock_ == NULL) return NX_EINVAL;
  return nx__sock_name(l->sock_, out, 0);
}

int nx_tcp_listener_fd(const nx_tcp_listener *l) {
  return l != NULL && l->sock_ != NULL ? l->sock_->fd : -1;
}

int nx_tcp_listener_ready_init(nx_sock_ready *f, const nx_tcp_listener *l) {
  if (f == NULL) return NX_EINVAL;
  f->sock_ = NULL;
  f->waiter_ = NULL;
  if (l == NULL || l->sock_ == NULL) return NX_EINVAL;
  return nx__sock_ready_init(f, l->sock_, NX_IO_READ);
}

int nx_tcp_accept_init(nx_tcp_accept *a, const nx_tcp_listener *l) {
  if (a == NULL) return NX_EINVAL;
  a->sock_ = NULL;
  a->waiter_ = NULL;
  if (l == NULL || l->sock_ == NULL) return NX_EINVAL;
  int rc = nx__sock_check(l->sock_);
  if (rc == NX_OK) rc = nx__sock_ref(l->sock_);
  if (rc < 0) return rc;
  a->sock_ = l->sock_;
  return NX_OK;
}

/* Errors of one connection, not of the listener (accept(2), "Error
 * handling"): take the next. */
static int nx_accept_error_is_transient(int err) {
  switch (err) {
  case EINTR: case ECONNABORTED: case EPROTO: case ENETDOWN: case ENOPROTOOPT:
  case EHOSTDOWN: case ENONET: case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH:
    return 1;
  default:
    return 0;
  }
}

typedef struct nx_accept_step {
  struct nx_socket *listener;
  nx_tcp_stream *out;
  nx_sockaddr *peer;
} nx_accept_step;

static int nx_accept_once(void *arg) {
  nx_accept_step *st = arg;
  struct nx_socket *l = st->listener;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int fd = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      nx_io_clear_readable(&l->io);
      return NX_EAGAIN;
    }
    return nx_accept_error_is_transient(errno) ? NX_OK : nx__neg_errno();
  }
  struct nx_socket *s;
  int rc = nx__sock_adopt(l->ex, fd, l->family, NX_SOCK_STREAM, &s);
  if (rc < 0) return rc;
  st->out->sock_ = s;
  st->out->role_ = NX_IO_READ | NX_IO_WRITE;
  if (st->peer != NULL && nx_sockaddr_from(st->peer, (struct sockaddr *)&ss, len) < 0)
    st->peer->len = 0;
  return NX_READY;
}

int nx_tcp_accept_poll(nx_tcp_accept *a, nx_cx *cx, nx_tcp_stream *out, nx_sockaddr *peer) {
  if (a == NULL || cx == NULL || out == NULL || a->sock_ == NULL || !nx__sock_cx_ok(a->sock_, cx))
    return NX_EINVAL;
  nx_accept_step st = {a->sock_, out, peer};
  return nx__sock_drive(a->sock_, cx, NX_IO_READ, &a->waiter_, nx_accept_once, &st);
}

void nx_tcp_accept_drop(nx_tcp_accept *a) {
  if (a != NULL) nx__sock_future_drop(&a->sock_, NX_IO_READ, &a->waiter_);
}

/* TCP stream: the handle (clone, split into halves, close, shutdown,
 * options, addresses), one-shot try_read / try_write, and the read and
 * write futures.
 *
 * Readiness (nx_io) is per side, so a read half and a write half in two
 * tasks wait with separate wakers. A transfer is tried while the side is
 * marked ready; EAGAIN clears the mark and the next poll waits. A short send
 * also clears the write mark: the kernel stopped because its buffer was
 * full, and it raises EPOLLOUT when room appears. A short read clears the
 * read mark too (the receive queue was empty), unless an event already
 * reported the peer's end (nx__io_read_was_short): that saves the recv that
 * would say EAGAIN after every message.
 */
#define _GNU_SOURCE
#include "socket.h"

#include <string.h>
#include <unistd.h>

#define NX_ROLE_FULL (NX_IO_READ | NX_IO_WRITE)

/* ------------------------------------------------------------------------ */
/* Handle                                                                   */
/* ------------------------------------------------------------------------ */

/* The socket of a handle that may do `side` (NX_IO_READ / NX_IO_WRITE /
 * both), or NULL. */
static struct nx_socket *nx_stream_sock(const nx_tcp_stream *s, unsigned side) {
  if (s == NULL || s->sock_ == NULL || (s->role_ & side) != side) return NULL;
  return s->sock_;
}

int nx_tcp_stream_clone(const nx_tcp_stream *s, nx_tcp_stream *out) {
  struct nx_socket *k = nx_stream_sock(s, 0);
  if (k == NULL || out == NULL || s->role_ == 0) return NX_EINVAL;
  int rc = nx__sock_check(k);
  if (rc == NX_OK) rc = nx__sock_ref(k);
  if (rc < 0) return rc;
  if (s->role_ == NX_IO_WRITE) k->writers++;
  *out = *s;
  return NX_OK;
}

int nx_tcp_stream_split(nx_tcp_stream *s, nx_tcp_stream *rd, nx_tcp_stream *wr) {
  struct nx_socket *k = nx_stream_sock(s, NX_ROLE_FULL);
  if (k == NULL || rd == NULL || wr == NULL || rd == wr) return NX_EINVAL;
  int rc = nx__sock_check(k);
  if (rc == NX_OK) rc = nx__sock_ref(k); /* s's reference goes to rd, this one to wr */
  if (rc < 0) return rc;
  k->writers++;
  s->sock_ = NULL;
  s->role_ = 0;
  rd->sock_ = wr->sock_ = k;
  rd->role_ = NX_IO_READ;
  wr->role_ = NX_IO_WRITE;
  return NX_OK;
}

int nx_tcp_stream_close(nx_tcp_stream *s) {
  struct nx_socket *k = nx_stream_sock(s, 0);
  if (k == NULL || s->role_ == 0) return NX_EINVAL;
  if (!nx__sock_may_release(k)) return NX_EWRONGTHREAD;
  unsigned role = s->role_;
  s->sock_ = NULL;
  s->role_ = 0;
  if (role == NX_ROLE_FULL) {
    nx__sock_close(k);
  } else if (role == NX_IO_WRITE && --k->writers == 0 && !k->closed && k->fd >= 0) {
    shutdown(k->fd, SHUT_WR); /* the peer reads end of file */
  }
  nx__sock_unref(k);
  return NX_OK;
}

int nx_tcp_stream_shutdown(const nx_tcp_stream *s, int how) {
  struct nx_socket *k = nx_stream_sock(s, 0);
  if (k == NULL || s->role_ == 0) return NX_EINVAL;
  unsigned need = how == SHUT_RD ? NX_IO_READ : how == SHUT_WR ? NX_IO_WRITE
                : how == SHUT_RDWR ? NX_ROLE_FULL : 0;
  if (need == 0 || (s->role_ & need) != need) return NX_EINVAL;
  int rc = nx__sock_check(k);
  if (rc < 0) return rc;
  return shutdown(k->fd, how) == 0 ? NX_OK : nx__neg_errno();
}

int nx_tcp_stream_local_addr(const nx_tcp_stream *s, nx_sockaddr *out) {
  struct nx_socket *k = nx_stream_sock(s, 0);
  return k != NULL && s->role_ != 0 ? nx__sock_name(k, out, 0) : NX_EINVAL;
}

int nx_tcp_stream_peer_addr(const nx_tcp_stream *s, nx_sockaddr *out) {
  struct nx_socket *k = nx_stream_sock(s, 0);
  return k != NULL && s->role_ != 0 ? nx__sock_name(k, out, 1) : NX_EINVAL;
}

int nx_tcp_stream_setopt(const nx_tcp_stream *s, nx_sockopt opt, int value) {
  struct nx_socket *k = nx_stream_sock(s, 0);
  return k != NULL && s->role_ != 0 ? nx__sock_setopt(k, opt, value) : NX_EINVAL;
}

int nx_tcp_stream_getopt(const nx_tcp_stream *s, nx_sockopt opt, int *value) {
  struct nx_socket *k = nx_stream_sock(s, 0);
  return k != NULL && s->role_ != 0 ? nx__sock_getopt(k, opt, value) : NX_EINVAL;
}

int nx_tcp_stream_fd(const nx_tcp_stream *s) {
  struct nx_socket *k = nx_stream_sock(s, 0);
  return k != NULL && s->role_ != 0 ? k->fd : -1;
}

int nx_tcp_stream_ready_init(nx_sock_ready *f, const nx_tcp_stream *s, unsigned side) {
  if (f == NULL) return NX_EINVAL;
  f->sock_ = NULL;
  f->waiter_ = NULL;
  struct nx_socket *k = nx_stream_sock(s, side);
  if (k == NULL || (side != NX_IO_READ && side != NX_IO_WRITE)) return NX_EINVAL;
  return nx__sock_ready_init(f, k, side);
}

/* ------------------------------------------------------------------------ */
/* Transfers                                                                */
/* ------------------------------------------------------------------------ */

/* One recv / send: NX_OK with *n, NX_EAGAIN (the side's mark cleared), or
 * the kernel's error. */
static int nx_stream_xfer(struct nx_socket *k, unsigned side, void *buf, size_t len, size_t *n) {
  for (;;) {
    ssize_t r = side == NX_IO_READ ? recv(k->fd, buf, len, 0)
                                   : send(k->fd, buf, len, MSG_NOSIGNAL);
    if (r >= 0) {
      *n = (size_t)r;
      if ((size_t)r < len) {
        if (side == NX_IO_WRITE) nx_io_clear_writable(&k->io);
        else if (r > 0) nx__io_read_was_short(&k->io);
      }
      return NX_OK;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return nx__neg_errno();
    if (side == NX_IO_READ) nx_io_clear_readable(&k->io);
    else nx_io_clear_writable(&k->io);
    return NX_EAGAIN;
  }
}

static int nx_stream_try(const nx_tcp_stream *s, unsigned side, void *buf, size_t len,
                         size_t *n) {
  struct nx_socket *k = nx_stream_sock(s, side);
  if (k == NULL || s->role_ == 0 || n == NULL || (buf == NULL && len > 0)) return NX_EINVAL;
  int rc = nx__sock_check(k);
  if (rc < 0) return rc;
  return nx_stream_xfer(k, side, buf, len, n);
}

int nx_tcp_try_read(const nx_tcp_stream *s, void *buf, size_t len, size_t *n) {
  return nx_stream_try(s, NX_IO_READ, buf, len, n);
}

int nx_tcp_try_write(const nx_tcp_stream *s, const void *buf, size_t len, size_t *n) {
  return nx_stream_try(s, NX_IO_WRITE, (void *)(uintptr_t)buf, len, n);
}

typedef nx_tcp_xfer_ nx_xfer; /* the shape reads and writes share */

static int nx_xfer_init(nx_xfer *f, const nx_tcp_stream *s, unsigned side, const void *buf,
                        size_t len, int exact) {
  if (f == NULL) return NX_EINVAL;
  memset(f, 0, sizeof *f);
  struct nx_socket *k = nx_stream_sock(s, side);
  if (k == NULL || s->role_ == 0 || (buf == NULL && len > 0)) return NX_EINVAL;
  int rc = nx__sock_check(k);
  if (rc == NX_OK) rc = nx__sock_ref(k);
  if (rc < 0) return rc;
  f->sock_ = k;
  f->buf_ = (unsigned char *)(uintptr_t)buf;
  f->len_ = len;
  f->exact_ = exact;
  return NX_OK;
}

typedef struct nx_xfer_step {
  nx_xfer *f;
  unsigned side;
} nx_xfer_step;

static int nx_xfer_once(void *arg) {
  nx_xfer_step *st = arg;
  nx_xfer *f = st->f;
  if (f->done_ == f->len_) return NX_READY; /* zero-length */
  size_t n;
  int rc = nx_stream_xfer(f->sock_, st->side, f->buf_ + f->done_, f->len_ - f->done_, &n);
  if (rc != NX_OK) return rc;
  f->done_ += n;
  if (n == 0 && st->side == NX_IO_READ) return f->exact_ ? NX_EPIPE : NX_READY; /* end of file */
  return !f->exact_ || f->done_ == f->len_ ? NX_READY : NX_OK;
}

static int nx_xfer_poll(nx_xfer *f, nx_cx *cx, unsigned side, size_t *n_out) {
  if (f == NULL || cx == NULL || f->sock_ == NULL || !nx__sock_cx_ok(f->sock_, cx))
    return NX_EINVAL;
  nx_xfer_step st = {f, side};
  int rc = nx__sock_drive_once(f->sock_, cx, side, &f->waiter_, &f->rc_, nx_xfer_once, &st);
  if (rc == NX_READY && n_out != NULL) *n_out = f->done_;
  return rc;
}

int nx_tcp_read_init(nx_tcp_read *r, const nx_tcp_stream *s, void *buf, size_t len) {
  return nx_xfer_init(r ? &r->x_ : NULL, s, NX_IO_READ, buf, len, 0);
}

int nx_tcp_read_exact_init(nx_tcp_read *r, const nx_tcp_stream *s, void *buf, size_t len) {
  return nx_xfer_init(r ? &r->x_ : NULL, s, NX_IO_READ, buf, len, 1);
}

int nx_tcp_read_poll(nx_tcp_read *r, nx_cx *cx, size_t *n_out) {
  return nx_xfer_poll(r ? &r->x_ : NULL, cx, NX_IO_READ, n_out);
}

size_t nx_tcp_read_done(const nx_tcp_read *r) { return r != NULL ? r->x_.done_ : 0; }

void nx_tcp_read_drop(nx_tcp_read *r) {
  if (r != NULL) nx__sock_future_drop(&r->x_.sock_, NX_IO_READ, &r->x_.waiter_);
}

int nx_tcp_write_init(nx_tcp_write *w, const nx_tcp_stream *s, const void *buf, size_t len) {
  return nx_xfer_init(w ? &w->x_ : NULL, s, NX_IO_WRITE, buf, len, 0);
}

int nx_tcp_write_all_init(nx_tcp_write *w, const nx_tcp_stream *s, const void *buf,
                          size_t len) {
  return nx_xfer_init(w ? &w->x_ : NULL, s, NX_IO_WRITE, buf, len, 1);
}

int nx_tcp_write_poll(nx_tcp_write *w, nx_cx *cx, size_t *n_out) {
  return nx_xfer_poll(w ? &w->x_ : NULL, cx, NX_IO_WRITE, n_out);
}

size_t nx_tcp_write_done(const nx_tcp_write *w) { return w != NULL ? w->x_.done_ : 0; }

void nx_tcp_write_drop(nx_tcp_write *w) {
  if (w != NULL) nx__sock_future_drop(&w->x_.sock_, NX_IO_WRITE, &w->x_.waiter_);
}

/* ------------------------------------------------------------------------ */
/* Connect                                                                  */
/* ------------------------------------------------------------------------ */

enum { NX_CONNECT_START = 1, NX_CONNECT_WAIT, NX_CONNECT_FINISHED };

int nx_tcp_connect_init(nx_tcp_connect *c, const nx_sockaddr *addr) {
  if (c == NULL) return NX_EINVAL;
  memset(c, 0, sizeof *c);
  if (nx_sockaddr_family(addr) == AF_UNSPEC) return NX_EINVAL;
  c->addr_ = *addr;
  c->state_ = NX_CONNECT_START;
  return NX_OK;
}

/* Ends the connect with `rc`: the socket (unless handed out) is closed. */
static int nx_connect_finish(nx_tcp_connect *c, int rc) {
  if (c->sock_ != NULL) {
    nx__sock_close(c->sock_);
    nx__sock_unref(c->sock_);
    c->sock_ = NULL;
  }
  c->state_ = NX_CONNECT_FINISHED;
  c->waiter_ = NULL;
  c->rc_ = rc;
  return rc;
}

/* The handshake's outcome once the socket reported writable: NX_READY,
 * NX_EAGAIN (not yet: that was the optimistic first mark, now cleared), or
 * the connect error. */
static int nx_connect_once(void *arg) {
  struct nx_socket *k = arg;
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return nx__neg_errno();
  if (err != 0) return -err;
  struct sockaddr_storage ss;
  len = sizeof ss;
  if (getpeername(k->fd, (struct sockaddr *)&ss, &len) == 0) return NX_READY;
  if (errno != ENOTCONN) return nx__neg_errno();
  nx_io_clear_writable(&k->io);
  return NX_EAGAIN;
}

int nx_tcp_connect_poll(nx_tcp_connect *c, nx_cx *cx, nx_tcp_stream *out) {
  if (c == NULL || cx == NULL || out == NULL || c->state_ == 0) return NX_EINVAL;
  if (c->state_ == NX_CONNECT_FINISHED) return c->rc_;
  if (c->state_ == NX_CONNECT_START) {
    int rc = nx__sock_open(cx->ex, c->addr_.u.sa.sa_family, SOCK_STREAM, NX_SOCK_STREAM, &c->sock_);
    if (rc < 0) {
      c->sock_ = NULL;
      return nx_connect_finish(c, rc);
    }
    c->state_ = NX_CONNECT_WAIT;
    if (connect(c->sock_->fd, &c->addr_.u.sa, c->addr_.len) != 0) {
      if (errno != EINPROGRESS && errno != EINTR) return nx_connect_finish(c, nx__neg_errno());
      /* In progress: its completion raises EPOLLOUT (registered before
       * connect(2), so the edge cannot be missed); skip the optimistic try. */
      nx_io_clear_writable(&c->sock_->io);
    }
  }
  struct nx_socket *k = c->sock_;
  if (!nx__sock_cx_ok(k, cx)) return NX_EINVAL;
  int rc = nx__sock_drive(k, cx, NX_IO_WRITE, &c->waiter_, nx_connect_once, k);
  if (rc == NX_PENDING) return rc;
  if (rc != NX_READY) return nx_connect_finish(c, rc);
  /* The stream changes hands: do not let it keep this task alive. */
  nx_waker self = nx_cx_waker(cx);
  nx_io_forget_waker(&k->io, NX_IO_WRITE, &self);
  out->sock_ = k;
  out->role_ = NX_ROLE_FULL;
  memset(c, 0, sizeof *c); /* handed out: the future is empty */
  return NX_READY;
}

void nx_tcp_connect_drop(nx_tcp_connect *c) {
  if (c == NULL) return;
  if (c->sock_ != NULL) {
    if (!nx__sock_may_release(c->sock_)) return;
    if (c->waiter_ != NULL) { /* so the close below does not wake this task */
      nx_waker w = {c->waiter_};
      nx_io_forget_waker(&c->sock_->io, NX_IO_WRITE, &w);
    }
    nx_connect_finish(c, NX_ECANCELED);
  }
  memset(c, 0, sizeof *c);
}

/* UDP socket: bind, connect, options, multicast membership, one-shot
 * send/receive and the send and receive futures.
 *
 * Sends wait on the write side and receives on the read side: a sender task
 * and a receiver task keep separate wakers (the seed shared one token for
 * both). A receive asks the kernel for the datagram's true length
 * (MSG_TRUNC) so a cut datagram is an error, not a silent loss.
 */
#define _GNU_SOURCE
#include "socket.h"

#include <string.h>

int nx_udp_bind(nx_executor *ex, const nx_sockaddr *addr, unsigned flags, nx_udp_socket *out) {
  if (out == NULL) return NX_EINVAL;
  out->sock_ = NULL;
  if (ex == NULL || addr == NULL) return NX_EINVAL;
  return nx__sock_bind(ex, addr, SOCK_DGRAM, NX_SOCK_UDP, flags, 0, &out->sock_);
}

static struct nx_socket *nx_udp_sock(const nx_udp_socket *u) {
  return u != NULL ? u->sock_ : NULL;
}

int nx_udp_connect(const nx_udp_socket *u, const nx_sockaddr *peer) {
  struct nx_socket *k = nx_udp_sock(u);
  if (k == NULL || nx_sockaddr_family(peer) == AF_UNSPEC) return NX_EINVAL;
  int rc = nx__sock_check(k);
  if (rc < 0) return rc;
  return connect(k->fd, &peer->u.sa, peer->len) == 0 ? NX_OK : nx__neg_errno();
}

int nx_udp_clone(const nx_udp_socket *u, nx_udp_socket *out) {
  struct nx_socket *k = nx_udp_sock(u);
  if (k == NULL || out == NULL) return NX_EINVAL;
  int rc = nx__sock_check(k);
  if (rc == NX_OK) rc = nx__sock_ref(k);
  if (rc < 0) return rc;
  out->sock_ = k;
  return NX_OK;
}

int nx_udp_close(nx_udp_socket *u) {
  struct nx_socket *k = nx_udp_sock(u);
  if (k == NULL) return NX_EINVAL;
  if (!nx__sock_may_release(k)) return NX_EWRONGTHREAD;
  u->sock_ = NULL;
  nx__sock_close(k);
  nx__sock_unref(k);
  return NX_OK;
}

int nx_udp_local_addr(const nx_udp_socket *u, nx_sockaddr *out) {
  struct nx_socket *k = nx_udp_sock(u);
  return k != NULL ? nx__sock_name(k, out, 0) : NX_EINVAL;
}

int nx_udp_peer_addr(const nx_udp_socket *u, nx_sockaddr *out) {
  struct nx_socket *k = nx_udp_sock(u);
  return k != NULL ? nx__sock_name(k, out, 1) : NX_EINVAL;
}

int nx_udp_setopt(const nx_udp_socket *u, nx_sockopt opt, int value) {
  struct nx_socket *k = nx_udp_sock(u);
  return k != NULL ? nx__sock_setopt(k, opt, value) : NX_EINVAL;
}

int nx_udp_getopt(const nx_udp_socket *u, nx_sockopt opt, int *value) {
  struct nx_socket *k = nx_udp_sock(u);
  return k != NULL ? nx__sock_getopt(k, opt, value) : NX_EINVAL;
}

int nx_udp_fd(const nx_udp_socket *u) {
  struct nx_socket *k = nx_udp_sock(u);
  return k != NULL ? k->fd : -1;
}

static int nx_udp_membership(const nx_udp_socket *u, const nx_sockaddr *group, unsigned ifindex,
                             int join) {
  struct nx_socket *k = nx_udp_sock(u);
  int family = nx_sockaddr_family(group);
  if (k == NULL || family != k->family) return NX_EINVAL;
  int r;
  if (family == AF_INET) {
    if (!IN_MULTICAST(ntohl(group->u.in4.sin_addr.s_addr))) return NX_EINVAL;
    int rc = nx__sock_check(k);
    if (rc < 0) return rc;
    struct ip_mreqn m;
    memset(&m, 0, sizeof m);
    m.imr_multiaddr = group->u.in4.sin_addr;
    m.imr_ifindex = (int)ifindex;
    r = setsockopt(k->fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &m,
                   sizeof m);
  } else {
    if (!IN6_IS_ADDR_MULTICAST(&group->u.in6.sin6_addr)) return NX_EINVAL;
    int rc = nx__sock_check(k);
    if (rc < 0) return rc;
    struct ipv6_mreq m;
    m.ipv6mr_multiaddr = group->u.in6.sin6_addr;
    m.ipv6mr_interface = ifindex;
    r = setsockopt(k->fd, IPPROTO_IPV6, join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP, &m,
                   sizeof m);
  }
  return r == 0 ? NX_OK : nx__neg_errno();
}

int nx_udp_join_multicast(const nx_udp_socket *u, const nx_sockaddr *group, unsigned ifindex) {
  return nx_udp_membership(u, group, ifindex, 1);
}

int nx_udp_leave_multicast(const nx_udp_socket *u, const nx_sockaddr *group, unsigned ifindex) {
  return nx_udp_membership(u, group, ifindex, 0);
}

/* ------------------------------------------------------------------------ */
/* Datagrams                                                                */
/* ------------------------------------------------------------------------ */

/* One sendto: NX_OK with *n, NX_EAGAIN (write mark cleared), or the error. */
static int nx_udp_send_once(struct nx_socket *k, const void *buf, size_t len,
                            const nx_sockaddr *to, size_t *n) {
  for (;;) {
    ssize_t r = to != NULL ? sendto(k->fd, buf, len, MSG_NOSIGNAL, &to->u.sa, to->len)
                           : send(k->fd, buf, len, MSG_NOSIGNAL);
    if (r >= 0) {
      *n = (size_t)r;
      return NX_OK;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return nx__neg_errno();
    nx_io_clear_writable(&k->io);
    return NX_EAGAIN;
  }
}

/* One recvfrom: NX_OK with *n, -EMSGSIZE (cut; *n is the full length),
 * NX_EAGAIN (read mark cleared), or the error. */
static int nx_udp_recv_once(struct nx_socket *k, void *buf, size_t len, size_t *n,
                            nx_sockaddr *from) {
  for (;;) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    ssize_t r = recvfrom(k->fd, buf, len, MSG_TRUNC, (struct sockaddr *)&ss, &sl);
    if (r >= 0) {
      *n = (size_t)r;
      if (from != NULL && nx_sockaddr_from(from, (struct sockaddr *)&ss, sl) < 0) from->len = 0;
      return (size_t)r > len ? -EMSGSIZE : NX_OK;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return nx__neg_errno();
    nx_io_clear_readable(&k->io);
    return NX_EAGAIN;
  }
}

int nx_udp_try_send(const nx_udp_socket *u, const void *buf, size_t len, const nx_sockaddr *to,
                    size_t *n) {
  struct nx_socket *k = nx_udp_sock(u);
  if (k == NULL || n == NULL || (buf == NULL && len > 0)) return NX_EINVAL;
  if (to != NULL && nx_sockaddr_family(to) == AF_UNSPEC) return NX_EINVAL;
  int rc = nx__sock_check(k);
  return rc < 0 ? rc : nx_udp_send_once(k, buf, len, to, n);
}

int nx_udp_try_recv(const nx_udp_socket *u, void *buf, size_t len, size_t *n, nx_sockaddr *from) {
  struct nx_socket *k = nx_udp_sock(u);
  if (k == NULL || n == NULL || (buf == NULL && len > 0)) return NX_EINVAL;
  int rc = nx__sock_check(k);
  return rc < 0 ? rc : nx_udp_recv_once(k, buf, len, n, from);
}

int nx_udp_ready_init(nx_sock_ready *f, const nx_udp_socket *u, unsigned side) {
  if (f == NULL) return NX_EINVAL;
  f->sock_ = NULL;
  f->waiter_ = NULL;
  struct nx_socket *k = nx_udp_sock(u);
  if (k == NULL || (side != NX_IO_READ && side != NX_IO_WRITE)) return NX_EINVAL;
  return nx__sock_ready_init(f, k, side);
}

/* Takes a reference for a future; NX_EINVAL/check errors otherwise. */
static int nx_udp_future_ref(const nx_udp_socket *u, const void *buf, size_t len,
                             struct nx_socket **out) {
  struct nx_socket *k = nx_udp_sock(u);
  if (k == NULL || (buf == NULL && len > 0)) return NX_EINVAL;
  int rc = nx__sock_check(k);
  if (rc == NX_OK) rc = nx__sock_ref(k);
  if (rc == NX_OK) *out = k;
  return rc;
}

int nx_udp_send_init(nx_udp_send *f, const nx_udp_socket *u, const void *buf, size_t len,
                     const nx_sockaddr *to) {
  if (f == NULL) return NX_EINVAL;
  memset(f, 0, sizeof *f);
  if (to != NULL && nx_sockaddr_family(to) == AF_UNSPEC) return NX_EINVAL;
  int rc = nx_udp_future_ref(u, buf, len, &f->sock_);
  if (rc < 0) return rc;
  f->buf_ = buf;
  f->len_ = len;
  if (to != NULL) f->to_ = *to;
  return NX_OK;
}

static int nx_udp_send_attempt(void *arg) {
  nx_udp_send *f = arg;
  int rc = nx_udp_send_once(f->sock_, f->buf_, f->len_, f->to_.len ? &f->to_ : NULL, &f->sent_);
  return rc == NX_OK ? NX_READY : rc;
}

int nx_udp_send_poll(nx_udp_send *f, nx_cx *cx, size_t *n_out) {
  if (f == NULL || cx == NULL || f->sock_ == NULL || !nx__sock_cx_ok(f->sock_, cx))
    return NX_EINVAL;
  int rc = nx__sock_drive_once(f->sock_, cx, NX_IO_WRITE, &f->waiter_, &f->rc_,
                               nx_udp_send_attempt, f);
  if (rc == NX_READY && n_out != NULL) *n_out = f->sent_;
  return rc;
}

void nx_udp_send_drop(nx_udp_send *f) {
  if (f != NULL) nx__sock_future_drop(&f->sock_, NX_IO_WRITE, &f->waiter_);
}

int nx_udp_recv_init(nx_udp_recv *f, const nx_udp_socket *u, void *buf, size_t len) {
  if (f == NULL) return NX_EINVAL;
  memset(f, 0, sizeof *f);
  int rc = nx_udp_future_ref(u, buf, len, &f->sock_);
  if (rc < 0) return rc;
  f->buf_ = buf;
  f->len_ = len;
  return NX_OK;
}

static int nx_udp_recv_attempt(void *arg) {
  nx_udp_recv *f = arg;
  int rc = nx_udp_recv_once(f->sock_, f->buf_, f->len_, &f->got_, &f->from_);
  return rc == NX_OK ? NX_READY : rc;
}

int nx_udp_recv_poll(nx_udp_recv *f, nx_cx *cx, size_t *n_out, nx_sockaddr *from) {
  if (f == NULL || cx == NULL || f->sock_ == NULL || !nx__sock_cx_ok(f->sock_, cx))
    return NX_EINVAL;
  int rc = nx__sock_drive_once(f->sock_, cx, NX_IO_READ, &f->waiter_, &f->rc_,
                               nx_udp_recv_attempt, f);
  if (rc == NX_READY || rc == -EMSGSIZE) {
    if (n_out != NULL) *n_out = f->got_;
    if (from != NULL) *from = f->from_;
  }
  return rc;
}

void nx_udp_recv_drop(nx_udp_recv *f) {
  if (f != NULL) nx__sock_future_drop(&f->sock_, NX_IO_READ, &f->waiter_);
}

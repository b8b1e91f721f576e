/* What the networking tests share (include after nx_test.h): skipping,
 * loopback listeners, an echo server made of tasks, and a helper that turns
 * a raw socket into a blocking one for a peer the test drives by hand. */
#ifndef NXRT_TESTS_NET_TEST_H
#define NXRT_TESTS_NET_TEST_H

#include "nx_test.h"
#include "nxrt_net.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

/* ctest's SKIP_RETURN_CODE for every test in tests/net. */
#define NET_SKIP_CODE 77

static inline void net_skip(const char *why) {
  printf("SKIP: %s\n", why);
  exit(NET_SKIP_CODE);
}

/* 1 if this machine can bind a socket to ::1. */
static inline int net_have_ipv6_loopback(void) {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  nx_sockaddr a;
  nx_sockaddr_loopback(&a, AF_INET6, 0);
  int ok = bind(fd, &a.u.sa, a.len) == 0;
  close(fd);
  return ok;
}

/* Skips the test (with a message) when `family` cannot be used on loopback. */
static inline void net_require_family(int family) {
  if (family == AF_INET6 && !net_have_ipv6_loopback())
    net_skip("this machine has no IPv6 loopback (::1): the IPv6 case cannot run");
}

/* A listener on the loopback address of `family`, port chosen by the
 * kernel; *addr gets where it listens. */
static inline nx_tcp_listener net_listen(nx_executor *ex, int family, nx_sockaddr *addr) {
  nx_sockaddr any;
  nx_tcp_listener l;
  NX_CHECK_OK(nx_sockaddr_loopback(&any, family, 0));
  NX_CHECK_OK(nx_tcp_listen(ex, &any, 128, 0, &l));
  NX_CHECK_OK(nx_tcp_listener_local_addr(&l, addr));
  NX_CHECK(nx_sockaddr_port(addr) != 0);
  return l;
}

/* In a task's poll (state `st` with fields l, acc, s and rc): accepts one
 * connection from the listener `st->l` into the stream `st->s`, then drops
 * the accept future and closes the listener. */
#define NET_ACCEPT_ONE(st, cx)                                                   \
  do {                                                                           \
    NX_CHECK_OK(nx_tcp_accept_init(&(st)->acc, &(st)->l));                       \
    NX_AWAIT(st, (st)->rc = nx_tcp_accept_poll(&(st)->acc, (cx), &(st)->s, NULL)); \
    NX_CHECK_RC((st)->rc, NX_READY);                                             \
    nx_tcp_accept_drop(&(st)->acc);                                              \
    NX_CHECK_OK(nx_tcp_listener_close(&(st)->l));                                \
  } while (0)

/* A plain blocking socket connected to `addr` (a peer outside nxrt). */
static inline int net_blocking_connect(const nx_sockaddr *addr) {
  int fd = socket(addr->u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  NX_CHECK(fd >= 0);
  NX_CHECK(connect(fd, &addr->u.sa, addr->len) == 0);
  return fd;
}

/* Sets SO_LINGER 0: close() then sends a reset instead of a FIN. */
static inline void net_set_linger0(int fd) {
  struct linger l = {1, 0};
  NX_CHECK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) == 0);
}

static inline unsigned char net_pattern(size_t i) { return (unsigned char)(i * 131 + (i >> 8)); }

/* Descriptors open in this process (to show a failure left none behind). */
static inline int net_open_fds(void) {
  int n = 0;
  DIR *d = opendir("/proc/self/fd");
  NX_CHECK(d != NULL);
  while (readdir(d) != NULL) n++;
  closedir(d);
  return n;
}

/* Raises RLIMIT_NOFILE to at least `want` descriptors; 0 if impossible. */
static inline int net_raise_fd_limit(rlim_t want) {
  struct rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return 0;
  if (r.rlim_cur >= want) return 1;
  if (r.rlim_max != RLIM_INFINITY && r.rlim_max < want) return 0;
  r.rlim_cur = want;
  return setrlimit(RLIMIT_NOFILE, &r) == 0;
}

/* A connected pair of nxrt streams on loopback of `family`: a root task
 * connects and accepts (block_on), so tests can start from two sockets. */
typedef struct net_pair_task {
  NX_ASYNC_FIELDS;
  nx_sockaddr addr;
  nx_tcp_listener l;
  nx_tcp_connect c;
  nx_tcp_accept a;
  nx_tcp_stream client, server;
  int rc;
} net_pair_task;

static nx_poll net_pair_poll(void *p, nx_cx *cx) {
  net_pair_task *s = p;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_tcp_connect_init(&s->c, &s->addr));
  NX_AWAIT(s, s->rc = nx_tcp_connect_poll(&s->c, cx, &s->client));
  NX_CHECK_RC(s->rc, NX_READY);
  NX_CHECK_OK(nx_tcp_accept_init(&s->a, &s->l));
  NX_AWAIT(s, s->rc = nx_tcp_accept_poll(&s->a, cx, &s->server, NULL));
  NX_CHECK_RC(s->rc, NX_READY);
  nx_tcp_accept_drop(&s->a);
  NX_CHECK_OK(nx_tcp_listener_close(&s->l));
  *(net_pair_task *)nx_cx_output(cx) = *s;
  NX_END(s);
}

static inline void net_connected_pair(nx_executor *ex, int family, nx_tcp_stream *client,
                                      nx_tcp_stream *server) {
  net_pair_task t, done;
  memset(&t, 0, sizeof t);
  t.l = net_listen(ex, family, &t.addr);
  nx_future_desc d = NX_FUTURE_OUT(net_pair_task, net_pair_poll, NULL, net_pair_task);
  NX_CHECK_OK(nx_block_on(ex, NX_RUN_PARKED, &d, &t, &done, sizeof done));
  *client = done.client;
  *server = done.server;
}

/* Receives one datagram on `u` within two seconds (a root task): 1 and the
 * bytes in buf (*n), or 0 if none came (a broadcast or multicast this
 * machine does not loop back: the caller skips). */
typedef struct net_recv_within {
  NX_ASYNC_FIELDS;
  nx_udp_socket u;
  void *buf;
  size_t len, n;
  nx_udp_recv rcv;
  nx_timeout to;
  int rc;
} net_recv_within;

static nx_poll net_recv_within_poll(void *p, nx_cx *cx) {
  net_recv_within *s = p;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_udp_recv_init(&s->rcv, &s->u, s->buf, s->len));
  NX_CHECK_OK(nx_timeout_init(&s->to, nx_cx_executor(cx), 2000000000LL));
  NX_AWAIT(s, s->rc = nx_timeout_poll(&s->to, cx, nx_udp_recv_poll(&s->rcv, cx, &s->n, NULL)));
  nx_timeout_drop(&s->to);
  nx_udp_recv_drop(&s->rcv);
  if (s->rc != NX_ETIMEDOUT) NX_CHECK_RC(s->rc, NX_READY);
  *(net_recv_within *)nx_cx_output(cx) = *s;
  NX_END(s);
}

static inline int net_udp_recv_within(nx_executor *ex, const nx_udp_socket *u, void *buf,
                                      size_t len, size_t *n) {
  net_recv_within t, done;
  memset(&t, 0, sizeof t);
  t.u = *u;
  t.buf = buf;
  t.len = len;
  nx_future_desc d = NX_FUTURE_OUT(net_recv_within, net_recv_within_poll, NULL, net_recv_within);
  NX_CHECK_OK(nx_block_on(ex, NX_RUN_PARKED, &d, &t, &done, sizeof done));
  *n = done.n;
  return done.rc == NX_READY;
}

/* ------------------------------------------------------------------------ */
/* An echo server made of tasks                                            */
/* ------------------------------------------------------------------------ */

/* What the echo tasks report. */
static struct {
  int connections_done; /* echo tasks that saw end of file and closed */
  int accepted;
  size_t bytes;
  int last_error;       /* the last unexpected status, 0 if none */
} net_echo_stats;

/* Sends back everything it reads until end of file, then closes. */
typedef struct net_echo_conn {
  NX_ASYNC_FIELDS;
  nx_tcp_stream s;
  nx_tcp_read rd;
  nx_tcp_write wr;
  size_t n;
  int rc;
  unsigned char buf[4096];
} net_echo_conn;

static nx_poll net_echo_conn_poll(void *p, nx_cx *cx) {
  net_echo_conn *e = p;
  NX_BEGIN(e);
  /* Without it, the second part of an echo waits for the peer's delayed ACK. */
  NX_CHECK_OK(nx_tcp_stream_setopt(&e->s, NX_SOCKOPT_NODELAY, 1));
  for (;;) {
    NX_CHECK_OK(nx_tcp_read_init(&e->rd, &e->s, e->buf, sizeof e->buf));
    NX_AWAIT(e, e->rc = nx_tcp_read_poll(&e->rd, cx, &e->n));
    nx_tcp_read_drop(&e->rd);
    if (e->rc != NX_READY) {
      net_echo_stats.last_error = e->rc;
      break;
    }
    if (e->n == 0) break;
    net_echo_stats.bytes += e->n;
    NX_CHECK_OK(nx_tcp_write_all_init(&e->wr, &e->s, e->buf, e->n));
    NX_AWAIT(e, e->rc = nx_tcp_write_poll(&e->wr, cx, NULL));
    nx_tcp_write_drop(&e->wr);
    if (e->rc != NX_READY) {
      net_echo_stats.last_error = e->rc;
      break;
    }
  }
  NX_CHECK_OK(nx_tcp_stream_close(&e->s));
  net_echo_stats.connections_done++;
  NX_END(e);
}

static void net_echo_conn_drop(void *p) {
  net_echo_conn *e = p;
  nx_tcp_read_drop(&e->rd);
  nx_tcp_write_drop(&e->wr);
  if (e->s.sock_ != NULL) nx_tcp_stream_close(&e->s);
}

/* Accepts `count` connections, each served by a net_echo_conn task, then
 * closes the listener. */
typedef struct net_acceptor {
  NX_ASYNC_FIELDS;
  nx_tcp_listener l;
  nx_tcp_accept acc;
  nx_tcp_stream conn;
  nx_sockaddr peer;
  int count, rc;
} net_acceptor;

static nx_poll net_acceptor_poll(void *p, nx_cx *cx) {
  net_acceptor *a = p;
  NX_BEGIN(a);
  NX_CHECK_OK(nx_tcp_accept_init(&a->acc, &a->l));
  while (net_echo_stats.accepted < a->count) {
    NX_AWAIT(a, a->rc = nx_tcp_accept_poll(&a->acc, cx, &a->conn, &a->peer));
    NX_CHECK_RC(a->rc, NX_READY);
    NX_CHECK(nx_sockaddr_family(&a->peer) != AF_UNSPEC);
    net_echo_stats.accepted++;
    {
      net_echo_conn *e = calloc(1, sizeof *e); /* too big for the stack of a poll */
      NX_CHECK(e != NULL);
      e->s = a->conn;
      nx_future_desc d = NX_FUTURE(net_echo_conn, net_echo_conn_poll, net_echo_conn_drop);
      int rc = nx_spawn(nx_cx_executor(cx), &d, e, NULL, NULL);
      free(e);
      NX_CHECK_OK(rc);
    }
  }
  nx_tcp_accept_drop(&a->acc);
  NX_CHECK_OK(nx_tcp_listener_close(&a->l));
  NX_END(a);
}

static void net_acceptor_drop(void *p) {
  net_acceptor *a = p;
  nx_tcp_accept_drop(&a->acc);
  if (a->l.sock_ != NULL) nx_tcp_listener_close(&a->l);
}

/* Spawns an acceptor owning `l` for `count` connections. */
static inline void net_spawn_echo_server(nx_executor *ex, nx_tcp_listener l, int count) {
  net_acceptor a;
  memset(&a, 0, sizeof a);
  a.l = l;
  a.count = count;
  nx_future_desc d = NX_FUTURE(net_acceptor, net_acceptor_poll, net_acceptor_drop);
  NX_CHECK_OK(nx_spawn(ex, &d, &a, NULL, NULL));
}

/* ------------------------------------------------------------------------ */
/* An echo client                                                           */
/* ------------------------------------------------------------------------ */

/* Connects to `addr`, checks the stream's addresses, then sends `rounds`
 * messages of varying sizes (1 .. 6000 bytes, so some take several reads),
 * each with write_all, and reads each echo back with read_exact. */
typedef struct net_echo_client {
  NX_ASYNC_FIELDS;
  nx_sockaddr addr;
  nx_tcp_connect conn;
  nx_tcp_stream s;
  nx_tcp_read rd;
  nx_tcp_write wr;
  int rounds, i, rc;
  size_t len, total;
  int *done;
  unsigned char out[6000], in[6000];
} net_echo_client;

static nx_poll net_echo_client_poll(void *p, nx_cx *cx) {
  net_echo_client *c = p;
  NX_BEGIN(c);
  NX_CHECK_OK(nx_tcp_connect_init(&c->conn, &c->addr));
  NX_AWAIT(c, c->rc = nx_tcp_connect_poll(&c->conn, cx, &c->s));
  NX_CHECK_RC(c->rc, NX_READY);
  {
    nx_sockaddr peer, local;
    NX_CHECK_OK(nx_tcp_stream_peer_addr(&c->s, &peer));
    NX_CHECK(nx_sockaddr_equal(&peer, &c->addr));
    NX_CHECK_OK(nx_tcp_stream_local_addr(&c->s, &local));
    NX_CHECK_EQ(nx_sockaddr_family(&local), nx_sockaddr_family(&c->addr));
  }
  for (c->i = 0; c->i < c->rounds; c->i++) {
    c->len = (size_t)(c->i * 977 % 6000) + 1;
    for (size_t k = 0; k < c->len; k++) c->out[k] = net_pattern(c->total + k);
    NX_CHECK_OK(nx_tcp_write_all_init(&c->wr, &c->s, c->out, c->len));
    NX_AWAIT(c, c->rc = nx_tcp_write_poll(&c->wr, cx, NULL));
    NX_CHECK_RC(c->rc, NX_READY);
    NX_CHECK_EQ_U(nx_tcp_write_done(&c->wr), c->len);
    nx_tcp_write_drop(&c->wr);
    NX_CHECK_OK(nx_tcp_read_exact_init(&c->rd, &c->s, c->in, c->len));
    NX_AWAIT(c, c->rc = nx_tcp_read_poll(&c->rd, cx, NULL));
    NX_CHECK_RC(c->rc, NX_READY);
    nx_tcp_read_drop(&c->rd);
    NX_CHECK(memcmp(c->in, c->out, c->len) == 0);
    c->total += c->len;
  }
  NX_CHECK_OK(nx_tcp_stream_close(&c->s));
  (*c->done)++;
  NX_END(c);
}

static void net_echo_client_drop(void *p) {
  net_echo_client *c = p;
  nx_tcp_connect_drop(&c->conn);
  nx_tcp_read_drop(&c->rd);
  nx_tcp_write_drop(&c->wr);
  if (c->s.sock_ != NULL) nx_tcp_stream_close(&c->s);
}

static inline void net_spawn_echo_client(nx_executor *ex, const nx_sockaddr *addr, int rounds,
                                         int *done) {
  net_echo_client *c = calloc(1, sizeof *c);
  NX_CHECK(c != NULL);
  c->addr = *addr;
  c->rounds = rounds;
  c->done = done;
  nx_future_desc d = NX_FUTURE(net_echo_client, net_echo_client_poll, net_echo_client_drop);
  int rc = nx_spawn(ex, &d, c, NULL, NULL);
  free(c);
  NX_CHECK_OK(rc);
}

/* The whole echo exchange on loopback of `family`, the executor run in
 * `mode`: one server, `clients` clients of `rounds` messages each; checks
 * every byte came back and every socket was closed. */
static inline void net_echo_loopback_run(int family, int clients, int rounds, nx_run_mode mode) {
  memset(&net_echo_stats, 0, sizeof net_echo_stats);
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_sockaddr addr;
  nx_tcp_listener l = net_listen(ex, family, &addr);
  NX_CHECK_EQ(nx_sockaddr_family(&addr), family);
  net_spawn_echo_server(ex, l, clients);
  int done = 0;
  for (int i = 0; i < clients; i++) net_spawn_echo_client(ex, &addr, rounds, &done);
  NX_CHECK_OK(nx_run(ex, mode));
  NX_CHECK_EQ(done, clients);
  NX_CHECK_EQ(net_echo_stats.accepted, clients);
  NX_CHECK_EQ(net_echo_stats.connections_done, clients);
  NX_CHECK_EQ(net_echo_stats.last_error, 0);
  NX_CHECK_EQ(nx_executor_allocated_tasks(ex), 0);
  nx_executor_destroy(ex);
}

static inline void net_echo_loopback(int family, int clients, int rounds) {
  net_echo_loopback_run(family, clients, rounds, NX_RUN_PARKED);
}

#endif /* NXRT_TESTS_NET_TEST_H */

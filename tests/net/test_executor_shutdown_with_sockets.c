/* The executor shuts down while tasks wait on sockets (read, accept, UDP
 * receive, a connect in progress) and while the test itself holds handles:
 * the tasks' drop functions run (their futures and handles are released;
 * a task's handle is a clone of the test's, so its close closes that socket
 * for the test too: NX_ECANCELED), operations on sockets the executor left
 * behind answer NX_ESHUTDOWN, new sockets
 * cannot be made, and closing the left-over handles after
 * nx_executor_destroy() still frees everything (valgrind checks that
 * nothing leaks and nothing freed is touched). */
#include "nx_test.h"
#include "net/net_test.h"

static int drops;

typedef struct {
  int kind, started;
  nx_tcp_stream s;
  nx_tcp_listener l;
  nx_udp_socket u;
  nx_sockaddr addr;
  nx_tcp_read rd;
  nx_tcp_accept acc;
  nx_udp_recv rv;
  nx_tcp_connect conn;
  char buf[8];
} waiter;

static nx_poll waiter_poll(void *p, nx_cx *cx) {
  waiter *w = p;
  nx_tcp_stream out;
  if (!w->started) {
    w->started = 1;
    if (w->kind == 0) NX_CHECK_OK(nx_tcp_read_init(&w->rd, &w->s, w->buf, sizeof w->buf));
    if (w->kind == 1) NX_CHECK_OK(nx_tcp_accept_init(&w->acc, &w->l));
    if (w->kind == 2) NX_CHECK_OK(nx_udp_recv_init(&w->rv, &w->u, w->buf, sizeof w->buf));
    if (w->kind == 3) NX_CHECK_OK(nx_tcp_connect_init(&w->conn, &w->addr));
  }
  if (w->kind == 0) NX_CHECK_RC(nx_tcp_read_poll(&w->rd, cx, NULL), NX_PENDING);
  if (w->kind == 1) NX_CHECK_RC(nx_tcp_accept_poll(&w->acc, cx, &out, NULL), NX_PENDING);
  if (w->kind == 2) NX_CHECK_RC(nx_udp_recv_poll(&w->rv, cx, NULL, NULL), NX_PENDING);
  if (w->kind == 3) NX_CHECK_RC(nx_tcp_connect_poll(&w->conn, cx, &out), NX_PENDING);
  return NX_PENDING;
}

/* Each task owns its handle (a clone) and closes it here. */
static void waiter_drop(void *p) {
  waiter *w = p;
  nx_tcp_read_drop(&w->rd);
  nx_tcp_accept_drop(&w->acc);
  nx_udp_recv_drop(&w->rv);
  nx_tcp_connect_drop(&w->conn);
  if (w->s.sock_) NX_CHECK_OK(nx_tcp_stream_close(&w->s));
  if (w->l.sock_) NX_CHECK_OK(nx_tcp_listener_close(&w->l));
  if (w->u.sock_) NX_CHECK_OK(nx_udp_close(&w->u));
  drops++;
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_tcp_stream c, s;
  nx_tcp_listener l;
  nx_udp_socket u;
  nx_sockaddr la, ua;
  net_connected_pair(ex, AF_INET, &c, &s);
  l = net_listen(ex, AF_INET, &la);
  NX_CHECK_OK(nx_sockaddr_loopback(&ua, AF_INET, 0));
  NX_CHECK_OK(nx_udp_bind(ex, &ua, 0, &u));
  nx_udp_socket u2;
  NX_CHECK_OK(nx_udp_bind(ex, &ua, 0, &u2));

  nx_future_desc d = NX_FUTURE(waiter, waiter_poll, waiter_drop);
  for (int kind = 0; kind < 4; kind++) {
    waiter w;
    memset(&w, 0, sizeof w);
    w.kind = kind;
    w.addr = la;
    if (kind == 0) NX_CHECK_OK(nx_tcp_stream_clone(&c, &w.s));
    if (kind == 1) NX_CHECK_OK(nx_tcp_listener_clone(&l, &w.l));
    if (kind == 2) NX_CHECK_OK(nx_udp_clone(&u, &w.u));
    NX_CHECK_OK(nx_spawn(ex, &d, &w, NULL, NULL));
  }
  nx_test_run_idle(ex);
  NX_CHECK_EQ(nx_executor_live_tasks(ex), 4);
  NX_CHECK_OK(nx_executor_shutdown(ex));
  NX_CHECK_EQ(drops, 4);

  size_t n;
  nx_sockaddr a;
  nx_tcp_listener l2;
  nx_tcp_read rd;
  /* c, l and u were shared with the tasks as clones, which their drop
   * functions closed: that closed those sockets for every holder */
  NX_CHECK_RC(nx_tcp_try_write(&c, "x", 1, &n), NX_ECANCELED);
  NX_CHECK_RC(nx_tcp_listener_local_addr(&l, &a), NX_ECANCELED);
  NX_CHECK_RC(nx_udp_try_recv(&u, &a, 1, &n, NULL), NX_ECANCELED);
  /* s and u2 were never shared: the executor's shutdown left them open
   * but unregistered */
  NX_CHECK_RC(nx_tcp_stream_peer_addr(&s, &a), NX_ESHUTDOWN);
  NX_CHECK_RC(nx_tcp_read_init(&rd, &s, &a, 1), NX_ESHUTDOWN);
  NX_CHECK_RC(nx_udp_try_recv(&u2, &a, 1, &n, NULL), NX_ESHUTDOWN);
  NX_CHECK(nx_udp_fd(&u2) >= 0);
  NX_CHECK_RC(nx_tcp_listen(ex, &ua, 1, 0, &l2), NX_ESHUTDOWN);
  nx_executor_destroy(ex);
  /* the executor is gone; the handles still close (and free) cleanly */
  NX_CHECK_OK(nx_tcp_stream_close(&c));
  NX_CHECK_OK(nx_tcp_stream_close(&s));
  NX_CHECK_OK(nx_tcp_listener_close(&l));
  NX_CHECK_OK(nx_udp_close(&u));
  NX_CHECK_OK(nx_udp_close(&u2));
  return 0;
}

/* Closing a socket wakes the task waiting on it, which then gets
 * NX_ECANCELED; later operations on any handle or future of that socket
 * answer NX_ECANCELED too, and every handle is closed once more to free the
 * memory (in any order: futures first or handles first). Shown for a
 * stream (a task waiting to read), a listener (waiting in accept) and a UDP
 * socket (waiting to receive). Task W waits on clone 1; task C closes
 * clone 2. */
#include "nx_test.h"
#include "net/net_test.h"

enum { STREAM, LISTENER, UDP };

typedef struct {
  int kind, polls, rc;
  nx_tcp_stream s;
  nx_tcp_listener l;
  nx_udp_socket u;
  nx_tcp_read rd;
  nx_tcp_accept acc;
  nx_udp_recv rv;
  char buf[16];
} waiter;

static nx_poll waiter_poll(void *p, nx_cx *cx) {
  waiter *w = p;
  nx_tcp_stream conn;
  w->polls++;
  if (w->polls == 1) {
    if (w->kind == STREAM) NX_CHECK_OK(nx_tcp_read_init(&w->rd, &w->s, w->buf, sizeof w->buf));
    if (w->kind == LISTENER) NX_CHECK_OK(nx_tcp_accept_init(&w->acc, &w->l));
    if (w->kind == UDP) NX_CHECK_OK(nx_udp_recv_init(&w->rv, &w->u, w->buf, sizeof w->buf));
  }
  w->rc = w->kind == STREAM     ? nx_tcp_read_poll(&w->rd, cx, NULL)
          : w->kind == LISTENER ? nx_tcp_accept_poll(&w->acc, cx, &conn, NULL)
                                : nx_udp_recv_poll(&w->rv, cx, NULL, NULL);
  if (w->rc == NX_PENDING) return NX_PENDING;
  /* woken by the close: everything now says cancelled */
  nx_tcp_read rd2;
  nx_sockaddr a;
  if (w->kind == STREAM) {
    NX_CHECK_RC(nx_tcp_read_poll(&w->rd, cx, NULL), NX_ECANCELED); /* repeats */
    NX_CHECK_RC(nx_tcp_read_init(&rd2, &w->s, w->buf, 1), NX_ECANCELED);
    NX_CHECK_RC(nx_tcp_stream_local_addr(&w->s, &a), NX_ECANCELED);
    NX_CHECK_EQ(nx_tcp_stream_fd(&w->s), -1);
    nx_tcp_read_drop(&w->rd);
    NX_CHECK_OK(nx_tcp_stream_close(&w->s));
  } else if (w->kind == LISTENER) {
    NX_CHECK_RC(nx_tcp_listener_local_addr(&w->l, &a), NX_ECANCELED);
    NX_CHECK_OK(nx_tcp_listener_close(&w->l)); /* handle first, future after */
    nx_tcp_accept_drop(&w->acc);
  } else {
    size_t n;
    NX_CHECK_RC(nx_udp_try_recv(&w->u, w->buf, 1, &n, NULL), NX_ECANCELED);
    nx_udp_recv_drop(&w->rv);
    NX_CHECK_OK(nx_udp_close(&w->u));
  }
  return NX_READY;
}

typedef struct {
  int kind;
  nx_tcp_stream s;
  nx_tcp_listener l;
  nx_udp_socket u;
} closer;

static nx_poll closer_poll(void *p, nx_cx *cx) {
  closer *c = p;
  (void)cx;
  if (c->kind == STREAM) NX_CHECK_OK(nx_tcp_stream_close(&c->s));
  if (c->kind == LISTENER) NX_CHECK_OK(nx_tcp_listener_close(&c->l));
  if (c->kind == UDP) NX_CHECK_OK(nx_udp_close(&c->u));
  return NX_READY;
}

static void run(int kind) {
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_sockaddr addr;
  waiter w = {.kind = kind};
  closer c = {.kind = kind};
  nx_tcp_stream other = {0};
  if (kind == STREAM) {
    net_connected_pair(ex, AF_INET, &w.s, &other);
    NX_CHECK_OK(nx_tcp_stream_clone(&w.s, &c.s));
  } else if (kind == LISTENER) {
    w.l = net_listen(ex, AF_INET, &addr);
    NX_CHECK_OK(nx_tcp_listener_clone(&w.l, &c.l));
  } else {
    NX_CHECK_OK(nx_sockaddr_loopback(&addr, AF_INET, 0));
    NX_CHECK_OK(nx_udp_bind(ex, &addr, 0, &w.u));
    NX_CHECK_OK(nx_udp_clone(&w.u, &c.u));
  }
  nx_future_desc dw = NX_FUTURE(waiter, waiter_poll, NULL);
  NX_CHECK_OK(nx_spawn(ex, &dw, &w, NULL, NULL));
  nx_test_run_idle(ex); /* W is waiting now, and nothing else will wake it */
  NX_CHECK_EQ(nx_executor_live_tasks(ex), 1);
  nx_future_desc dc = NX_FUTURE(closer, closer_poll, NULL);
  NX_CHECK_OK(nx_spawn(ex, &dc, &c, NULL, NULL));
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  NX_CHECK_EQ(nx_executor_live_tasks(ex), 0);
  NX_CHECK_EQ(nx_executor_allocated_tasks(ex), 0);
  if (other.sock_ != NULL) NX_CHECK_OK(nx_tcp_stream_close(&other));
  nx_executor_destroy(ex);
}

int main(void) {
  nx_test_start();
  run(STREAM);
  run(LISTENER);
  run(UDP);
  return 0;
}

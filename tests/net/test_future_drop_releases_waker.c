/* A task waiting on a socket (read, accept, UDP receive, readiness) is
 * cancelled: its drop function drops the future, which must release the
 * task's waker at once, so the task's storage is freed although the socket
 * stays open (with the waker kept in the registration, the slot would stay
 * allocated until the socket closed). A connect in progress that is dropped
 * closes its socket: no descriptor is left behind. */
#include "nx_test.h"
#include "net/net_test.h"

enum { READ, ACCEPT, RECV, READY, CONNECT };

typedef struct {
  int kind, started;
  nx_tcp_stream s;
  nx_tcp_listener l;
  nx_udp_socket u;
  nx_sockaddr addr;
  nx_tcp_read rd;
  nx_tcp_accept acc;
  nx_udp_recv rv;
  nx_sock_ready ready;
  nx_tcp_connect conn;
  char buf[16];
} waiter;

static nx_poll waiter_poll(void *p, nx_cx *cx) {
  waiter *w = p;
  nx_tcp_stream out;
  int rc = NX_EINVAL;
  if (!w->started) {
    w->started = 1;
    if (w->kind == READ) NX_CHECK_OK(nx_tcp_read_init(&w->rd, &w->s, w->buf, sizeof w->buf));
    if (w->kind == ACCEPT) NX_CHECK_OK(nx_tcp_accept_init(&w->acc, &w->l));
    if (w->kind == RECV) NX_CHECK_OK(nx_udp_recv_init(&w->rv, &w->u, w->buf, sizeof w->buf));
    if (w->kind == READY) {
      size_t n;
      /* the first mark is optimistic: an EAGAIN clears it */
      NX_CHECK_RC(nx_udp_try_recv(&w->u, w->buf, sizeof w->buf, &n, NULL), NX_EAGAIN);
      NX_CHECK_OK(nx_udp_ready_init(&w->ready, &w->u, NX_IO_READ));
    }
    if (w->kind == CONNECT) NX_CHECK_OK(nx_tcp_connect_init(&w->conn, &w->addr));
  }
  switch (w->kind) {
  case READ: rc = nx_tcp_read_poll(&w->rd, cx, NULL); break;
  case ACCEPT: rc = nx_tcp_accept_poll(&w->acc, cx, &out, NULL); break;
  case RECV: rc = nx_udp_recv_poll(&w->rv, cx, NULL, NULL); break;
  case READY: rc = nx_sock_ready_poll(&w->ready, cx); break;
  case CONNECT: rc = nx_tcp_connect_poll(&w->conn, cx, &out); break;
  }
  NX_CHECK_RC(rc, NX_PENDING);
  return NX_PENDING;
}

static void waiter_drop(void *p) {
  waiter *w = p;
  nx_tcp_read_drop(&w->rd);
  nx_tcp_accept_drop(&w->acc);
  nx_udp_recv_drop(&w->rv);
  nx_sock_ready_drop(&w->ready);
  nx_tcp_connect_drop(&w->conn);
}

static void run(int kind) {
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_sockaddr addr;
  nx_tcp_stream client = {0}, server = {0};
  nx_tcp_listener l = {0};
  nx_udp_socket u = {0};
  waiter w = {.kind = kind};
  if (kind == READ) {
    net_connected_pair(ex, AF_INET, &client, &server);
    w.s = client; /* borrowed: the test keeps its handle */
  } else if (kind == ACCEPT || kind == CONNECT) {
    l = net_listen(ex, AF_INET, &addr);
    w.l = l;
    w.addr = addr;
  } else {
    NX_CHECK_OK(nx_sockaddr_loopback(&addr, AF_INET, 0));
    NX_CHECK_OK(nx_udp_bind(ex, &addr, 0, &u));
    w.u = u;
  }
  int fds = net_open_fds();
  nx_task_id id;
  nx_future_desc d = NX_FUTURE(waiter, waiter_poll, waiter_drop);
  NX_CHECK_OK(nx_spawn(ex, &d, &w, &id, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 1); /* polled once: waiting now */
  NX_CHECK_EQ(nx_executor_allocated_tasks(ex), 1);
  NX_CHECK_OK(nx_cancel(ex, id));
  nx_test_run_idle(ex);
  NX_CHECK_EQ(nx_executor_allocated_tasks(ex), 0); /* no waker kept it */
  NX_CHECK_EQ(net_open_fds(), fds);                    /* a dropped connect closed its socket */
  if (client.sock_) NX_CHECK_OK(nx_tcp_stream_close(&client));
  if (server.sock_) NX_CHECK_OK(nx_tcp_stream_close(&server));
  if (l.sock_) NX_CHECK_OK(nx_tcp_listener_close(&l));
  if (u.sock_) NX_CHECK_OK(nx_udp_close(&u));
  nx_executor_destroy(ex);
}

int main(void) {
  nx_test_start();
  for (int kind = READ; kind <= CONNECT; kind++) run(kind);
  return 0;
}

/* A read shorter than its buffer clears the read side's mark (the receive
 * queue was empty), except when an event already reported the peer's FIN:
 * then the FIN is queued behind the data and raises no new edge, so the
 * next read must try again and see end of file.
 *
 * The server task reads once on an empty socket (EAGAIN: it waits); then a
 * peer outside nxrt sends a few bytes and its FIN together, before the
 * executor asks epoll, so one event reports both. The server's read gets
 * the bytes (short), and its next read must return end of file, not wait
 * forever (a 5 s watchdog task fails the test). Parked, and busy with
 * enough idle sockets registered that the busy executor asks epoll too. */
#include "nx_test.h"
#include "net/net_test.h"

static const char message[] = "bytes, then FIN";
static int peer_fd = -1, server_done;
static nx_task_id watchdog_id;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_tcp_listener l;
  nx_tcp_accept acc;
  nx_tcp_stream s;
  nx_tcp_read rd;
  char buf[256];
  size_t n;
  int rc;
} server;

static nx_poll server_poll(void *p, nx_cx *cx) {
  server *s = p;
  NX_BEGIN(s);
  NET_ACCEPT_ONE(s, cx);
  /* Nothing sent yet: this read waits (the peer task runs after it). */
  NX_CHECK_OK(nx_tcp_read_init(&s->rd, &s->s, s->buf, sizeof s->buf));
  NX_AWAIT(s, s->rc = nx_tcp_read_poll(&s->rd, cx, &s->n));
  NX_CHECK_RC(s->rc, NX_READY);
  nx_tcp_read_drop(&s->rd);
  NX_CHECK_EQ_U(s->n, sizeof message); /* short: the buffer holds 256 */
  NX_CHECK(memcmp(s->buf, message, sizeof message) == 0);
  NX_CHECK_OK(nx_tcp_read_init(&s->rd, &s->s, s->buf, sizeof s->buf));
  NX_AWAIT(s, s->rc = nx_tcp_read_poll(&s->rd, cx, &s->n));
  NX_CHECK_RC(s->rc, NX_READY);
  nx_tcp_read_drop(&s->rd);
  NX_CHECK_EQ_U(s->n, 0); /* end of file */
  NX_CHECK_OK(nx_tcp_stream_close(&s->s));
  server_done = 1;
  NX_CHECK_OK(nx_cancel(nx_cx_executor(cx), watchdog_id));
  NX_END(s);
}

static void server_drop(void *p) {
  server *s = p;
  nx_tcp_accept_drop(&s->acc);
  nx_tcp_read_drop(&s->rd);
  if (s->s.sock_ != NULL) nx_tcp_stream_close(&s->s);
  if (s->l.sock_ != NULL) nx_tcp_listener_close(&s->l);
}

/* Polled once, right after the server's first poll left it waiting: the
 * data and the FIN, back to back, with no epoll_wait between them. */
static nx_poll peer_poll(void *p, nx_cx *cx) {
  (void)p;
  (void)cx;
  NX_CHECK(send(peer_fd, message, sizeof message, MSG_NOSIGNAL) == (ssize_t)sizeof message);
  NX_CHECK(shutdown(peer_fd, SHUT_WR) == 0);
  return NX_READY;
}

typedef struct {
  NX_ASYNC_FIELDS;
  nx_sleep sl;
} watchdog;

static nx_poll watchdog_poll(void *p, nx_cx *cx) {
  watchdog *w = p;
  NX_BEGIN(w);
  NX_CHECK_OK(nx_sleep_init(&w->sl, nx_cx_executor(cx), 5000000000));
  NX_AWAIT(w, nx_sleep_poll(&w->sl, cx));
  if (!server_done)
    nx_test_fail(__FILE__, __LINE__, "the read after the short one never saw end of file");
  NX_END(w);
}

static void watchdog_drop(void *p) { nx_sleep_drop(&((watchdog *)p)->sl); }

static void run_case(nx_run_mode mode, int idle_sockets) {
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_sockaddr addr;
  server init;
  memset(&init, 0, sizeof init);
  init.l = net_listen(ex, AF_INET, &addr);
  /* Idle registrations: a busy executor with this many asks epoll. */
  nx_udp_socket idle[4];
  nx_sockaddr any;
  NX_CHECK_OK(nx_sockaddr_loopback(&any, AF_INET, 0));
  NX_CHECK(idle_sockets <= 4);
  for (int i = 0; i < idle_sockets; i++) NX_CHECK_OK(nx_udp_bind(ex, &any, 0, &idle[i]));
  peer_fd = net_blocking_connect(&addr); /* in the backlog: accept finds it at once */
  server_done = 0;
  nx_future_desc d = NX_FUTURE(server, server_poll, server_drop);
  NX_CHECK_OK(nx_spawn(ex, &d, &init, NULL, NULL));
  nx_future_desc pd = {peer_poll, NULL, 0, 0, 0};
  NX_CHECK_OK(nx_spawn(ex, &pd, NULL, NULL, NULL));
  nx_future_desc wd = NX_FUTURE(watchdog, watchdog_poll, watchdog_drop);
  NX_CHECK_OK(nx_spawn(ex, &wd, NULL, &watchdog_id, NULL));
  NX_CHECK_OK(nx_run(ex, mode));
  NX_CHECK(server_done);
  for (int i = 0; i < idle_sockets; i++) NX_CHECK_OK(nx_udp_close(&idle[i]));
  close(peer_fd);
  nx_executor_destroy(ex);
}

int main(void) {
  nx_test_start();
  run_case(NX_RUN_PARKED, 0);
  run_case(NX_RUN_BUSY, 3);
  return 0;
}

/* The peer resets the connection (SO_LINGER 0, then close) while an nxrt
 * task waits to read: the read ends with -ECONNRESET, not end of file, and
 * the task is woken for it (nothing else would wake it). */
#include "nx_test.h"
#include "net/net_test.h"

static int peer_fd = -1, got;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_tcp_listener l;
  nx_tcp_accept acc;
  nx_tcp_stream s;
  nx_tcp_read rd;
  unsigned char buf[64];
  int rc, polls;
} server;

static nx_poll server_poll(void *p, nx_cx *cx) {
  server *s = p;
  s->polls++;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_tcp_accept_init(&s->acc, &s->l));
  NX_AWAIT(s, s->rc = nx_tcp_accept_poll(&s->acc, cx, &s->s, NULL));
  NX_CHECK_RC(s->rc, NX_READY);
  NX_CHECK_OK(nx_tcp_read_init(&s->rd, &s->s, s->buf, sizeof s->buf));
  NX_CHECK_RC(nx_tcp_read_poll(&s->rd, cx, NULL), NX_PENDING);
  s->polls = 0;
  /* waiting now; the peer resets (loopback delivers the RST inside close) */
  net_set_linger0(peer_fd);
  close(peer_fd);
  NX_AWAIT(s, s->rc = nx_tcp_read_poll(&s->rd, cx, NULL));
  NX_CHECK(s->polls >= 1);
  got = s->rc;
  nx_tcp_read_drop(&s->rd);
  nx_tcp_accept_drop(&s->acc);
  NX_CHECK_OK(nx_tcp_stream_close(&s->s));
  NX_CHECK_OK(nx_tcp_listener_close(&s->l));
  NX_END(s);
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_sockaddr addr;
  server init = {.l = net_listen(ex, AF_INET, &addr)};
  peer_fd = net_blocking_connect(&addr); /* completes in the listen backlog */
  nx_future_desc d = NX_FUTURE(server, server_poll, NULL);
  NX_CHECK_OK(nx_block_on(ex, NX_RUN_PARKED, &d, &init, NULL, 0));
  NX_CHECK_RC(got, -ECONNRESET);
  nx_executor_destroy(ex);
  return 0;
}

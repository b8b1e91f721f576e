/* Writing to a connection the peer reset fails with -ECONNRESET or -EPIPE
 * and raises no SIGPIPE: the test keeps SIGPIPE's default action (it would
 * kill the process), and writes until the error comes. */
#include "nx_test.h"
#include "net/net_test.h"

#include <signal.h>

static int peer_fd = -1, got, writes;
static unsigned char chunk[16384];

typedef struct {
  NX_ASYNC_FIELDS;
  nx_tcp_listener l;
  nx_tcp_accept acc;
  nx_tcp_stream s;
  nx_tcp_write wr;
  int rc;
} server;

static nx_poll server_poll(void *p, nx_cx *cx) {
  server *s = p;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_tcp_accept_init(&s->acc, &s->l));
  NX_AWAIT(s, s->rc = nx_tcp_accept_poll(&s->acc, cx, &s->s, NULL));
  NX_CHECK_RC(s->rc, NX_READY);
  net_set_linger0(peer_fd);
  close(peer_fd);
  for (;;) {
    NX_CHECK_OK(nx_tcp_write_all_init(&s->wr, &s->s, chunk, sizeof chunk));
    NX_AWAIT(s, s->rc = nx_tcp_write_poll(&s->wr, cx, NULL));
    nx_tcp_write_drop(&s->wr);
    writes++;
    if (s->rc != NX_READY) break;
    NX_CHECK(writes < 1000);
  }
  got = s->rc;
  /* the error does not go away: a plain try_write fails too */
  {
    size_t n;
    int rc = nx_tcp_try_write(&s->s, chunk, 10, &n);
    NX_CHECK(rc == -EPIPE || rc == -ECONNRESET);
  }
  nx_tcp_accept_drop(&s->acc);
  NX_CHECK_OK(nx_tcp_stream_close(&s->s));
  NX_CHECK_OK(nx_tcp_listener_close(&s->l));
  NX_END(s);
}

int main(void) {
  nx_test_start();
  NX_CHECK(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_sockaddr addr;
  server init = {.l = net_listen(ex, AF_INET, &addr)};
  peer_fd = net_blocking_connect(&addr);
  nx_future_desc d = NX_FUTURE(server, server_poll, NULL);
  NX_CHECK_OK(nx_block_on(ex, NX_RUN_PARKED, &d, &init, NULL, 0));
  if (got != -EPIPE) NX_CHECK_RC(got, -ECONNRESET);
  nx_executor_destroy(ex);
  return 0;
}

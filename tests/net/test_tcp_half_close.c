/* Half-close: the client sends a request, then shuts its write side
 * (nx_tcp_stream_shutdown SHUT_WR). The server reads the request and then
 * end of file, and only after that writes its reply (which needs the read
 * side of the client to be still open) and closes. The client reads the
 * whole reply and then end of file. Both sides are nxrt tasks. */
#include "nx_test.h"
#include "net/net_test.h"

static const char request[] = "a request that ends with the sender's FIN";
static const char reply[] = "the reply, sent after the request's end of file";
static int server_done, client_done;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_tcp_listener l;
  nx_tcp_accept acc;
  nx_tcp_stream s;
  nx_tcp_read rd;
  nx_tcp_write wr;
  char buf[256];
  size_t got, n;
  int rc;
} server;

static nx_poll server_poll(void *p, nx_cx *cx) {
  server *s = p;
  NX_BEGIN(s);
  NET_ACCEPT_ONE(s, cx);
  do { /* until end of file */
    NX_CHECK_OK(nx_tcp_read_init(&s->rd, &s->s, s->buf + s->got, sizeof s->buf - s->got));
    NX_AWAIT(s, s->rc = nx_tcp_read_poll(&s->rd, cx, &s->n));
    NX_CHECK_RC(s->rc, NX_READY);
    nx_tcp_read_drop(&s->rd);
    s->got += s->n;
  } while (s->n > 0);
  NX_CHECK_EQ_U(s->got, sizeof request);
  NX_CHECK(memcmp(s->buf, request, sizeof request) == 0);
  NX_CHECK_OK(nx_tcp_write_all_init(&s->wr, &s->s, reply, sizeof reply));
  NX_AWAIT(s, s->rc = nx_tcp_write_poll(&s->wr, cx, NULL));
  NX_CHECK_RC(s->rc, NX_READY);
  nx_tcp_write_drop(&s->wr);
  NX_CHECK_OK(nx_tcp_stream_close(&s->s));
  server_done = 1;
  NX_END(s);
}

typedef struct {
  NX_ASYNC_FIELDS;
  nx_sockaddr addr;
  nx_tcp_connect c;
  nx_tcp_stream s;
  nx_tcp_read rd;
  nx_tcp_write wr;
  char buf[256];
  size_t got, n;
  int rc;
} client;

static nx_poll client_poll(void *p, nx_cx *cx) {
  client *s = p;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_tcp_connect_init(&s->c, &s->addr));
  NX_AWAIT(s, s->rc = nx_tcp_connect_poll(&s->c, cx, &s->s));
  NX_CHECK_RC(s->rc, NX_READY);
  NX_CHECK_OK(nx_tcp_write_all_init(&s->wr, &s->s, request, sizeof request));
  NX_AWAIT(s, s->rc = nx_tcp_write_poll(&s->wr, cx, NULL));
  NX_CHECK_RC(s->rc, NX_READY);
  nx_tcp_write_drop(&s->wr);
  NX_CHECK_OK(nx_tcp_stream_shutdown(&s->s, SHUT_WR));
  do {
    NX_CHECK_OK(nx_tcp_read_init(&s->rd, &s->s, s->buf + s->got, sizeof s->buf - s->got));
    NX_AWAIT(s, s->rc = nx_tcp_read_poll(&s->rd, cx, &s->n));
    NX_CHECK_RC(s->rc, NX_READY);
    nx_tcp_read_drop(&s->rd);
    s->got += s->n;
  } while (s->n > 0);
  NX_CHECK_EQ_U(s->got, sizeof reply);
  NX_CHECK(memcmp(s->buf, reply, sizeof reply) == 0);
  /* writing after SHUT_WR is refused by the kernel, without SIGPIPE */
  {
    size_t n;
    NX_CHECK_RC(nx_tcp_try_write(&s->s, "x", 1, &n), -EPIPE);
  }
  NX_CHECK_OK(nx_tcp_stream_close(&s->s));
  client_done = 1;
  NX_END(s);
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  server sv = {0};
  client cl = {0};
  sv.l = net_listen(ex, AF_INET, &cl.addr);
  nx_future_desc ds = NX_FUTURE(server, server_poll, NULL);
  nx_future_desc dc = NX_FUTURE(client, client_poll, NULL);
  NX_CHECK_OK(nx_spawn(ex, &ds, &sv, NULL, NULL));
  NX_CHECK_OK(nx_spawn(ex, &dc, &cl, NULL, NULL));
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  NX_CHECK_EQ(server_done, 1);
  NX_CHECK_EQ(client_done, 1);
  nx_executor_destroy(ex);
  return 0;
}

/* At least 1,000 connections open at once on loopback: 1,000 client tasks
 * each connect, exchange one message with an nxrt echo server, and then
 * wait until every client is connected before closing (a cancellation
 * token is the barrier), so all 2,000 sockets are open together. Needs
 * about 2,100 descriptors: RLIMIT_NOFILE is raised, and the test is skipped
 * with a message if it cannot be. Under valgrind (much slower) it uses 200
 * connections. */
#include "nx_test.h"
#include "net/net_test.h"

#include "nxrt_services.h"

static int clients, connected, finished;
static nx_cancel_token *all_connected;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_sockaddr addr;
  nx_tcp_connect c;
  nx_tcp_stream s;
  nx_tcp_write wr;
  nx_tcp_read rd;
  nx_cancel_wait barrier;
  int id, rc;
  char out[8], in[8];
} client;

static nx_poll client_poll(void *p, nx_cx *cx) {
  client *s = p;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_tcp_connect_init(&s->c, &s->addr));
  NX_AWAIT(s, s->rc = nx_tcp_connect_poll(&s->c, cx, &s->s));
  NX_CHECK_RC(s->rc, NX_READY);
  snprintf(s->out, sizeof s->out, "%07d", s->id);
  NX_CHECK_OK(nx_tcp_write_all_init(&s->wr, &s->s, s->out, sizeof s->out));
  NX_AWAIT(s, s->rc = nx_tcp_write_poll(&s->wr, cx, NULL));
  NX_CHECK_RC(s->rc, NX_READY);
  nx_tcp_write_drop(&s->wr);
  NX_CHECK_OK(nx_tcp_read_exact_init(&s->rd, &s->s, s->in, sizeof s->in));
  NX_AWAIT(s, s->rc = nx_tcp_read_poll(&s->rd, cx, NULL));
  NX_CHECK_RC(s->rc, NX_READY);
  nx_tcp_read_drop(&s->rd);
  NX_CHECK(memcmp(s->in, s->out, sizeof s->in) == 0);
  if (++connected == clients) nx_cancel_token_cancel(all_connected);
  NX_CHECK_OK(nx_cancel_wait_init(&s->barrier, all_connected));
  NX_AWAIT(s, nx_cancel_wait_poll(&s->barrier, cx));
  nx_cancel_wait_drop(&s->barrier);
  NX_CHECK_EQ(net_echo_stats.accepted, clients); /* every connection is open now */
  NX_CHECK_OK(nx_tcp_stream_close(&s->s));
  finished++;
  NX_END(s);
}

int main(void) {
  nx_test_start();
  clients = NX_TEST_ON_VALGRIND() ? 200 : 1000;
  if (!net_raise_fd_limit((rlim_t)(2 * clients + 100))) {
    char why[160];
    snprintf(why, sizeof why, "cannot raise RLIMIT_NOFILE to %d descriptors (the hard limit "
             "is lower): %d connections need them", 2 * clients + 100, clients);
    net_skip(why);
  }
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  NX_CHECK_OK(nx_cancel_token_create(&all_connected));
  nx_sockaddr any, addr;
  nx_tcp_listener l;
  NX_CHECK_OK(nx_sockaddr_loopback(&any, AF_INET, 0));
  NX_CHECK_OK(nx_tcp_listen(ex, &any, 0 /* SOMAXCONN */, 0, &l));
  NX_CHECK_OK(nx_tcp_listener_local_addr(&l, &addr));
  net_spawn_echo_server(ex, l, clients);
  nx_future_desc d = NX_FUTURE(client, client_poll, NULL);
  for (int i = 0; i < clients; i++) {
    client c;
    memset(&c, 0, sizeof c);
    c.addr = addr;
    c.id = i;
    NX_CHECK_OK(nx_spawn(ex, &d, &c, NULL, NULL));
  }
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  NX_CHECK_EQ(finished, clients);
  NX_CHECK_EQ(net_echo_stats.connections_done, clients);
  NX_CHECK_EQ(net_echo_stats.last_error, 0);
  nx_cancel_token_release(all_connected);
  nx_executor_destroy(ex);
  printf("%d connections were open at once\n", clients);
  return 0;
}

/* UDP broadcast: without SO_BROADCAST a send to 255.255.255.255 is refused
 * (-EACCES); with NX_SOCKOPT_BROADCAST it is sent, and Linux loops it back
 * to a socket bound to the wildcard address on that port. Where the
 * machine cannot send a broadcast (no route) or does not loop it back
 * within two seconds, the test is skipped with a message. */
#include "nx_test.h"
#include "net/net_test.h"

static int outcome; /* 1 received, 2 not looped back */

typedef struct {
  NX_ASYNC_FIELDS;
  nx_udp_socket rx, tx;
  nx_sockaddr dst;
  nx_udp_recv rcv;
  nx_timeout to;
  char buf[16];
  size_t n;
  int rc;
} bcast;

static nx_poll bcast_poll(void *p, nx_cx *cx) {
  bcast *s = p;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_udp_recv_init(&s->rcv, &s->rx, s->buf, sizeof s->buf));
  NX_CHECK_OK(nx_timeout_init(&s->to, nx_cx_executor(cx), 2000000000LL));
  NX_AWAIT(s, s->rc = nx_timeout_poll(&s->to, cx, nx_udp_recv_poll(&s->rcv, cx, &s->n, NULL)));
  nx_timeout_drop(&s->to);
  nx_udp_recv_drop(&s->rcv);
  if (s->rc == NX_ETIMEDOUT) {
    outcome = 2;
  } else {
    NX_CHECK_RC(s->rc, NX_READY);
    NX_CHECK_EQ_U(s->n, 5);
    NX_CHECK(memcmp(s->buf, "hello", 5) == 0);
    outcome = 1;
  }
  NX_END(s);
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  bcast s;
  memset(&s, 0, sizeof s);
  nx_sockaddr any, bound;
  size_t n;
  NX_CHECK_OK(nx_sockaddr_any(&any, AF_INET, 0));
  NX_CHECK_OK(nx_udp_bind(ex, &any, 0, &s.rx));
  NX_CHECK_OK(nx_udp_local_addr(&s.rx, &bound));
  NX_CHECK_OK(nx_udp_bind(ex, &any, 0, &s.tx));
  NX_CHECK_OK(nx_sockaddr_ip(&s.dst, "255.255.255.255", nx_sockaddr_port(&bound)));
  NX_CHECK_RC(nx_udp_try_send(&s.tx, "hello", 5, &s.dst, &n), -EACCES);
  NX_CHECK_OK(nx_udp_setopt(&s.tx, NX_SOCKOPT_BROADCAST, 1));
  int rc = nx_udp_try_send(&s.tx, "hello", 5, &s.dst, &n);
  if (rc == -ENETUNREACH || rc == -EHOSTUNREACH || rc == -ENODEV) {
    printf("SKIP: no route for a broadcast here (%s)\n", strerror(-rc));
    exit(NET_SKIP_CODE);
  }
  NX_CHECK_OK(rc);
  nx_future_desc d = NX_FUTURE(bcast, bcast_poll, NULL);
  NX_CHECK_OK(nx_block_on(ex, NX_RUN_PARKED, &d, &s, NULL, 0));
  NX_CHECK_OK(nx_udp_close(&s.rx));
  NX_CHECK_OK(nx_udp_close(&s.tx));
  nx_executor_destroy(ex);
  if (outcome == 2) net_skip("the broadcast was sent but not looped back to this host in 2 s");
  NX_CHECK_EQ(outcome, 1);
  return 0;
}

/* A connected UDP socket: sends without an address go to the peer, its
 * peer address reads back, receives see only that peer (a datagram from
 * a third socket is filtered out by the kernel), and once the peer's port
 * is closed the ICMP "port unreachable" comes back as -ECONNREFUSED on the
 * next receive. An unconnected send without an address is -EDESTADDRREQ. */
#include "nx_test.h"
#include "net/net_test.h"

typedef struct {
  NX_ASYNC_FIELDS;
  nx_udp_socket a, b, third;
  nx_sockaddr a_addr, b_addr;
  nx_udp_send snd;
  nx_udp_recv rcv;
  char buf[64];
  size_t n;
  int rc;
} connected;

static int done;

static nx_poll connected_poll(void *p, nx_cx *cx) {
  connected *s = p;
  NX_BEGIN(s);
  NX_CHECK_RC(nx_udp_try_send(&s->a, "x", 1, NULL, &s->n), -EDESTADDRREQ);
  NX_CHECK_OK(nx_udp_connect(&s->a, &s->b_addr));
  {
    nx_sockaddr peer;
    NX_CHECK_OK(nx_udp_peer_addr(&s->a, &peer));
    NX_CHECK(nx_sockaddr_equal(&peer, &s->b_addr));
  }
  /* the third socket's datagram to A is dropped: A listens to B only */
  NX_CHECK_OK(nx_udp_try_send(&s->third, "noise", 5, &s->a_addr, &s->n));
  NX_CHECK_OK(nx_udp_try_send(&s->b, "from b", 6, &s->a_addr, &s->n));
  NX_CHECK_OK(nx_udp_recv_init(&s->rcv, &s->a, s->buf, sizeof s->buf));
  NX_AWAIT(s, s->rc = nx_udp_recv_poll(&s->rcv, cx, &s->n, NULL));
  NX_CHECK_RC(s->rc, NX_READY);
  nx_udp_recv_drop(&s->rcv);
  NX_CHECK_EQ_U(s->n, 6);
  NX_CHECK(memcmp(s->buf, "from b", 6) == 0);
  /* a send future without an address goes to the peer */
  NX_CHECK_OK(nx_udp_send_init(&s->snd, &s->a, "to b", 4, NULL));
  NX_AWAIT(s, s->rc = nx_udp_send_poll(&s->snd, cx, NULL));
  NX_CHECK_RC(s->rc, NX_READY);
  nx_udp_send_drop(&s->snd);
  NX_CHECK_OK(nx_udp_recv_init(&s->rcv, &s->b, s->buf, sizeof s->buf));
  NX_AWAIT(s, s->rc = nx_udp_recv_poll(&s->rcv, cx, &s->n, NULL));
  NX_CHECK_RC(s->rc, NX_READY);
  nx_udp_recv_drop(&s->rcv);
  NX_CHECK_EQ_U(s->n, 4);
  /* B goes away; A's next datagram draws an ICMP error, which the receive
   * (woken by the error) reports */
  NX_CHECK_OK(nx_udp_close(&s->b));
  NX_CHECK_OK(nx_udp_try_send(&s->a, "anyone?", 7, NULL, &s->n));
  NX_CHECK_OK(nx_udp_recv_init(&s->rcv, &s->a, s->buf, sizeof s->buf));
  NX_AWAIT(s, s->rc = nx_udp_recv_poll(&s->rcv, cx, &s->n, NULL));
  NX_CHECK_RC(s->rc, -ECONNREFUSED);
  nx_udp_recv_drop(&s->rcv);
  NX_CHECK_OK(nx_udp_close(&s->a));
  NX_CHECK_OK(nx_udp_close(&s->third));
  done = 1;
  NX_END(s);
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  connected s;
  memset(&s, 0, sizeof s);
  nx_sockaddr lo;
  NX_CHECK_OK(nx_sockaddr_loopback(&lo, AF_INET, 0));
  NX_CHECK_OK(nx_udp_bind(ex, &lo, 0, &s.a));
  NX_CHECK_OK(nx_udp_bind(ex, &lo, 0, &s.b));
  NX_CHECK_OK(nx_udp_bind(ex, &lo, 0, &s.third));
  NX_CHECK_OK(nx_udp_local_addr(&s.a, &s.a_addr));
  NX_CHECK_OK(nx_udp_local_addr(&s.b, &s.b_addr));
  nx_future_desc d = NX_FUTURE(connected, connected_poll, NULL);
  NX_CHECK_OK(nx_spawn(ex, &d, &s, NULL, NULL));
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  NX_CHECK_EQ(done, 1);
  nx_executor_destroy(ex);
  return 0;
}

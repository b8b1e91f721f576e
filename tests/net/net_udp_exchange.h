/* The UDP exchange both test_udp_send_recv_ipv4.c and _ipv6.c run. */
#ifndef NXRT_TESTS_NET_UDP_EXCHANGE_H
#define NXRT_TESTS_NET_UDP_EXCHANGE_H

#include "net/net_test.h"

#define UDP_COUNT 50

static int udp_received;

/* A receives UDP_COUNT datagrams from B (send futures, each waiting for
 * room) and checks their order, sizes, contents and source address; then
 * one too long for its buffer, which is -EMSGSIZE with the full length. */
typedef struct {
  NX_ASYNC_FIELDS;
  nx_udp_socket a, b;
  nx_sockaddr a_addr, b_addr, from;
  nx_udp_send snd;
  nx_udp_recv rcv;
  unsigned char out[1500], in[1500];
  size_t n;
  int i, rc;
} udp_exchange;

static size_t udp_len(int i) { return (size_t)(i * 29 % 1400) + 1; }

static nx_poll udp_exchange_poll(void *p, nx_cx *cx) {
  udp_exchange *s = p;
  NX_BEGIN(s);
  for (s->i = 0; s->i < UDP_COUNT; s->i++) {
    for (size_t k = 0; k < udp_len(s->i); k++) s->out[k] = net_pattern((size_t)s->i + k);
    NX_CHECK_OK(nx_udp_send_init(&s->snd, &s->b, s->out, udp_len(s->i), &s->a_addr));
    NX_AWAIT(s, s->rc = nx_udp_send_poll(&s->snd, cx, &s->n));
    NX_CHECK_RC(s->rc, NX_READY);
    NX_CHECK_EQ_U(s->n, udp_len(s->i));
    nx_udp_send_drop(&s->snd);
    NX_CHECK_OK(nx_udp_recv_init(&s->rcv, &s->a, s->in, sizeof s->in));
    NX_AWAIT(s, s->rc = nx_udp_recv_poll(&s->rcv, cx, &s->n, &s->from));
    NX_CHECK_RC(s->rc, NX_READY);
    nx_udp_recv_drop(&s->rcv);
    NX_CHECK_EQ_U(s->n, udp_len(s->i));
    NX_CHECK(memcmp(s->in, s->out, s->n) == 0);
    NX_CHECK(nx_sockaddr_equal(&s->from, &s->b_addr));
    udp_received++;
  }
  /* nothing more queued: a plain try says so */
  NX_CHECK_RC(nx_udp_try_recv(&s->a, s->in, sizeof s->in, &s->n, NULL), NX_EAGAIN);
  /* too long for the buffer: cut, reported, the full length told */
  NX_CHECK_OK(nx_udp_try_send(&s->b, s->out, 1000, &s->a_addr, &s->n));
  NX_CHECK_OK(nx_udp_recv_init(&s->rcv, &s->a, s->in, 100));
  NX_AWAIT(s, s->rc = nx_udp_recv_poll(&s->rcv, cx, &s->n, NULL));
  NX_CHECK_RC(s->rc, -EMSGSIZE);
  NX_CHECK_EQ_U(s->n, 1000);
  NX_CHECK(memcmp(s->in, s->out, 100) == 0);
  nx_udp_recv_drop(&s->rcv);
  NX_CHECK_OK(nx_udp_close(&s->a));
  NX_CHECK_OK(nx_udp_close(&s->b));
  NX_END(s);
}

static inline void udp_exchange_run(int family) {
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  udp_exchange *s = calloc(1, sizeof *s);
  NX_CHECK(s != NULL);
  nx_sockaddr lo;
  NX_CHECK_OK(nx_sockaddr_loopback(&lo, family, 0));
  NX_CHECK_OK(nx_udp_bind(ex, &lo, 0, &s->a));
  NX_CHECK_OK(nx_udp_bind(ex, &lo, 0, &s->b));
  NX_CHECK_OK(nx_udp_local_addr(&s->a, &s->a_addr));
  NX_CHECK_OK(nx_udp_local_addr(&s->b, &s->b_addr));
  NX_CHECK_EQ(nx_sockaddr_family(&s->a_addr), family);
  nx_future_desc d = NX_FUTURE(udp_exchange, udp_exchange_poll, NULL);
  NX_CHECK_OK(nx_spawn(ex, &d, s, NULL, NULL));
  free(s);
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  NX_CHECK_EQ(udp_received, UDP_COUNT);
  nx_executor_destroy(ex);
}

#endif /* NXRT_TESTS_NET_UDP_EXCHANGE_H */

/* SPSC between two executors on two threads, both parked: a sender task
 * (send futures, waiting for room in a ring of 4) and a receiver task move
 * 100000 values in order; then the sender closes and the receiver sees
 * NX_EPIPE. */
#include "nx_test.h"
#include "svc_test.h"

#define N 100000

static nx_spsc_tx tx;
static nx_spsc_rx rx;
static int received, bad, end_seen;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_spsc_send send;
  int i, rc;
} sender;

static nx_poll sender_poll(void *p, nx_cx *cx) {
  sender *s = p;
  NX_BEGIN(s);
  for (s->i = 0; s->i < N; s->i++) {
    NX_CHECK_OK(nx_spsc_send_init(&s->send, &tx, &s->i));
    NX_AWAIT(s, s->rc = nx_spsc_send_poll(&s->send, cx));
    NX_CHECK_RC(s->rc, NX_READY);
    nx_spsc_send_drop(&s->send);
  }
  nx_spsc_tx_close(&tx);
  NX_END(s);
}

static void sender_drop(void *p) { nx_spsc_send_drop(&((sender *)p)->send); }

static void *executor_b(void *arg) {
  (void)arg;
  nx_executor *b = svc_executor();
  SVC_SPAWN(b, sender, sender_poll, sender_drop, NULL);
  NX_CHECK_OK(nx_run(b, NX_RUN_PARKED));
  nx_executor_destroy(b);
  return NULL;
}

static nx_poll receiver_poll(void *p, nx_cx *cx) {
  (void)p;
  for (;;) {
    int v;
    int rc = nx_spsc_recv_poll(&rx, cx, &v);
    if (rc == NX_PENDING) return NX_PENDING;
    if (rc == NX_EPIPE) {
      end_seen = 1;
      return NX_READY;
    }
    NX_CHECK_RC(rc, NX_READY);
    if (v != received) bad++;
    received++;
  }
}

int main(void) {
  nx_test_start();
  NX_CHECK_OK(nx_spsc_create(4, sizeof(int), NULL, &tx, &rx));
  nx_executor *a = svc_executor();
  nx_future_desc d = {receiver_poll, NULL, 0, 0, 0};
  NX_CHECK_OK(nx_spawn(a, &d, NULL, NULL, NULL));
  pthread_t th;
  NX_CHECK(pthread_create(&th, NULL, executor_b, NULL) == 0);
  NX_CHECK_OK(nx_run(a, NX_RUN_PARKED));
  pthread_join(th, NULL);
  NX_CHECK_EQ(received, N);
  NX_CHECK_EQ(bad, 0);
  NX_CHECK_EQ(end_seen, 1);
  nx_spsc_rx_close(&rx);
  nx_executor_destroy(a);
  return 0;
}

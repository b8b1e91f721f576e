/* A bounded local channel holds at most `capacity` values: three sender
 * tasks sending 200 values each into a channel of 2 must wait for a slow
 * receiver, each sender's values arrive in its order, nothing is lost, and
 * the receiver sees the end after every sender closed. */
#include "nx_test.h"
#include "svc_test.h"

#define PER 200

static int next_expected[3], received, sender_waits, max_len, end_seen;
static nx_local_rx the_rx;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_local_tx tx;
  nx_local_send send;
  int id, i, v, rc;
} sender;

static nx_poll sender_poll(void *p, nx_cx *cx) {
  sender *s = p;
  NX_BEGIN(s);
  for (s->i = 0; s->i < PER; s->i++) {
    s->v = s->id * 100000 + s->i;
    NX_CHECK_OK(nx_local_send_init(&s->send, &s->tx, &s->v));
    s->rc = nx_local_send_poll(&s->send, cx);
    if (s->rc == NX_PENDING) {
      sender_waits++;
      NX_AWAIT(s, s->rc = nx_local_send_poll(&s->send, cx));
    }
    NX_CHECK_RC(s->rc, NX_READY);
    nx_local_send_drop(&s->send);
  }
  nx_local_tx_close(&s->tx);
  NX_END(s);
}

static void sender_drop(void *p) {
  sender *s = p;
  nx_local_send_drop(&s->send);
  nx_local_tx_close(&s->tx);
}

typedef struct {
  NX_ASYNC_FIELDS;
  nx_yield y;
  int v, rc, k;
} receiver;

static nx_poll receiver_poll(void *p, nx_cx *cx) {
  receiver *s = p;
  NX_BEGIN(s);
  for (;;) {
    if ((int)nx_local_len(&the_rx) > max_len) max_len = (int)nx_local_len(&the_rx);
    NX_AWAIT(s, s->rc = nx_local_recv_poll(&the_rx, cx, &s->v));
    if (s->rc == NX_EPIPE) break;
    NX_CHECK_RC(s->rc, NX_READY);
    {
      int id = s->v / 100000, i = s->v % 100000;
      NX_CHECK(id >= 0 && id < 3);
      NX_CHECK_EQ(i, next_expected[id]);
      next_expected[id]++;
    }
    received++;
    for (s->k = 0; s->k < 3; s->k++) { /* slow: let the senders pile up */
      nx_yield_init(&s->y);
      NX_AWAIT(s, nx_yield_poll(&s->y, cx));
    }
  }
  end_seen = 1;
  nx_local_rx_close(&the_rx);
  NX_END(s);
}

int main(void) {
  nx_test_start();
  nx_executor *ex = svc_executor();
  nx_local_tx tx;
  NX_CHECK_OK(nx_local_chan_create(2, sizeof(int), NULL, &tx, &the_rx));
  for (int id = 0; id < 3; id++) {
    sender s = {0};
    s.id = id;
    if (id < 2) NX_CHECK_OK(nx_local_tx_clone(&tx, &s.tx));
    else s.tx = tx; /* the last sender takes the original handle */
    SVC_SPAWN(ex, sender, sender_poll, sender_drop, &s);
  }
  SVC_SPAWN(ex, receiver, receiver_poll, NULL, NULL);
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  NX_CHECK_EQ(received, 3 * PER);
  for (int id = 0; id < 3; id++) NX_CHECK_EQ(next_expected[id], PER);
  NX_CHECK(sender_waits > 0);
  NX_CHECK(max_len <= 2);
  NX_CHECK_EQ(end_seen, 1);
  nx_executor_destroy(ex);
  return 0;
}

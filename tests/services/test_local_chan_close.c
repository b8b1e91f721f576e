/* Closing a local channel, both ways:
 *  - the receiver closes with values queued: each is dropped exactly once,
 *    now; a waiting sender wakes to NX_EPIPE and keeps its value (not
 *    dropped by the channel); later sends fail with NX_EPIPE;
 *  - every sender closes: the waiting receiver wakes, gets the values still
 *    queued, then NX_EPIPE; the channel is freed when the last handle goes
 *    (ASan/valgrind check that). */
#include "nx_test.h"
#include "svc_test.h"

static int send_rc = 99, recv_rcs[8], n_recv;

typedef struct {
  nx_local_send send;
  nx_local_tx tx;
  int v, inited;
} sender;

static nx_poll sender_poll(void *p, nx_cx *cx) {
  sender *s = p;
  if (!s->inited) {
    s->inited = 1;
    NX_CHECK_OK(nx_local_send_init(&s->send, &s->tx, &s->v));
  }
  int rc = nx_local_send_poll(&s->send, cx);
  if (rc == NX_PENDING) return NX_PENDING;
  send_rc = rc;
  return NX_READY;
}

static void sender_drop(void *p) {
  sender *s = p;
  nx_local_send_drop(&s->send);
  nx_local_tx_close(&s->tx);
}

typedef struct {
  nx_local_rx rx;
} receiver;

static nx_poll receiver_poll(void *p, nx_cx *cx) {
  receiver *s = p;
  for (;;) {
    int v;
    int rc = nx_local_recv_poll(&s->rx, cx, &v);
    if (rc == NX_PENDING) return NX_PENDING;
    recv_rcs[n_recv++] = rc == NX_READY ? v : rc;
    if (rc != NX_READY) return NX_READY;
  }
}

static void receiver_drop(void *p) { nx_local_rx_close(&((receiver *)p)->rx); }

int main(void) {
  nx_test_start();
  nx_executor *ex = svc_executor();
  nx_future_desc ds = NX_FUTURE(sender, sender_poll, sender_drop);
  nx_future_desc dr = NX_FUTURE(receiver, receiver_poll, receiver_drop);

  /* 1. Receiver closes. */
  nx_local_tx tx;
  nx_local_rx rx;
  NX_CHECK_OK(nx_local_chan_create(3, sizeof(int), svc_drop_int, &tx, &rx));
  for (int i = 1; i <= 3; i++) NX_CHECK_OK(nx_local_try_send(&tx, &i));
  sender s = {0};
  s.v = 4;
  NX_CHECK_OK(nx_local_tx_clone(&tx, &s.tx));
  NX_CHECK_OK(nx_spawn(ex, &ds, &s, NULL, NULL));
  NX_CHECK_EQ(nx_test_run_idle(ex), 1); /* full: it waits */
  NX_CHECK_EQ(send_rc, 99);
  nx_local_rx_close(&rx);
  NX_CHECK_EQ(svc_drops[1] + svc_drops[2] + svc_drops[3], 3);
  NX_CHECK_EQ(svc_drops[1], 1);
  NX_CHECK_EQ(nx_test_run_idle(ex), 1);
  NX_CHECK_RC(send_rc, NX_EPIPE);
  NX_CHECK_EQ(svc_drops[4], 0); /* the sender's value stayed the sender's */
  NX_CHECK_RC(nx_local_try_send(&tx, &(int){5}), NX_EPIPE);
  NX_CHECK_EQ(atomic_load(&svc_drop_total), 3);
  nx_local_tx_close(&tx);

  /* 2. Senders close. */
  receiver r;
  NX_CHECK_OK(nx_local_chan_create(4, sizeof(int), svc_drop_int, &tx, &r.rx));
  nx_local_tx tx2;
  NX_CHECK_OK(nx_local_tx_clone(&tx, &tx2));
  NX_CHECK_OK(nx_spawn(ex, &dr, &r, NULL, NULL));
  NX_CHECK_EQ(nx_test_run_idle(ex), 1); /* empty: it waits */
  NX_CHECK_EQ(n_recv, 0);
  NX_CHECK_OK(nx_local_try_send(&tx, &(int){10}));
  NX_CHECK_OK(nx_local_try_send(&tx2, &(int){11}));
  nx_local_tx_close(&tx);
  nx_local_tx_close(&tx2);
  nx_local_tx_close(&tx2); /* already empty: a no-op */
  NX_CHECK_EQ(nx_test_run_idle(ex), 1);
  NX_CHECK_EQ(n_recv, 3);
  NX_CHECK_EQ(recv_rcs[0], 10);
  NX_CHECK_EQ(recv_rcs[1], 11);
  NX_CHECK_RC(recv_rcs[2], NX_EPIPE);
  NX_CHECK_EQ(atomic_load(&svc_drop_total), 3); /* received values are not dropped */
  nx_executor_destroy(ex);
  return 0;
}

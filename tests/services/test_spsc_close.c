/* Closing an spsc channel: the receiver's close drops what is queued, once,
 * and wakes a sender waiting for room with NX_EPIPE (its value stays its
 * own); the sender's close lets the receiver drain, then NX_EPIPE. Misuse is
 * reported. */
#include "nx_test.h"
#include "svc_test.h"

static int send_rc = 99;

typedef struct {
  nx_spsc_tx tx;
  nx_spsc_send send;
  int v, inited;
} sender;

static nx_poll sender_poll(void *p, nx_cx *cx) {
  sender *s = p;
  if (!s->inited) {
    s->inited = 1;
    NX_CHECK_OK(nx_spsc_send_init(&s->send, &s->tx, &s->v));
  }
  int rc = nx_spsc_send_poll(&s->send, cx);
  if (rc == NX_PENDING) return NX_PENDING;
  send_rc = rc;
  return NX_READY;
}

static void sender_drop(void *p) { nx_spsc_send_drop(&((sender *)p)->send); }

int main(void) {
  nx_test_start();
  nx_executor *ex = svc_executor();
  nx_spsc_tx tx;
  nx_spsc_rx rx;
  int v;

  NX_CHECK_OK(nx_spsc_create(2, sizeof(int), svc_drop_int, &tx, &rx));
  NX_CHECK_OK(nx_spsc_try_send(&tx, &(int){1}));
  NX_CHECK_OK(nx_spsc_try_send(&tx, &(int){2}));
  NX_CHECK_RC(nx_spsc_try_send(&tx, &(int){3}), NX_EAGAIN);
  sender s = {0};
  s.tx = tx;
  s.v = 3;
  nx_future_desc d = NX_FUTURE(sender, sender_poll, sender_drop);
  NX_CHECK_OK(nx_spawn(ex, &d, &s, NULL, NULL));
  NX_CHECK_EQ(nx_test_run_idle(ex), 1);
  NX_CHECK_EQ(send_rc, 99);
  nx_spsc_rx_close(&rx);
  NX_CHECK_EQ(svc_drops[1], 1);
  NX_CHECK_EQ(svc_drops[2], 1);
  nx_test_run_idle(ex);
  NX_CHECK_RC(send_rc, NX_EPIPE);
  NX_CHECK_EQ(svc_drops[3], 0);
  NX_CHECK_RC(nx_spsc_try_send(&tx, &(int){4}), NX_EPIPE);
  nx_spsc_tx_close(&tx);
  NX_CHECK_EQ(atomic_load(&svc_drop_total), 2);

  NX_CHECK_OK(nx_spsc_create(4, sizeof(int), svc_drop_int, &tx, &rx));
  NX_CHECK_OK(nx_spsc_try_send(&tx, &(int){10}));
  NX_CHECK_OK(nx_spsc_try_send(&tx, &(int){11}));
  NX_CHECK_OK(nx_spsc_try_send(&tx, &(int){12}));
  NX_CHECK_OK(nx_spsc_try_recv(&rx, &v));
  NX_CHECK_EQ(v, 10);
  nx_spsc_tx_close(&tx);
  NX_CHECK_OK(nx_spsc_try_recv(&rx, &v));
  NX_CHECK_EQ(v, 11);
  nx_spsc_rx_close(&rx); /* 12 is still queued: dropped once */
  NX_CHECK_EQ(svc_drops[12], 1);
  NX_CHECK_EQ(atomic_load(&svc_drop_total), 3);

  nx_spsc_tx etx = {0};
  nx_spsc_rx erx = {0};
  NX_CHECK_RC(nx_spsc_create(0, 4, NULL, &tx, &rx), NX_EINVAL);
  NX_CHECK_RC(nx_spsc_try_send(&etx, &v), NX_EINVAL);
  NX_CHECK_RC(nx_spsc_try_recv(&erx, &v), NX_EINVAL);
  NX_CHECK_RC(nx_spsc_recv_poll(&erx, NULL, &v), NX_EINVAL);
  nx_spsc_send ss;
  NX_CHECK_RC(nx_spsc_send_init(&ss, &etx, &v), NX_EINVAL);
  NX_CHECK_RC(nx_spsc_send_poll(&ss, NULL), NX_EINVAL);
  nx_spsc_send_drop(&ss);
  nx_spsc_tx_close(&etx);
  nx_spsc_rx_close(&erx);
  nx_executor_destroy(ex);
  return 0;
}

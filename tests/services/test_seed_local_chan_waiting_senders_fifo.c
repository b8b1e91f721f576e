/* SPEC 9.16 (seed: the local channel does not pass a wake on to the next
 * sender when the woken Send future is dropped). Waiting senders are served
 * in arrival order: a slot freed by the receiver is promised to the first
 * waiting sender (a try_send cannot take it); if that sender is dropped
 * before it sends, the promise passes to the next one, which completes. */
#include "nx_test.h"
#include "svc_test.h"

static int done_order[4], n_done;

typedef struct {
  nx_local_tx tx;
  nx_local_send send;
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
  NX_CHECK_RC(rc, NX_READY);
  done_order[n_done++] = s->v;
  return NX_READY;
}

static void sender_drop(void *p) {
  sender *s = p;
  nx_local_send_drop(&s->send);
  nx_local_tx_close(&s->tx);
}

int main(void) {
  nx_test_start();
  nx_executor *ex = svc_executor();
  nx_local_tx tx;
  nx_local_rx rx;
  NX_CHECK_OK(nx_local_chan_create(1, sizeof(int), NULL, &tx, &rx));
  NX_CHECK_OK(nx_local_try_send(&tx, &(int){0})); /* full */
  nx_future_desc d = NX_FUTURE(sender, sender_poll, sender_drop);
  nx_task_id ids[4];
  for (int i = 1; i <= 3; i++) {
    sender s = {0};
    s.v = i;
    NX_CHECK_OK(nx_local_tx_clone(&tx, &s.tx));
    NX_CHECK_OK(nx_spawn(ex, &d, &s, &ids[i], NULL));
  }
  NX_CHECK_EQ(nx_test_run_idle(ex), 3); /* all three wait, in order 1, 2, 3 */
  int v;
  NX_CHECK_OK(nx_local_try_recv(&rx, &v));
  NX_CHECK_EQ(v, 0);
  /* The freed slot is promised to sender 1: nobody else can take it. */
  NX_CHECK_RC(nx_local_try_send(&tx, &(int){99}), NX_EAGAIN);
  /* Sender 1 is dropped before it uses the promise: it passes to sender 2. */
  NX_CHECK_OK(nx_cancel(ex, ids[1]));
  nx_test_run_idle(ex);
  NX_CHECK_EQ(n_done, 1);
  NX_CHECK_EQ(done_order[0], 2);
  NX_CHECK_OK(nx_local_try_recv(&rx, &v));
  NX_CHECK_EQ(v, 2);
  nx_test_run_idle(ex);
  NX_CHECK_OK(nx_local_try_recv(&rx, &v));
  NX_CHECK_EQ(v, 3);
  NX_CHECK_EQ(n_done, 2);
  NX_CHECK_EQ(done_order[1], 3);
  NX_CHECK_RC(nx_local_try_recv(&rx, &v), NX_EAGAIN); /* main's tx is open */
  nx_local_tx_close(&tx);
  NX_CHECK_RC(nx_local_try_recv(&rx, &v), NX_EPIPE);
  nx_local_rx_close(&rx);
  nx_executor_destroy(ex);
  return 0;
}

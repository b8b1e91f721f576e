/* Closing an mpsc channel:
 *  - the receiver closes with values queued: each is dropped once, now; a
 *    send future waiting for room wakes to NX_EPIPE with its value still its
 *    own; try_send then fails with NX_EPIPE;
 *  - the senders close: the receiver gets what is queued, then NX_EPIPE;
 *  - waiting senders are served first come, first served, and a woken
 *    sender that is dropped passes the wake on (SPEC 9.16: the seed's list
 *    was LIFO and re-pushed unwoken nodes). */
#include "nx_test.h"
#include "svc_test.h"

static int results[8], n_results;

typedef struct {
  nx_mpsc_tx tx;
  nx_mpsc_send send;
  int v, inited;
} sender;

static nx_poll sender_poll(void *p, nx_cx *cx) {
  sender *s = p;
  if (!s->inited) {
    s->inited = 1;
    NX_CHECK_OK(nx_mpsc_send_init(&s->send, &s->tx, &s->v));
  }
  int rc = nx_mpsc_send_poll(&s->send, cx);
  if (rc == NX_PENDING) return NX_PENDING;
  results[n_results++] = rc == NX_READY ? s->v : rc;
  return NX_READY;
}

static void sender_drop(void *p) {
  sender *s = p;
  nx_mpsc_send_drop(&s->send);
  nx_mpsc_tx_close(&s->tx);
}

int main(void) {
  nx_test_start();
  nx_executor *ex = svc_executor();
  nx_future_desc d = NX_FUTURE(sender, sender_poll, sender_drop);
  nx_mpsc_tx tx;
  nx_mpsc_rx rx;
  int v;

  /* 1. Receiver closes. */
  NX_CHECK_OK(nx_mpsc_create(2, sizeof(int), svc_drop_int, &tx, &rx));
  NX_CHECK_OK(nx_mpsc_try_send(&tx, &(int){1}));
  NX_CHECK_OK(nx_mpsc_try_send(&tx, &(int){2}));
  NX_CHECK_RC(nx_mpsc_try_send(&tx, &(int){3}), NX_EAGAIN);
  sender s = {0};
  s.v = 3;
  NX_CHECK_OK(nx_mpsc_tx_clone(&tx, &s.tx));
  NX_CHECK_OK(nx_spawn(ex, &d, &s, NULL, NULL));
  NX_CHECK_EQ(nx_test_run_idle(ex), 1);
  NX_CHECK_EQ(n_results, 0);
  nx_mpsc_rx_close(&rx);
  NX_CHECK_EQ(svc_drops[1], 1);
  NX_CHECK_EQ(svc_drops[2], 1);
  nx_test_run_idle(ex);
  NX_CHECK_EQ(n_results, 1);
  NX_CHECK_RC(results[0], NX_EPIPE);
  NX_CHECK_EQ(svc_drops[3], 0);
  NX_CHECK_RC(nx_mpsc_try_send(&tx, &(int){4}), NX_EPIPE);
  nx_mpsc_tx_close(&tx);
  NX_CHECK_EQ(atomic_load(&svc_drop_total), 2);

  /* 2. Senders close. */
  NX_CHECK_OK(nx_mpsc_create(4, sizeof(int), svc_drop_int, &tx, &rx));
  nx_mpsc_tx tx2;
  NX_CHECK_OK(nx_mpsc_tx_clone(&tx, &tx2));
  NX_CHECK_OK(nx_mpsc_try_send(&tx, &(int){10}));
  NX_CHECK_OK(nx_mpsc_try_send(&tx2, &(int){11}));
  nx_mpsc_tx_close(&tx);
  NX_CHECK_RC(nx_mpsc_try_recv(&rx, &v), NX_OK);
  NX_CHECK_EQ(v, 10);
  nx_mpsc_tx_close(&tx2);
  NX_CHECK_RC(nx_mpsc_try_recv(&rx, &v), NX_OK);
  NX_CHECK_EQ(v, 11);
  NX_CHECK_RC(nx_mpsc_try_recv(&rx, &v), NX_EPIPE);
  nx_mpsc_rx_close(&rx);
  NX_CHECK_EQ(atomic_load(&svc_drop_total), 2);

  /* 3. FIFO among waiting senders; a dropped woken sender passes it on. */
  n_results = 0;
  NX_CHECK_OK(nx_mpsc_create(1, sizeof(int), NULL, &tx, &rx));
  NX_CHECK_OK(nx_mpsc_try_send(&tx, &(int){100}));
  nx_task_id ids[4];
  for (int i = 1; i <= 3; i++) {
    sender w = {0};
    w.v = 100 + i;
    NX_CHECK_OK(nx_mpsc_tx_clone(&tx, &w.tx));
    NX_CHECK_OK(nx_spawn(ex, &d, &w, &ids[i], NULL));
  }
  NX_CHECK_EQ(nx_test_run_idle(ex), 3);
  NX_CHECK_OK(nx_mpsc_try_recv(&rx, &v)); /* wakes sender 1 */
  NX_CHECK_EQ(v, 100);
  NX_CHECK_OK(nx_cancel(ex, ids[1]));     /* ... which is dropped: sender 2 */
  nx_test_run_idle(ex);
  NX_CHECK_EQ(n_results, 1);
  NX_CHECK_EQ(results[0], 102);
  NX_CHECK_OK(nx_mpsc_try_recv(&rx, &v));
  NX_CHECK_EQ(v, 102);
  nx_test_run_idle(ex);
  NX_CHECK_OK(nx_mpsc_try_recv(&rx, &v));
  NX_CHECK_EQ(v, 103);
  NX_CHECK_EQ(n_results, 2);
  nx_mpsc_tx_close(&tx);
  NX_CHECK_RC(nx_mpsc_try_recv(&rx, &v), NX_EPIPE);
  nx_mpsc_rx_close(&rx);

  /* Misuse. */
  nx_mpsc_tx etx = {0};
  nx_mpsc_rx erx = {0};
  NX_CHECK_RC(nx_mpsc_create(0, 4, NULL, &tx, &rx), NX_EINVAL);
  NX_CHECK_RC(nx_mpsc_create((size_t)1 << 31, 4, NULL, &tx, &rx), NX_EINVAL);
  NX_CHECK_RC(nx_mpsc_create(4, 65537, NULL, &tx, &rx), NX_EINVAL);
  NX_CHECK_RC(nx_mpsc_create(4, 4, NULL, NULL, &rx), NX_EINVAL);
  NX_CHECK_RC(nx_mpsc_try_send(&etx, &v), NX_EINVAL);
  NX_CHECK_RC(nx_mpsc_try_recv(&erx, &v), NX_EINVAL);
  NX_CHECK_RC(nx_mpsc_recv_poll(&erx, NULL, &v), NX_EINVAL);
  NX_CHECK_RC(nx_mpsc_tx_clone(&etx, &tx), NX_EINVAL);
  nx_mpsc_send ms;
  NX_CHECK_RC(nx_mpsc_send_init(&ms, &etx, &v), NX_EINVAL);
  NX_CHECK_RC(nx_mpsc_send_poll(&ms, NULL), NX_EINVAL);
  nx_mpsc_send_drop(&ms);
  nx_mpsc_tx_close(&etx);
  nx_mpsc_rx_close(&erx);
  nx_executor_destroy(ex);
  return 0;
}

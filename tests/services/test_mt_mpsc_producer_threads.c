/* Four plain threads push 20000 values each with nx_mpsc_try_send into a
 * channel of 8; the receiver is a task on a parked executor. Every value
 * arrives once, each producer's in its order, and after the producers close
 * their senders the receiver sees NX_EPIPE. */
#include "nx_test.h"
#include "svc_test.h"

#define PRODUCERS 4
#define PER 20000

static nx_mpsc_tx txs[PRODUCERS];
static nx_mpsc_rx rx;
static int next_expected[PRODUCERS], received, end_seen, fulls;

static void *producer(void *arg) {
  int id = (int)(intptr_t)arg;
  int local_fulls = 0;
  for (int i = 0; i < PER; i++) {
    int v = id * 1000000 + i, rc;
    while ((rc = nx_mpsc_try_send(&txs[id], &v)) == NX_EAGAIN) {
      local_fulls++;
      sched_yield();
    }
    NX_CHECK_OK(rc);
  }
  nx_mpsc_tx_close(&txs[id]);
  __atomic_fetch_add(&fulls, local_fulls, __ATOMIC_RELAXED);
  return NULL;
}

static nx_poll receiver_poll(void *p, nx_cx *cx) {
  (void)p;
  for (;;) {
    int v;
    int rc = nx_mpsc_recv_poll(&rx, cx, &v);
    if (rc == NX_PENDING) return NX_PENDING;
    if (rc == NX_EPIPE) {
      end_seen = 1;
      return NX_READY;
    }
    NX_CHECK_RC(rc, NX_READY);
    int id = v / 1000000, i = v % 1000000;
    NX_CHECK(id >= 0 && id < PRODUCERS);
    NX_CHECK_EQ(i, next_expected[id]);
    next_expected[id]++;
    received++;
  }
}

int main(void) {
  nx_test_start();
  NX_CHECK_OK(nx_mpsc_create(8, sizeof(int), NULL, &txs[0], &rx));
  for (int i = 1; i < PRODUCERS; i++) NX_CHECK_OK(nx_mpsc_tx_clone(&txs[0], &txs[i]));
  nx_executor *ex = svc_executor();
  nx_future_desc d = {receiver_poll, NULL, 0, 0, 0};
  NX_CHECK_OK(nx_spawn(ex, &d, NULL, NULL, NULL));
  pthread_t th[PRODUCERS];
  for (int i = 0; i < PRODUCERS; i++)
    NX_CHECK(pthread_create(&th[i], NULL, producer, (void *)(intptr_t)i) == 0);
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  for (int i = 0; i < PRODUCERS; i++) pthread_join(th[i], NULL);
  NX_CHECK_EQ(received, PRODUCERS * PER);
  NX_CHECK_EQ(end_seen, 1);
  for (int i = 0; i < PRODUCERS; i++) NX_CHECK_EQ(next_expected[i], PER);
  nx_mpsc_rx_close(&rx);
  nx_executor_destroy(ex);
  return 0;
}

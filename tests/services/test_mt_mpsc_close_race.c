/* Closing the receiver while three producer threads keep sending: every
 * value a send accepted (NX_OK) is either received or dropped by the
 * channel, exactly once; sends after the close fail with NX_EPIPE and the
 * value stays the sender's. 300 rounds, the close at a different point in
 * each. */
#include "nx_test.h"
#include "svc_test.h"

#define PRODUCERS 3
#define PER 300
#define ROUNDS 300

static nx_mpsc_tx txs[PRODUCERS];
static int accepted[PRODUCERS * PER], received[PRODUCERS * PER];
static atomic_int go;

static void *producer(void *arg) {
  int id = (int)(intptr_t)arg;
  while (!atomic_load(&go)) sched_yield();
  for (int i = 0; i < PER; i++) {
    int v = id * PER + i, rc;
    while ((rc = nx_mpsc_try_send(&txs[id], &v)) == NX_EAGAIN) sched_yield();
    if (rc == NX_OK) accepted[v] = 1;
    else NX_CHECK_RC(rc, NX_EPIPE);
  }
  nx_mpsc_tx_close(&txs[id]);
  return NULL;
}

int main(void) {
  nx_test_start();
  for (int round = 0; round < ROUNDS; round++) {
    memset(accepted, 0, sizeof accepted);
    memset(received, 0, sizeof received);
    memset(svc_drops, 0, sizeof(int) * PRODUCERS * PER);
    nx_mpsc_rx rx;
    NX_CHECK_OK(nx_mpsc_create(4, sizeof(int), svc_drop_int, &txs[0], &rx));
    for (int i = 1; i < PRODUCERS; i++) NX_CHECK_OK(nx_mpsc_tx_clone(&txs[0], &txs[i]));
    atomic_store(&go, 0);
    pthread_t th[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++)
      NX_CHECK(pthread_create(&th[i], NULL, producer, (void *)(intptr_t)i) == 0);
    atomic_store(&go, 1);
    int take = round % (PRODUCERS * PER / 2);
    for (int n = 0; n < take;) {
      int v, rc = nx_mpsc_try_recv(&rx, &v);
      if (rc == NX_EAGAIN) {
        sched_yield();
        continue;
      }
      if (rc == NX_EPIPE) break;
      NX_CHECK_OK(rc);
      received[v]++;
      n++;
    }
    nx_mpsc_rx_close(&rx); /* drops what is queued; later pushes: at the end */
    for (int i = 0; i < PRODUCERS; i++) pthread_join(th[i], NULL);
    for (int v = 0; v < PRODUCERS * PER; v++) {
      if (accepted[v]) NX_CHECK_EQ(received[v] + svc_drops[v], 1);
      else NX_CHECK_EQ(received[v] + svc_drops[v], 0);
    }
  }
  return 0;
}

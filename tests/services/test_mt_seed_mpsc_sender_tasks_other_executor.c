/* SPEC 9.5 (seed: wakers are not thread-aware, so an mpsc receiver on one
 * runtime thread waking a sender task that waits on another thread pushes
 * it into the wrong thread's queue). Here three sender tasks on executor B
 * (thread 2) wait for room in a channel of 2 whose receiver is a task on
 * executor A (this thread); A's receiver wakes them across threads. All
 * 3 x 5000 values arrive, each sender's in order; both executors park. */
#include "nx_test.h"
#include "svc_test.h"

#define SENDERS 3
#define PER 5000

static nx_mpsc_tx txs[SENDERS];
static nx_mpsc_rx rx;
static int next_expected[SENDERS], received, end_seen;
static atomic_int waits;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_mpsc_send send;
  int id, i, v, rc;
} sender;

static nx_poll sender_poll(void *p, nx_cx *cx) {
  sender *s = p;
  NX_BEGIN(s);
  for (s->i = 0; s->i < PER; s->i++) {
    s->v = s->id * 1000000 + s->i;
    NX_CHECK_OK(nx_mpsc_send_init(&s->send, &txs[s->id], &s->v));
    s->rc = nx_mpsc_send_poll(&s->send, cx);
    if (s->rc == NX_PENDING) {
      atomic_fetch_add(&waits, 1);
      NX_AWAIT(s, s->rc = nx_mpsc_send_poll(&s->send, cx));
    }
    NX_CHECK_RC(s->rc, NX_READY);
    nx_mpsc_send_drop(&s->send);
  }
  nx_mpsc_tx_close(&txs[s->id]);
  NX_END(s);
}

static void sender_drop(void *p) { nx_mpsc_send_drop(&((sender *)p)->send); }

static void *executor_b(void *arg) {
  (void)arg;
  nx_executor *b = svc_executor();
  for (int id = 0; id < SENDERS; id++) {
    sender s = {0};
    s.id = id;
    SVC_SPAWN(b, sender, sender_poll, sender_drop, &s);
  }
  NX_CHECK_OK(nx_run(b, NX_RUN_PARKED));
  nx_executor_destroy(b);
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
    NX_CHECK_EQ(i, next_expected[id]);
    next_expected[id]++;
    received++;
  }
}

int main(void) {
  nx_test_start();
  NX_CHECK_OK(nx_mpsc_create(2, sizeof(int), NULL, &txs[0], &rx));
  for (int i = 1; i < SENDERS; i++) NX_CHECK_OK(nx_mpsc_tx_clone(&txs[0], &txs[i]));
  nx_executor *a = svc_executor();
  nx_future_desc d = {receiver_poll, NULL, 0, 0, 0};
  NX_CHECK_OK(nx_spawn(a, &d, NULL, NULL, NULL));
  pthread_t th;
  NX_CHECK(pthread_create(&th, NULL, executor_b, NULL) == 0);
  NX_CHECK_OK(nx_run(a, NX_RUN_PARKED));
  pthread_join(th, NULL);
  NX_CHECK_EQ(received, SENDERS * PER);
  NX_CHECK_EQ(end_seen, 1);
  NX_CHECK(atomic_load(&waits) > 0); /* senders really waited for room */
  nx_mpsc_rx_close(&rx);
  nx_executor_destroy(a);
  return 0;
}

/* SPEC 9.6 (seed: `loop { timeout(10 s, rx.recv()) }` leaves one wheel entry
 * and one waker clone per iteration until each 10 s deadline, so at a few
 * thousand messages a second the u16 refcount overflows). Here each
 * iteration's timeout unregisters when the value wins: after 20000
 * iterations at most one timer is registered, and the receiving task's
 * storage is freed as soon as it completes. */
#include "nx_test.h"
#include "svc_test.h"
#include "timer.h"

#define N 20000

static int max_timers, received;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_local_rx rx;
  nx_timeout to;
  int v, rc, i;
} receiver;

static nx_poll receiver_poll(void *p, nx_cx *cx) {
  receiver *s = p;
  nx_executor *ex = nx_cx_executor(cx);
  NX_BEGIN(s);
  for (s->i = 0; s->i < N; s->i++) {
    NX_CHECK_OK(nx_timeout_init(&s->to, ex, 10LL * 1000000000));
    NX_AWAIT(s, s->rc = nx_timeout_poll(&s->to, cx, nx_local_recv_poll(&s->rx, cx, &s->v)));
    NX_CHECK_RC(s->rc, NX_READY);
    NX_CHECK_EQ(s->v, s->i);
    received++;
    if ((int)nx__timer_count(ex) > max_timers) max_timers = (int)nx__timer_count(ex);
  }
  nx_local_rx_close(&s->rx);
  NX_END(s);
}

static void receiver_drop(void *p) {
  receiver *s = p;
  nx_timeout_drop(&s->to);
  nx_local_rx_close(&s->rx);
}

typedef struct {
  NX_ASYNC_FIELDS;
  nx_local_tx tx;
  nx_yield y;
  int i;
} sender;

static nx_poll sender_poll(void *p, nx_cx *cx) {
  sender *s = p;
  NX_BEGIN(s);
  for (s->i = 0; s->i < N; s->i++) {
    NX_CHECK_OK(nx_local_try_send(&s->tx, &s->i));
    nx_yield_init(&s->y); /* let the receiver wait (and register) each time */
    NX_AWAIT(s, nx_yield_poll(&s->y, cx));
    nx_yield_init(&s->y);
    NX_AWAIT(s, nx_yield_poll(&s->y, cx));
  }
  nx_local_tx_close(&s->tx);
  NX_END(s);
}

static void sender_drop(void *p) { nx_local_tx_close(&((sender *)p)->tx); }

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator a = nx_test_counting_allocator(&st);
  nx_executor *ex = nx_test_executor(0, 0, &a, NULL);
  receiver r = {0};
  sender s = {0};
  NX_CHECK_OK(nx_local_chan_create(1, sizeof(int), NULL, &s.tx, &r.rx));
  SVC_SPAWN(ex, receiver, receiver_poll, receiver_drop, &r);
  SVC_SPAWN(ex, sender, sender_poll, sender_drop, &s);
  NX_CHECK_OK(nx_run(ex, NX_RUN_BUSY));
  NX_CHECK_EQ(received, N);
  NX_CHECK(max_timers <= 1);
  NX_CHECK_EQ_U(nx__timer_count(ex), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  NX_CHECK_EQ_U(st.frees, st.allocs);
  nx_executor_destroy(ex);
  return 0;
}

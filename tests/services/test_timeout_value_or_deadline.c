/* A timeout returns the inner future's result when it comes first (even if
 * the deadline has passed by then: the inner result is checked first), and
 * NX_ETIMEDOUT, never before the deadline, when it does not. */
#include "nx_test.h"
#include "svc_test.h"

static int rc_first = 99, rc_second = 99, rc_third = 99, v_first, v_third;
static int64_t deadline_second, at_second;
static nx_local_tx extra_tx; /* keeps the channel's send side open */

typedef struct {
  NX_ASYNC_FIELDS;
  nx_local_rx rx;
  nx_timeout to;
  int v;
} receiver;

static nx_poll receiver_poll(void *p, nx_cx *cx) {
  receiver *s = p;
  nx_executor *ex = nx_cx_executor(cx);
  NX_BEGIN(s);
  /* 1. The value arrives (the sender task sends it) well before 10 s. */
  NX_CHECK_OK(nx_timeout_init(&s->to, ex, 10LL * 1000000000));
  NX_AWAIT(s, rc_first = nx_timeout_poll(&s->to, cx, nx_local_recv_poll(&s->rx, cx, &s->v)));
  v_first = s->v;
  /* 2. Nothing arrives: the 5 ms deadline wins. */
  NX_CHECK_OK(nx_timeout_init(&s->to, ex, 5000000));
  deadline_second = nx_sleep_deadline(&s->to.sleep_);
  NX_AWAIT(s, rc_second = nx_timeout_poll(&s->to, cx, nx_local_recv_poll(&s->rx, cx, &s->v)));
  at_second = nx_now_ns();
  /* 3. A value is queued and the deadline is already past: the value wins. */
  NX_CHECK_OK(nx_timeout_init_until(&s->to, ex, nx_now_ns() - 1));
  NX_CHECK_OK(nx_local_try_send(&extra_tx, &(int){77}));
  NX_AWAIT(s, rc_third = nx_timeout_poll(&s->to, cx, nx_local_recv_poll(&s->rx, cx, &s->v)));
  v_third = s->v;
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
} sender;

static nx_poll sender_poll(void *p, nx_cx *cx) {
  sender *s = p;
  NX_BEGIN(s);
  nx_yield_init(&s->y);
  NX_AWAIT(s, nx_yield_poll(&s->y, cx));
  NX_CHECK_OK(nx_local_try_send(&s->tx, &(int){42}));
  NX_END(s);
}

static void sender_drop(void *p) { nx_local_tx_close(&((sender *)p)->tx); }

int main(void) {
  nx_test_start();
  nx_executor *ex = svc_executor();
  receiver r = {0};
  sender s = {0};
  NX_CHECK_OK(nx_local_chan_create(4, sizeof(int), NULL, &s.tx, &r.rx));
  NX_CHECK_OK(nx_local_tx_clone(&s.tx, &extra_tx));
  SVC_SPAWN(ex, receiver, receiver_poll, receiver_drop, &r);
  SVC_SPAWN(ex, sender, sender_poll, sender_drop, &s);
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  NX_CHECK_RC(rc_first, NX_READY);
  NX_CHECK_EQ(v_first, 42);
  NX_CHECK_RC(rc_second, NX_ETIMEDOUT);
  NX_CHECK(at_second >= deadline_second);
  NX_CHECK_RC(rc_third, NX_READY);
  NX_CHECK_EQ(v_third, 77);
  nx_local_tx_close(&extra_tx);
  nx_executor_destroy(ex);
  return 0;
}

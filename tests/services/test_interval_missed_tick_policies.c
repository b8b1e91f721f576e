/* Missed ticks, made deterministic by starting the schedule 10.5 periods in
 * the past (period 1 s, so no new tick comes due during the test):
 *   burst: 11 ticks are reported back to back, then it waits for start + 11p;
 *   skip:  one tick, then it waits for start + 11p (the next grid point);
 *   delay: one tick, then it waits for (time of that tick) + p. */
#include "nx_test.h"
#include "svc_test.h"

#define P 1000000000LL

static int ready_count;
static int64_t start, next_after, reported_at, pending_seen;

typedef struct {
  nx_interval iv;
  int policy;
  int done;
} st;

static nx_poll st_poll(void *p, nx_cx *cx) {
  st *s = p;
  for (;;) {
    int64_t now = nx_now_ns();
    int rc = nx_interval_tick_poll(&s->iv, cx);
    if (rc == NX_PENDING) {
      pending_seen = 1;
      next_after = nx_interval_next_ns(&s->iv);
      return NX_READY; /* stop at the first wait */
    }
    NX_CHECK_RC(rc, NX_READY);
    reported_at = now;
    ready_count++;
  }
}

static void st_drop(void *p) { nx_interval_drop(&((st *)p)->iv); }

static void run(nx_missed_tick policy, int want_ready) {
  nx_executor *ex = svc_executor();
  st s;
  start = nx_now_ns() - 10 * P - P / 2;
  NX_CHECK_OK(nx_interval_init_at(&s.iv, ex, start, P));
  NX_CHECK_OK(nx_interval_set_missed_tick(&s.iv, policy));
  ready_count = 0;
  pending_seen = 0;
  nx_future_desc d = NX_FUTURE(st, st_poll, st_drop);
  NX_CHECK_OK(nx_block_on(ex, NX_RUN_BUSY, &d, &s, NULL, 0));
  NX_CHECK_EQ(pending_seen, 1);
  NX_CHECK_EQ(ready_count, want_ready);
  if (policy == NX_TICK_DELAY) {
    NX_CHECK(next_after >= reported_at + P);
    NX_CHECK(next_after <= nx_now_ns() + P);
  } else {
    NX_CHECK_EQ(next_after, start + 11 * P);
  }
  nx_executor_destroy(ex);
}

int main(void) {
  nx_test_start();
  run(NX_TICK_BURST, 11);
  run(NX_TICK_SKIP, 1);
  run(NX_TICK_DELAY, 1);
  return 0;
}

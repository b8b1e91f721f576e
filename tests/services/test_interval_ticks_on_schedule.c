/* An interval reports one tick per period, never before the tick's time, on
 * the start + k*period grid (burst policy, nothing missed); the first tick
 * is one period after init; reset restarts the grid from now. */
#include "nx_test.h"
#include "svc_test.h"

#define P 2000000 /* 2 ms */

static int ticks, early, off_grid;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_interval iv;
  int64_t start, expect;
  int i, rc;
} ticker;

static nx_poll ticker_poll(void *p, nx_cx *cx) {
  ticker *s = p;
  NX_BEGIN(s);
  s->start = nx_now_ns();
  NX_CHECK_OK(nx_interval_init(&s->iv, nx_cx_executor(cx), P));
  NX_CHECK(nx_interval_next_ns(&s->iv) >= s->start + P);
  s->expect = nx_interval_next_ns(&s->iv);
  for (s->i = 0; s->i < 5; s->i++) {
    NX_AWAIT(s, s->rc = nx_interval_tick_poll(&s->iv, cx));
    NX_CHECK_RC(s->rc, NX_READY);
    if (nx_now_ns() < s->expect) early++;
    /* Next tick: one period later on the grid (or later if ticks were
     * missed while this machine was busy; then it stays on the grid). */
    if ((nx_interval_next_ns(&s->iv) - s->expect) % P != 0) off_grid++;
    s->expect = nx_interval_next_ns(&s->iv);
    ticks++;
  }
  NX_CHECK_OK(nx_interval_reset(&s->iv));
  NX_CHECK(nx_interval_next_ns(&s->iv) > nx_now_ns());
  s->expect = nx_interval_next_ns(&s->iv);
  NX_AWAIT(s, s->rc = nx_interval_tick_poll(&s->iv, cx));
  if (nx_now_ns() < s->expect) early++;
  ticks++;
  NX_END(s);
}

static void ticker_drop(void *p) { nx_interval_drop(&((ticker *)p)->iv); }

int main(void) {
  nx_test_start();
  nx_executor *ex = svc_executor();
  nx_future_desc d = NX_FUTURE(ticker, ticker_poll, ticker_drop);
  NX_CHECK_OK(nx_block_on(ex, NX_RUN_PARKED, &d, NULL, NULL, 0));
  NX_CHECK_EQ(ticks, 6);
  NX_CHECK_EQ(early, 0);
  NX_CHECK_EQ(off_grid, 0);

  nx_interval iv;
  NX_CHECK_RC(nx_interval_init(&iv, ex, 0), NX_EINVAL);
  NX_CHECK_RC(nx_interval_init(&iv, ex, -5), NX_EINVAL);
  NX_CHECK_RC(nx_interval_init(NULL, ex, 5), NX_EINVAL);
  NX_CHECK_RC(nx_interval_init(&iv, NULL, 5), NX_EINVAL);
  NX_CHECK_RC(nx_interval_reset(&iv), NX_EINVAL);
  NX_CHECK_RC(nx_interval_tick_poll(&iv, NULL), NX_EINVAL);
  NX_CHECK_OK(nx_interval_init(&iv, ex, 5));
  NX_CHECK_RC(nx_interval_set_missed_tick(&iv, (nx_missed_tick)7), NX_EINVAL);
  NX_CHECK_RC(nx_interval_set_missed_tick(NULL, NX_TICK_SKIP), NX_EINVAL);
  nx_interval_drop(&iv);
  nx_interval_drop(NULL);
  nx_executor_destroy(ex);
  return 0;
}

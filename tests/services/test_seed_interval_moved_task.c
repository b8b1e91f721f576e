/* SPEC 9.7, last sentence (seed: an Interval keeps the Sleep it registered,
 * with the first task's waker, across dropped tick() futures, so when
 * another task awaits it that task is never woken). Here task A awaits a
 * tick of a shared interval and is cancelled while waiting; task B then
 * awaits the same interval and is woken for the tick. */
#include "nx_test.h"
#include "svc_test.h"

static nx_interval shared;
static int a_polls, b_ticks;

static nx_poll a_poll(void *p, nx_cx *cx) {
  (void)p;
  a_polls++;
  NX_CHECK_RC(nx_interval_tick_poll(&shared, cx), NX_PENDING);
  return NX_PENDING;
}

static nx_poll b_poll(void *p, nx_cx *cx) {
  (void)p;
  int rc = nx_interval_tick_poll(&shared, cx);
  if (rc == NX_PENDING) return NX_PENDING;
  NX_CHECK_RC(rc, NX_READY);
  b_ticks++;
  return NX_READY;
}

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator al = nx_test_counting_allocator(&st);
  nx_executor *ex = nx_test_executor(0, 0, &al, NULL);
  /* Long enough that A surely polls before the first tick, even on a
   * loaded machine under a sanitizer. */
  NX_CHECK_OK(nx_interval_init(&shared, ex, 500000000)); /* 500 ms */
  nx_future_desc da = {a_poll, NULL, 0, 0, 0}, db = {b_poll, NULL, 0, 0, 0};
  nx_task_id a;
  NX_CHECK_OK(nx_spawn(ex, &da, NULL, &a, NULL));
  NX_CHECK_EQ(nx_test_run_idle(ex), 1);
  NX_CHECK_EQ(a_polls, 1);
  NX_CHECK_OK(nx_cancel(ex, a)); /* A's drop does not touch the interval */
  NX_CHECK_OK(nx_spawn(ex, &db, NULL, NULL, NULL));
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED)); /* returns only if B is woken */
  NX_CHECK_EQ(b_ticks, 1);
  NX_CHECK_EQ(a_polls, 1);
  /* B's poll replaced A's waker: A's storage was freed then, not kept. */
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  nx_interval_drop(&shared);
  nx_executor_destroy(ex);
  NX_CHECK_EQ_U(st.frees, st.allocs);
  return 0;
}

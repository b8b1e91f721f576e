/* The counters mean what nxrt.h says, at every point, not only eventually:
 *  - nx_run_once "Returns the number of polls made";
 *  - nx_executor_allocated_tasks is "live tasks plus completed ones still
 *    referenced by wakers or join handles (zombies)".
 * So a task that woke itself and then completed, or a queued task that was
 * cancelled, and that nothing references, is not counted as allocated once
 * nx_run_once / nx_cancel / nx_run has returned, and a later cycle that only
 * discards its stale queue entry reports 0 polls. */
#include "nx_test.h"

static nx_poll wake_then_ready(void *s, nx_cx *cx) {
  (void)s;
  nx_cx_wake(cx);
  return NX_READY;
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_future_desc d = {wake_then_ready, NULL, 0, 0, 0};

  /* Self-wake then complete. */
  NX_CHECK_OK(nx_spawn(ex, &d, NULL, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  NX_CHECK_EQ(nx_run_once(ex), 0);

  /* nx_run returns with nothing live: nothing allocated either. */
  NX_CHECK_OK(nx_spawn(ex, &d, NULL, NULL, NULL));
  NX_CHECK_OK(nx_run(ex, NX_RUN_BUSY));
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  NX_CHECK_EQ(nx_run_once(ex), 0);

  /* A queued task cancelled before its first poll. */
  nx_probe p = {0};
  nx_task_id id;
  NX_CHECK_OK(nx_probe_spawn(ex, 0, &p, 1, 0, 0, &id, NULL));
  NX_CHECK_OK(nx_cancel(ex, id));
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  NX_CHECK_EQ(nx_run_once(ex), 0);
  NX_CHECK_EQ(p.polls, 0);
  nx_executor_destroy(ex);
  return 0;
}

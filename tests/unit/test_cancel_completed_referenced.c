/* Cancelling a task that already completed but whose storage is still held
 * (by a join handle or a waker clone) is NX_EALREADY: nothing happens, the
 * output stays available, drop_fn does not run again. */
#include "nx_test.h"

typedef struct { int v; } out_fut;
static int drops;
static nx_poll out_poll(void *s, nx_cx *cx) {
  *(int *)nx_cx_output(cx) = ((out_fut *)s)->v;
  return NX_READY;
}
static void out_drop(void *s) {
  (void)s;
  drops++;
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);

  /* Held by a join handle. */
  nx_future_desc d = NX_FUTURE_OUT(out_fut, out_poll, out_drop, int);
  out_fut f = {77};
  nx_task_id id;
  nx_join j;
  NX_CHECK_OK(nx_spawn(ex, &d, &f, &id, &j));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(drops, 1);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);
  NX_CHECK_RC(nx_cancel(ex, id), NX_EALREADY);
  NX_CHECK_RC(nx_cancel(ex, id), NX_EALREADY);
  NX_CHECK_EQ(drops, 1);
  int out = 0;
  NX_CHECK_RC(nx_join_try(&j, &out, sizeof out), NX_READY); /* not turned into ECANCELED */
  NX_CHECK_EQ(out, 77);
  NX_CHECK_RC(nx_cancel(ex, id), NX_ESTALE); /* now freed */

  /* Held by a waker clone. */
  nx_probe p = {0};
  NX_CHECK_OK(nx_probe_spawn(ex, 0, &p, 1, 0, 1, &id, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_RC(nx_cancel(ex, id), NX_EALREADY);
  NX_CHECK_EQ(p.drops, 1);
  nx_waker_drop(&p.waker);
  NX_CHECK_RC(nx_cancel(ex, id), NX_ESTALE);

  /* Cancelled, then cancelled again while a clone keeps it: EALREADY. */
  nx_probe q = {0};
  NX_CHECK_OK(nx_probe_spawn(ex, 0, &q, 0, 0, 1, &id, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_OK(nx_cancel(ex, id));
  NX_CHECK_RC(nx_cancel(ex, id), NX_EALREADY);
  NX_CHECK_EQ(q.drops, 1);
  nx_waker_drop(&q.waker);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  nx_executor_destroy(ex);
  return 0;
}

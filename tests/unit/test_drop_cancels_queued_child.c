/* A drop function that calls back into the executor ("when I end, cancel my
 * child"). The parent completes in a cycle and its drop function cancels a
 * child queued behind it in the same cycle: the child is dropped once, never
 * polled, its slot freed, and the cycle polls exactly what it counted and
 * reads no ready-queue entry past the tail (this crashed: with no task being
 * polled, the cancel reaped queue entries the running cycle had already
 * counted). The same from the drop function run by a top-level nx_cancel and
 * by nx_executor_shutdown. In every case the drop function's attempts to
 * re-enter the run loop are refused (NX_EBUSY; NX_ESHUTDOWN during shutdown)
 * and nx_executor_destroy from it does nothing. */
#include "nx_test.h"

typedef struct {
  nx_executor *ex;
  nx_task_id child;
  int ready;                 /* the parent's poll returns READY */
  int drops;
  int cancel_rc, run_once_rc, run_rc, block_on_rc, shutdown_rc;
} parent_ctl;

typedef struct { parent_ctl *ctl; } parent_fut;

static nx_poll parent_poll(void *s, nx_cx *cx) {
  (void)cx;
  return ((parent_fut *)s)->ctl->ready ? NX_READY : NX_PENDING;
}

static nx_poll noop_poll(void *s, nx_cx *cx) {
  (void)s;
  (void)cx;
  return NX_READY;
}

static void parent_drop(void *s) {
  parent_ctl *c = ((parent_fut *)s)->ctl;
  nx_future_desc d = {noop_poll, NULL, 0, 0, 0};
  c->drops++;
  c->cancel_rc = nx_cancel(c->ex, c->child);
  c->run_once_rc = nx_run_once(c->ex);
  c->run_rc = nx_run(c->ex, NX_RUN_BUSY);
  c->block_on_rc = nx_block_on(c->ex, NX_RUN_BUSY, &d, NULL, NULL, 0);
  c->shutdown_rc = nx_executor_shutdown(c->ex);
  nx_executor_destroy(c->ex); /* refused: does nothing */
}

enum how { BY_COMPLETION, BY_CANCEL, BY_SHUTDOWN };

static void scenario(enum how how, int fillers_before, int fillers_after) {
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_executor *ex = nx_test_executor(0, 0, &counting, NULL);
  parent_ctl ctl = {ex, 0, 0, 0, 1, 1, 1, 1, 1};
  nx_probe child = {0}, fill[16] = {{0}};

  /* The child first (its id goes into the parent), pending with its waker
   * held, so it can be queued again behind the parent. */
  NX_CHECK_OK(nx_probe_spawn(ex, 0, &child, 0, 0, 1, &ctl.child, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  for (int i = 0; i < fillers_before; i++)
    NX_CHECK_OK(nx_probe_spawn(ex, 0, &fill[i], 1, 0, 0, NULL, NULL));
  nx_task_id parent_id;
  parent_fut pf = {&ctl};
  nx_future_desc pd = NX_FUTURE(parent_fut, parent_poll, parent_drop);
  NX_CHECK_OK(nx_spawn(ex, &pd, &pf, &parent_id, NULL));
  if (how != BY_COMPLETION) NX_CHECK_EQ(nx_run_once(ex), fillers_before + 1);
  ctl.ready = how == BY_COMPLETION;
  nx_waker_wake_by_ref(&child.waker); /* queued behind the parent */
  for (int i = 0; i < fillers_after; i++)
    NX_CHECK_OK(nx_probe_spawn(ex, 0, &fill[fillers_before + i], 1, 0, 0, NULL, NULL));

  int expect_run = NX_EBUSY, expect_cancel = NX_OK, expect_shutdown = NX_EBUSY;
  if (how == BY_COMPLETION) {
    /* parent, (fillers_before ahead of it), child (stale: no poll), after */
    NX_CHECK_EQ(nx_run_once(ex), fillers_before + 1 + fillers_after);
  } else if (how == BY_CANCEL) {
    NX_CHECK_OK(nx_cancel(ex, parent_id));
    NX_CHECK_EQ(nx_run_once(ex), fillers_after);
  } else {
    expect_run = NX_ESHUTDOWN;
    expect_cancel = NX_ESHUTDOWN;
    NX_CHECK_OK(nx_executor_shutdown(ex));
  }
  NX_CHECK_EQ(ctl.drops, 1);
  NX_CHECK_RC(ctl.cancel_rc, expect_cancel);
  NX_CHECK_RC(ctl.run_once_rc, expect_run);
  NX_CHECK_RC(ctl.run_rc, expect_run);
  NX_CHECK_RC(ctl.block_on_rc, expect_run);
  NX_CHECK_RC(ctl.shutdown_rc, expect_shutdown);
  NX_CHECK_EQ(child.drops, 1);
  NX_CHECK_EQ(child.polls, 1); /* only the first poll */
  for (int i = 0; i < fillers_before + fillers_after; i++) {
    NX_CHECK_EQ(fill[i].polls, i < fillers_before || how != BY_SHUTDOWN ? 1 : 0);
    NX_CHECK_EQ(fill[i].drops, 1);
  }
  nx_waker_drop(&child.waker);
  if (how != BY_SHUTDOWN) {
    NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
    nx_test_run_idle(ex);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  }
  nx_executor_destroy(ex);
  NX_CHECK_EQ_U(st.allocs, st.frees);
}

int main(void) {
  nx_test_start();
  for (int how = BY_COMPLETION; how <= BY_SHUTDOWN; how++)
    for (int before = 0; before <= 2; before++)
      for (int after = 0; after <= 3; after++) scenario((enum how)how, before, after);
  return 0;
}

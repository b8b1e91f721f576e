/* nx_block_on runs the root future to completion and copies its output;
 * tasks the root spawned keep running meanwhile and stay alive afterwards
 * (nx_run finishes them later). A root cancelled (here: by itself) makes
 * nx_block_on return NX_ECANCELED. */
#include "nx_test.h"

static nx_probe child_pending, child_done;
static nx_task_id pending_id;

typedef struct { NX_ASYNC_FIELDS; int steps; } root_fut;
static nx_poll root_poll(void *p, nx_cx *cx) {
  root_fut *s = p;
  NX_BEGIN(s);
  /* One child that completes while the root still runs, one that waits. */
  if (nx_probe_spawn(nx_cx_executor(cx), 0, &child_done, 2, 1, 0, NULL, NULL) != NX_OK ||
      nx_probe_spawn(nx_cx_executor(cx), 0, &child_pending, 2, 0, 1, &pending_id, NULL) != NX_OK)
    nx_test_fail(__FILE__, __LINE__, "spawn from root");
  for (s->steps = 0; s->steps < 5; s->steps++) NX_YIELD(s, cx);
  *(int64_t *)nx_cx_output(cx) = 4242;
  NX_END(s);
}

static int self_cancel_rc = 1;
static nx_poll self_cancel_poll(void *p, nx_cx *cx) {
  (void)p;
  self_cancel_rc = nx_cancel(nx_cx_executor(cx), nx_cx_task_id(cx));
  return NX_PENDING;
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_future_desc rd = NX_FUTURE_OUT(root_fut, root_poll, NULL, int64_t);
  int64_t out = 0;
  NX_CHECK_OK(nx_block_on(ex, NX_RUN_BUSY, &rd, NULL, &out, sizeof out));
  NX_CHECK_EQ(out, 4242);
  NX_CHECK_EQ(child_done.readies, 1);
  NX_CHECK_EQ(child_pending.polls, 1);
  NX_CHECK_EQ(child_pending.drops, 0);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 1); /* the waiting child stays */
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);

  /* It runs on afterwards. */
  nx_waker_wake(&child_pending.waker);
  NX_CHECK_OK(nx_run(ex, NX_RUN_BUSY));
  NX_CHECK_EQ(child_pending.readies, 1);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);

  /* Parked mode; and a root without output, out NULL. */
  memset(&child_done, 0, sizeof child_done);
  memset(&child_pending, 0, sizeof child_pending);
  out = 0;
  NX_CHECK_OK(nx_block_on(ex, NX_RUN_PARKED, &rd, NULL, &out, sizeof out));
  NX_CHECK_EQ(out, 4242);
  NX_CHECK_OK(nx_cancel(ex, pending_id));
  nx_waker_drop(&child_pending.waker);
  nx_future_desc nd = {nx_probe_poll, nx_probe_drop, sizeof(nx_probe_fut), 8, 0};
  nx_probe rp = {0};
  nx_probe_fut rf = {&rp, 3, 1, 0};
  NX_CHECK_OK(nx_block_on(ex, NX_RUN_PARKED, &nd, &rf, NULL, 0));
  NX_CHECK_EQ(rp.polls, 3);
  NX_CHECK_EQ(rp.drops, 1);

  /* A root that cancels itself. */
  nx_future_desc cd = {self_cancel_poll, NULL, 0, 0, 8};
  NX_CHECK_RC(nx_block_on(ex, NX_RUN_BUSY, &cd, NULL, &out, sizeof out), NX_ECANCELED);
  NX_CHECK_RC(self_cancel_rc, NX_OK);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);

  /* A bad mode is refused before anything is spawned. */
  NX_CHECK_RC(nx_block_on(ex, (nx_run_mode)9, &nd, &rf, NULL, 0), NX_EINVAL);
  NX_CHECK_RC(nx_run(ex, (nx_run_mode)9), NX_EINVAL);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  nx_executor_destroy(ex);
  return 0;
}

/* Re-entering the run loop from inside a poll is refused with NX_EBUSY:
 * nx_run_once, nx_run, nx_block_on and nx_executor_shutdown called by a
 * polled future. The executor is unharmed and runs on afterwards; spawning
 * and cancelling from inside a poll are allowed. */
#include "nx_test.h"

static int rc_run_once = 1, rc_run = 1, rc_block_on = 1, rc_shutdown = 1, rc_spawn = 1;
static int inner_polls;

static nx_poll inner_poll(void *s, nx_cx *cx) {
  (void)s;
  (void)cx;
  inner_polls++;
  return NX_READY;
}

static nx_poll reentrant_poll(void *s, nx_cx *cx) {
  (void)s;
  nx_executor *ex = nx_cx_executor(cx);
  nx_future_desc d = {inner_poll, NULL, 0, 0, 0};
  rc_run_once = nx_run_once(ex);
  rc_run = nx_run(ex, NX_RUN_BUSY);
  rc_block_on = nx_block_on(ex, NX_RUN_BUSY, &d, NULL, NULL, 0);
  rc_shutdown = nx_executor_shutdown(ex);
  rc_spawn = nx_spawn(ex, &d, NULL, NULL, NULL);
  return NX_READY;
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_future_desc d = {reentrant_poll, NULL, 0, 0, 0};
  NX_CHECK_OK(nx_spawn(ex, &d, NULL, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_RC(rc_run_once, NX_EBUSY);
  NX_CHECK_RC(rc_run, NX_EBUSY);
  NX_CHECK_RC(rc_block_on, NX_EBUSY);
  NX_CHECK_RC(rc_shutdown, NX_EBUSY);
  NX_CHECK_RC(rc_spawn, NX_OK);
  NX_CHECK_EQ(inner_polls, 0); /* block_on spawned nothing */
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 1);
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(inner_polls, 1);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  nx_executor_destroy(ex);
  return 0;
}

/* A task that returns NX_PENDING without arranging a wake stays alive and is
 * not polled again until something wakes it; then it runs to completion. */
#include "nx_test.h"

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_probe p = {0};
  /* Ready on its 2nd poll; clones its waker on the 1st so the test can wake it. */
  NX_CHECK_OK(nx_probe_spawn(ex, 0, &p, 2, 0, 1, NULL, NULL));

  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(p.polls, 1);
  NX_CHECK(p.waker.task != NULL);
  for (int i = 0; i < 5; i++) NX_CHECK_EQ(nx_run_once(ex), 0);
  NX_CHECK_EQ(p.polls, 1);
  NX_CHECK_EQ(p.drops, 0);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 1);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);

  nx_waker_wake(&p.waker);
  NX_CHECK(p.waker.task == NULL); /* wake consumes */
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(p.polls, 2);
  NX_CHECK_EQ(p.readies, 1);
  NX_CHECK_EQ(p.drops, 1);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  nx_executor_destroy(ex);
  return 0;
}

/* Waking a task that already completed is a no-op: it is not polled, its
 * drop_fn does not run again, nothing else is disturbed (a task spawned
 * meanwhile runs exactly as asked). Via wake, wake_by_ref and clones. */
#include "nx_test.h"

int main(void) {
  nx_test_start();
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  sc.capacity = 2;
  nx_executor *ex = nx_test_executor(0, 0, NULL, &sc);
  nx_probe nexts[2] = {{0}}; /* outlive the loop: dropped at destroy */
  for (int slab = 0; slab <= 1; slab++) {
    nx_probe done = {0};
    NX_CHECK_OK(nx_probe_spawn(ex, slab, &done, 1, 0, 1, NULL, NULL));
    NX_CHECK_EQ(nx_run_once(ex), 1);
    NX_CHECK_EQ(done.readies, 1);
    nx_probe *next = &nexts[slab];
    NX_CHECK_OK(nx_probe_spawn(ex, slab, next, 0, 0, 1, NULL, NULL));
    NX_CHECK_EQ(nx_run_once(ex), 1);
    for (int i = 0; i < 10; i++) {
      nx_waker_wake_by_ref(&done.waker);
      nx_waker extra;
      NX_CHECK_OK(nx_waker_clone(&done.waker, &extra));
      nx_waker_wake(&extra);
      NX_CHECK_EQ(nx_run_once(ex), 0);
    }
    NX_CHECK_EQ(done.polls, 1);
    NX_CHECK_EQ(done.drops, 1);
    NX_CHECK_EQ(next->polls, 1);
    nx_waker_wake(&done.waker);
    NX_CHECK_EQ(nx_run_once(ex), 0);
    NX_CHECK_EQ(done.polls, 1);
    NX_CHECK_EQ(next->polls, 1);
    nx_waker_drop(&next->waker);
  }
  nx_executor_destroy(ex);
  NX_CHECK_EQ(nexts[0].drops, 1);
  NX_CHECK_EQ(nexts[1].drops, 1);
  return 0;
}

/* Seed defect 8 (SPEC §9.8b,d): teardown with wakers still held. A clone of
 * a completed task ("zombie") and a clone of a task that was live at
 * destroy survive nx_executor_destroy: the slots stay allocated until the
 * clones go; waking them afterwards is a no-op; dropping the last one frees
 * the slot and the executor's remaining memory (ASan/valgrind: no leak, no
 * use-after-free). */
#include "nx_test.h"

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);

  /* Variant 1: release by wake then drop; variant 2: by wake (consuming);
   * variant 3: by drop only. */
  for (int variant = 1; variant <= 3; variant++) {
    nx_executor *ex = nx_test_executor(0, 0, &counting, NULL);
    nx_probe zombie = {0}, live = {0};
    NX_CHECK_OK(nx_probe_spawn(ex, 0, &zombie, 1, 0, 1, NULL, NULL)); /* done, clone kept */
    NX_CHECK_OK(nx_probe_spawn(ex, 0, &live, 0, 0, 1, NULL, NULL));   /* pending, clone kept */
    NX_CHECK_EQ(nx_run_once(ex), 2);
    NX_CHECK_EQ(zombie.drops, 1);
    NX_CHECK_EQ(live.drops, 0);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 2);
    size_t frees_before = st.frees;

    nx_executor_destroy(ex);
    NX_CHECK_EQ(live.drops, 1);            /* its future dropped at teardown */
    NX_CHECK_EQ(zombie.drops, 1);
    NX_CHECK_EQ_U(st.frees, frees_before); /* both slots still referenced */

    switch (variant) {
      case 1:
        nx_waker_wake_by_ref(&zombie.waker);
        nx_waker_wake_by_ref(&live.waker);
        nx_waker_drop(&zombie.waker);
        NX_CHECK_EQ_U(st.frees, frees_before + 1);
        nx_waker_drop(&live.waker);
        break;
      case 2:
        nx_waker_wake(&live.waker);
        NX_CHECK_EQ_U(st.frees, frees_before + 1);
        nx_waker_wake(&zombie.waker);
        break;
      default: {
        nx_waker extra;
        NX_CHECK_OK(nx_waker_clone(&zombie.waker, &extra)); /* cloning after destroy */
        nx_waker_drop(&zombie.waker);
        nx_waker_drop(&live.waker);
        NX_CHECK_EQ_U(st.frees, frees_before + 1);
        nx_waker_drop(&extra);
        break;
      }
    }
    NX_CHECK_EQ_U(st.frees, frees_before + 2);
    NX_CHECK_EQ(zombie.polls, 1);
    NX_CHECK_EQ(live.polls, 1);
    NX_CHECK_EQ(zombie.drops, 1);
    NX_CHECK_EQ(live.drops, 1);
  }
  NX_CHECK_EQ_U(st.allocs, st.frees);
  NX_CHECK_EQ_U(st.live_bytes, 0);
  NX_CHECK_EQ_U(st.bad_free_args, 0);
  return 0;
}

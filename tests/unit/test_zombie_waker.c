/* A task completes while a clone of its waker is held elsewhere (a
 * "zombie"): its future is dropped at once, its slot stays allocated until
 * the clone goes; waking the clone is a no-op (the task is not polled
 * again); dropping it frees the slot. Malloc and slab storage. */
#include "nx_test.h"

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  nx_executor *ex = nx_test_executor(0, 0, &counting, &sc);
  nx_slab *slab = nx_executor_slab(ex);

  for (int use_slab = 0; use_slab <= 1; use_slab++) {
    nx_probe p = {0};
    /* Clones its waker on the first poll and is ready on that same poll. */
    NX_CHECK_OK(nx_probe_spawn(ex, use_slab, &p, 1, 0, 1, NULL, NULL));
    NX_CHECK_EQ(nx_run_once(ex), 1);
    NX_CHECK_EQ(p.polls, 1);
    NX_CHECK_EQ(p.drops, 1);
    NX_CHECK(p.waker.task != NULL);
    NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);
    NX_CHECK_EQ_U(nx_slab_in_use(slab), (size_t)use_slab);
    NX_CHECK_EQ_U(st.allocs - st.frees, (size_t)!use_slab);

    /* Wake by reference: no-op, nothing queued, nothing polled. */
    nx_waker_wake_by_ref(&p.waker);
    NX_CHECK_EQ(nx_run_once(ex), 0);
    NX_CHECK_EQ(p.polls, 1);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);

    /* A second clone, then wake (consumes): still a no-op, one ref left. */
    nx_waker second;
    NX_CHECK_OK(nx_waker_clone(&p.waker, &second));
    nx_waker_wake(&second);
    NX_CHECK(second.task == NULL);
    NX_CHECK_EQ(nx_run_once(ex), 0);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);

    /* Wake the last clone: the slot goes with it. */
    nx_waker_wake(&p.waker);
    NX_CHECK(p.waker.task == NULL);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
    NX_CHECK_EQ_U(nx_slab_in_use(slab), 0);
    NX_CHECK_EQ_U(st.allocs, st.frees);
    NX_CHECK_EQ(nx_run_once(ex), 0);
    NX_CHECK_EQ(p.polls, 1);
    NX_CHECK_EQ(p.drops, 1);

    /* Same, released by nx_waker_drop. */
    nx_probe q = {0};
    NX_CHECK_OK(nx_probe_spawn(ex, use_slab, &q, 1, 0, 1, NULL, NULL));
    NX_CHECK_EQ(nx_run_once(ex), 1);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);
    nx_waker_drop(&q.waker);
    NX_CHECK(q.waker.task == NULL);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
    NX_CHECK_EQ_U(nx_slab_in_use(slab), 0);
    NX_CHECK_EQ(q.drops, 1);
  }
  nx_executor_destroy(ex);
  NX_CHECK_EQ_U(st.allocs, st.frees);
  NX_CHECK_EQ_U(st.live_bytes, 0);
  return 0;
}

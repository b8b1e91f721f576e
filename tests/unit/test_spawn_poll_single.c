/* One spawned task is queued, polled exactly once by the next cycle, and its
 * storage is freed when it completes. */
#include "nx_test.h"

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_executor *ex = nx_test_executor(0, 0, &counting, NULL);
  nx_probe p = {0};
  nx_task_id id = NX_TASK_ID_NONE;

  NX_CHECK_OK(nx_probe_spawn(ex, 0, &p, 1, 0, 0, &id, NULL));
  NX_CHECK(id != NX_TASK_ID_NONE);
  /* Spawning queues; it does not poll. */
  NX_CHECK_EQ(p.polls, 0);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 1);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);
  NX_CHECK_EQ_U(st.allocs, 1);

  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(p.polls, 1);
  NX_CHECK_EQ(p.readies, 1);
  NX_CHECK_EQ(p.drops, 1); /* drop_fn also runs after NX_READY */
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  NX_CHECK_EQ_U(st.frees, 1);
  NX_CHECK_EQ_U(st.live_bytes, 0);
  NX_CHECK_EQ_U(st.bad_free_args, 0);

  /* Nothing left: the next cycle polls nothing. */
  NX_CHECK_EQ(nx_run_once(ex), 0);
  NX_CHECK_EQ(p.polls, 1);
  nx_executor_destroy(ex);
  NX_CHECK_EQ_U(st.allocs, 1);
  return 0;
}

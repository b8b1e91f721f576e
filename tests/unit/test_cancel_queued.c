/* Cancelling a task that is queued (spawned or woken, not yet polled) drops
 * its future now, it is never polled, and its slot is freed; cancelling a
 * pending task that waits on a held waker drops it too, and the late wake
 * of that waker is a no-op. */
#include "nx_test.h"

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  nx_executor *ex = nx_test_executor(0, 0, &counting, &sc);

  for (int slab = 0; slab <= 1; slab++) {
    /* Queued since spawn. */
    nx_probe p = {0}, other = {0};
    nx_task_id id, other_id;
    nx_join j;
    nx_probe_fut pf = {&p, 1, 0, 0};
    nx_future_desc d = nx_probe_desc();
    NX_CHECK_OK(slab ? nx_spawn_slab(ex, &d, &pf, &id, &j) : nx_spawn(ex, &d, &pf, &id, &j));
    NX_CHECK_OK(nx_probe_spawn(ex, slab, &other, 1, 0, 0, &other_id, NULL));
    NX_CHECK_OK(nx_cancel(ex, id));
    NX_CHECK_EQ(p.drops, 1);
    NX_CHECK_EQ(p.polls, 0);
    NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 1);
    NX_CHECK_RC(nx_join_try(&j, NULL, 0), NX_ECANCELED);
    nx_test_run_idle(ex);
    NX_CHECK_EQ(p.polls, 0);              /* never polled */
    NX_CHECK_EQ(other.polls, 1);          /* its neighbour in the queue is */
    NX_CHECK_EQ(other.readies, 1);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
    NX_CHECK_RC(nx_cancel(ex, id), NX_ESTALE);

    /* Queued by a wake after a first poll. */
    nx_probe w = {0};
    NX_CHECK_OK(nx_probe_spawn(ex, slab, &w, 0, 0, 1, &id, NULL));
    NX_CHECK_EQ(nx_run_once(ex), 1);
    nx_waker_wake_by_ref(&w.waker);       /* queued again */
    NX_CHECK_OK(nx_cancel(ex, id));
    NX_CHECK_EQ(w.drops, 1);
    nx_test_run_idle(ex);
    NX_CHECK_EQ(w.polls, 1);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1); /* the clone holds it */
    nx_waker_wake(&w.waker);              /* late wake: no-op, frees */
    NX_CHECK_EQ(nx_run_once(ex), 0);
    NX_CHECK_EQ(w.polls, 1);

    /* Pending, not queued, waker held: dropped now, late wake a no-op. */
    nx_probe q = {0};
    NX_CHECK_OK(nx_probe_spawn(ex, slab, &q, 0, 0, 1, &id, NULL));
    NX_CHECK_EQ(nx_run_once(ex), 1);
    NX_CHECK_OK(nx_cancel(ex, id));
    NX_CHECK_EQ(q.drops, 1);
    NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
    nx_waker_wake(&q.waker);
    NX_CHECK_EQ(nx_run_once(ex), 0);
    NX_CHECK_EQ(q.polls, 1);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
    NX_CHECK_EQ_U(nx_slab_in_use(nx_executor_slab(ex)), 0);
  }
  nx_executor_destroy(ex);
  NX_CHECK_EQ_U(st.allocs, st.frees);
  NX_CHECK_EQ_U(st.live_bytes, 0);
  return 0;
}

/* Waker reference counting: every clone holds the task's storage; wake
 * consumes the clone (it becomes empty), wake_by_ref does not, drop releases
 * it. The slot of a completed task goes exactly when the last clone goes.
 * nx_waker_will_wake tells clones of one task from another's. */
#include "nx_test.h"

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_executor *ex = nx_test_executor(0, 0, &counting, NULL);

  nx_probe p = {0}, other = {0};
  /* Pending on poll 1 (clones its waker), ready on poll 3. */
  NX_CHECK_OK(nx_probe_spawn(ex, 0, &p, 3, 0, 1, NULL, NULL));
  NX_CHECK_OK(nx_probe_spawn(ex, 0, &other, 0, 0, 1, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 2);

  nx_waker a = p.waker, b, c, d;
  NX_CHECK_OK(nx_waker_clone(&a, &b));
  NX_CHECK_OK(nx_waker_clone(&b, &c));
  NX_CHECK_OK(nx_waker_clone(&c, &d));
  NX_CHECK(a.task != NULL && a.task == b.task && b.task == c.task && c.task == d.task);
  NX_CHECK_EQ(nx_waker_will_wake(&a, &d), 1);
  NX_CHECK_EQ(nx_waker_will_wake(&a, &other.waker), 0);
  NX_CHECK_EQ(nx_waker_will_wake(NULL, &a), 0);
  NX_CHECK_EQ(nx_waker_will_wake(&a, NULL), 0);

  /* wake_by_ref: the clone stays usable. */
  nx_waker_wake_by_ref(&b);
  NX_CHECK(b.task != NULL);
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(p.polls, 2);
  /* wake: consumes. */
  nx_waker_wake(&b);
  NX_CHECK(b.task == NULL);
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(p.polls, 3);
  NX_CHECK_EQ(p.readies, 1);
  NX_CHECK_EQ(p.drops, 1);
  /* Completed with a, c, d outstanding. */
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 1);      /* `other` */
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 2);
  size_t frees = st.frees;
  nx_waker_drop(&c);
  NX_CHECK(c.task == NULL);
  NX_CHECK_EQ_U(st.frees, frees);
  nx_waker_wake(&a);
  NX_CHECK_EQ_U(st.frees, frees);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 2);
  nx_waker_drop(&d);                                  /* the last one */
  NX_CHECK_EQ_U(st.frees, frees + 1);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);
  NX_CHECK_EQ(p.polls, 3);

  /* A clone of a live task keeps nothing alive beyond completion. */
  nx_waker o2;
  NX_CHECK_OK(nx_waker_clone(&other.waker, &o2));
  nx_waker_drop(&other.waker);
  nx_waker_drop(&o2);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 1);
  NX_CHECK_EQ(other.drops, 0);
  nx_executor_destroy(ex);
  NX_CHECK_EQ(other.drops, 1);
  NX_CHECK_EQ_U(st.allocs, st.frees);
  return 0;
}

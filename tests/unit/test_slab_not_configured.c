/* nx_spawn_slab and nx_reserve(NX_RESERVE_SLAB) on an executor created
 * without a slab config are NX_EINVAL (nothing allocated, nothing written);
 * nx_executor_slab() is NULL there. */
#include "nx_test.h"

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_executor *ex = nx_test_executor(0, 0, &counting, NULL);
  NX_CHECK(nx_executor_slab(ex) == NULL);
  nx_probe p = {0};
  nx_task_id id = 3;
  nx_join j = {NULL};
  NX_CHECK_RC(nx_probe_spawn(ex, 1, &p, 1, 0, 0, &id, &j), NX_EINVAL);
  NX_CHECK_EQ_U(id, 3);
  NX_CHECK(j.task == NULL);
  nx_future_desc d = nx_probe_desc();
  nx_reservation r;
  NX_CHECK_RC(nx_reserve(ex, NX_RESERVE_SLAB, &d, &r), NX_EINVAL);
  NX_CHECK(r.task == NULL);
  NX_CHECK_EQ_U(st.allocs, 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  NX_CHECK_EQ(nx_run_once(ex), 0);
  NX_CHECK_EQ(p.polls, 0);
  /* The allocator path works. */
  NX_CHECK_OK(nx_probe_spawn(ex, 0, &p, 1, 0, 0, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(p.readies, 1);
  nx_executor_destroy(ex);
  return 0;
}

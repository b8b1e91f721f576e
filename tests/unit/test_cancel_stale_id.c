/* Seed defect 13 (SPEC §9.13): the seed's TaskId was a bare pointer, so
 * cancelling a finished task whose slab slot was reused cancelled the new
 * task. Here ids carry a generation: with a bounded slab of ONE slot, the
 * second task reuses the first one's storage and id-table slot, and
 * cancelling the old id is NX_ESTALE and leaves the new task untouched. */
#include "nx_test.h"

int main(void) {
  nx_test_start();
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  sc.capacity = 1;
  nx_executor *ex = nx_test_executor(0, 0, NULL, &sc);

  nx_probe a = {0};
  nx_task_id a_id = NX_TASK_ID_NONE;
  NX_CHECK_OK(nx_probe_spawn(ex, 1, &a, 1, 0, 0, &a_id, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(a.readies, 1);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  /* A is gone: its id is stale already. */
  NX_CHECK_RC(nx_cancel(ex, a_id), NX_ESTALE);

  nx_probe b = {0};
  nx_task_id b_id = NX_TASK_ID_NONE;
  NX_CHECK_OK(nx_probe_spawn(ex, 1, &b, 2, 0, 1, &b_id, NULL)); /* waits for its clone */
  NX_CHECK_EQ_U(nx_slab_in_use(nx_executor_slab(ex)), 1);       /* the one slot, reused */
  /* Same id-table slot (low 32 bits), new generation (high 32 bits). */
  NX_CHECK_EQ_U((uint32_t)b_id, (uint32_t)a_id);
  NX_CHECK((b_id >> 32) != (a_id >> 32));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(b.polls, 1);

  NX_CHECK_RC(nx_cancel(ex, a_id), NX_ESTALE);
  NX_CHECK_EQ(b.drops, 0);                       /* B untouched */
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 1);
  nx_waker_wake(&b.waker);
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(b.polls, 2);
  NX_CHECK_EQ(b.readies, 1);                     /* B completed normally */
  NX_CHECK_EQ(b.drops, 1);
  NX_CHECK_RC(nx_cancel(ex, b_id), NX_ESTALE);

  /* Ids that never named a task: 0, an unused slot, a wrong generation. */
  NX_CHECK_RC(nx_cancel(ex, NX_TASK_ID_NONE), NX_ESTALE);
  NX_CHECK_RC(nx_cancel(ex, ((nx_task_id)1 << 32) | 777), NX_ESTALE);
  NX_CHECK_RC(nx_cancel(ex, UINT64_MAX), NX_ESTALE);
  NX_CHECK_RC(nx_cancel(ex, (b_id + ((nx_task_id)100 << 32))), NX_ESTALE);

  /* Many generations through one slot: every old id stays stale. */
  nx_task_id old[100];
  for (int i = 0; i < 100; i++) {
    nx_probe p = {0};
    NX_CHECK_OK(nx_probe_spawn(ex, 1, &p, 1, 0, 0, &old[i], NULL));
    NX_CHECK_EQ(nx_run_once(ex), 1);
    for (int k = 0; k <= i; k++) NX_CHECK_RC(nx_cancel(ex, old[k]), NX_ESTALE);
  }
  nx_probe live = {0};
  nx_task_id live_id;
  NX_CHECK_OK(nx_probe_spawn(ex, 1, &live, 0, 0, 0, &live_id, NULL));
  for (int k = 0; k < 100; k++) NX_CHECK_RC(nx_cancel(ex, old[k]), NX_ESTALE);
  NX_CHECK_EQ(live.drops, 0);
  NX_CHECK_OK(nx_cancel(ex, live_id));
  NX_CHECK_EQ(live.drops, 1);
  NX_CHECK_EQ(live.polls, 0);
  nx_executor_destroy(ex);
  return 0;
}

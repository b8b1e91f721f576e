/* Seed defect 1 (SPEC §9.1): alignments the task layout cannot honour are
 * refused with NX_EALIGN before anything is allocated: 128 (larger than 64)
 * and non-powers of two, through every spawn path. */
#include "nx_test.h"

static int polls;
static nx_poll any_poll(void *s, nx_cx *cx) {
  (void)s;
  (void)cx;
  polls++;
  return NX_READY;
}

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  nx_executor *ex = nx_test_executor(0, 0, &counting, &sc);
  const size_t bad[] = {128, 256, 4096, 3, 24, 48, 65, 96, (size_t)1 << 40};

  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    nx_future_desc d = {any_poll, NULL, 16, bad[k], 0};
    nx_task_id id = 12345;
    nx_join j = {(nx_task *)&j};
    NX_CHECK_RC(nx_spawn(ex, &d, NULL, &id, &j), NX_EALIGN);
    NX_CHECK_EQ_U(id, 12345);        /* left unset */
    NX_CHECK(j.task == (nx_task *)&j);
    NX_CHECK_RC(nx_spawn_slab(ex, &d, NULL, &id, &j), NX_EALIGN);
    NX_CHECK_EQ_U(id, 12345);
    NX_CHECK(j.task == (nx_task *)&j);
    nx_reservation r;
    NX_CHECK_RC(nx_reserve(ex, 0, &d, &r), NX_EALIGN);
    NX_CHECK(r.task == NULL);
    NX_CHECK_RC(nx_reserve(ex, NX_RESERVE_SLAB | NX_RESERVE_JOINABLE, &d, &r), NX_EALIGN);
    NX_CHECK(r.task == NULL);
    NX_CHECK_RC(nx_block_on(ex, NX_RUN_BUSY, &d, NULL, NULL, 0), NX_EALIGN);
  }
  NX_CHECK_EQ_U(st.allocs, 0);
  NX_CHECK_EQ_U(nx_slab_in_use(nx_executor_slab(ex)), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
  NX_CHECK_EQ(nx_run_once(ex), 0);
  NX_CHECK_EQ(polls, 0);

  /* The executor is unharmed: 64 still works. */
  nx_future_desc ok = {any_poll, NULL, 16, 64, 0};
  NX_CHECK_OK(nx_spawn(ex, &ok, NULL, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(polls, 1);
  nx_executor_destroy(ex);
  return 0;
}

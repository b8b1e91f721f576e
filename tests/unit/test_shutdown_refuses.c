/* After nx_executor_shutdown the executor is dead: spawn, reserve, run,
 * block_on and cancel return NX_ESHUTDOWN and allocate nothing; shutdown
 * again is a no-op NX_OK; a held waker woken or dropped afterwards is a
 * no-op (the task is not polled) and its drop frees the slot. Shutdown from
 * inside a poll is NX_EBUSY. */
#include "nx_test.h"

static nx_executor *g_ex;
static int inner_rc = 1;
static nx_poll shutdown_inside_poll(void *s, nx_cx *cx) {
  (void)s;
  (void)cx;
  inner_rc = nx_executor_shutdown(g_ex);
  return NX_READY;
}

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  nx_executor *ex = g_ex = nx_test_executor(0, 0, &counting, &sc);

  nx_future_desc sd = {shutdown_inside_poll, NULL, 0, 0, 0};
  NX_CHECK_OK(nx_spawn(ex, &sd, NULL, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_RC(inner_rc, NX_EBUSY);

  nx_probe held = {0}, queued = {0};
  nx_task_id held_id;
  NX_CHECK_OK(nx_probe_spawn(ex, 0, &held, 0, 0, 1, &held_id, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_OK(nx_probe_spawn(ex, 1, &queued, 1, 0, 0, NULL, NULL));
  size_t allocs = st.allocs;

  NX_CHECK_OK(nx_executor_shutdown(ex));
  NX_CHECK_OK(nx_executor_shutdown(ex)); /* idempotent */
  NX_CHECK_EQ(held.drops, 1);
  NX_CHECK_EQ(queued.drops, 1);
  NX_CHECK_EQ(queued.polls, 0);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);

  nx_probe p = {0};
  nx_task_id id = 99;
  nx_join j = {NULL};
  nx_future_desc d = nx_probe_desc();
  nx_probe_fut f = {&p, 1, 0, 0};
  NX_CHECK_RC(nx_spawn(ex, &d, &f, &id, &j), NX_ESHUTDOWN);
  NX_CHECK_RC(nx_spawn_slab(ex, &d, &f, &id, &j), NX_ESHUTDOWN);
  NX_CHECK_EQ_U(id, 99);
  NX_CHECK(j.task == NULL);
  nx_reservation r;
  NX_CHECK_RC(nx_reserve(ex, 0, &d, &r), NX_ESHUTDOWN);
  NX_CHECK(r.task == NULL);
  NX_CHECK_RC(nx_reserve(ex, NX_RESERVE_SLAB, &d, &r), NX_ESHUTDOWN);
  NX_CHECK_RC(nx_run_once(ex), NX_ESHUTDOWN);
  NX_CHECK_RC(nx_run(ex, NX_RUN_BUSY), NX_ESHUTDOWN);
  NX_CHECK_RC(nx_run(ex, NX_RUN_PARKED), NX_ESHUTDOWN);
  NX_CHECK_RC(nx_block_on(ex, NX_RUN_BUSY, &d, &f, NULL, 0), NX_ESHUTDOWN);
  NX_CHECK_RC(nx_cancel(ex, held_id), NX_ESHUTDOWN);
  NX_CHECK_EQ_U(st.allocs, allocs);
  NX_CHECK_EQ(p.polls, 0);

  /* The held waker: wake is a no-op, dropping it frees the slot. */
  size_t frees = st.frees;
  nx_waker_wake_by_ref(&held.waker);
  nx_waker extra;
  NX_CHECK_OK(nx_waker_clone(&held.waker, &extra));
  nx_waker_wake(&extra);
  NX_CHECK_EQ_U(st.frees, frees);
  nx_waker_drop(&held.waker);
  NX_CHECK_EQ_U(st.frees, frees + 1);
  NX_CHECK_EQ(held.polls, 1);
  nx_executor_destroy(ex);
  NX_CHECK_EQ_U(st.allocs, st.frees);
  return 0;
}

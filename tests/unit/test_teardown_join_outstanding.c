/* Teardown with join handles outstanding: after nx_executor_shutdown the
 * handle of a task that was cancelled by the shutdown reports NX_ECANCELED,
 * the handle of a task that completed before reports NX_READY with its
 * output; a handle never consumed before nx_executor_destroy can still be
 * detached afterwards and that frees the slot (no leak). */
#include "nx_test.h"

typedef struct { int v; int *drops; } val_fut;
static nx_poll pending_poll(void *s, nx_cx *cx) {
  (void)s;
  (void)cx;
  return NX_PENDING;
}
static nx_poll ready_poll(void *s, nx_cx *cx) {
  *(int *)nx_cx_output(cx) = ((val_fut *)s)->v;
  return NX_READY;
}
static void val_drop(void *s) { (*((val_fut *)s)->drops)++; }

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  nx_executor *ex = nx_test_executor(0, 0, &counting, &sc);
  nx_future_desc pd = NX_FUTURE_OUT(val_fut, pending_poll, val_drop, int);
  nx_future_desc rd = NX_FUTURE_OUT(val_fut, ready_poll, val_drop, int);
  int drops[6] = {0};
  nx_join j[6];
  nx_task_id ids[6];
  for (int slab = 0; slab <= 1; slab++) {
    val_fut a = {1, &drops[3 * slab]}, b = {2, &drops[3 * slab + 1]}, c = {3, &drops[3 * slab + 2]};
    NX_CHECK_OK(slab ? nx_spawn_slab(ex, &pd, &a, &ids[3 * slab], &j[3 * slab])
                     : nx_spawn(ex, &pd, &a, &ids[3 * slab], &j[3 * slab]));
    NX_CHECK_OK(slab ? nx_spawn_slab(ex, &rd, &b, &ids[3 * slab + 1], &j[3 * slab + 1])
                     : nx_spawn(ex, &rd, &b, &ids[3 * slab + 1], &j[3 * slab + 1]));
    NX_CHECK_OK(slab ? nx_spawn_slab(ex, &pd, &c, &ids[3 * slab + 2], &j[3 * slab + 2])
                     : nx_spawn(ex, &pd, &c, &ids[3 * slab + 2], &j[3 * slab + 2]));
  }
  NX_CHECK_EQ(nx_run_once(ex), 6);
  for (int k = 0; k < 6; k++) NX_CHECK_EQ_U(nx_join_id(&j[k]), ids[k]);

  NX_CHECK_OK(nx_executor_shutdown(ex));
  for (int k = 0; k < 6; k++) NX_CHECK_EQ(drops[k], 1);
  for (int slab = 0; slab <= 1; slab++) {
    int out = -1;
    NX_CHECK_RC(nx_join_try(&j[3 * slab], &out, sizeof out), NX_ECANCELED);
    NX_CHECK_EQ(out, -1);
    NX_CHECK(j[3 * slab].task == NULL);
    NX_CHECK_RC(nx_join_try(&j[3 * slab + 1], &out, sizeof out), NX_READY);
    NX_CHECK_EQ(out, 2);
  }
  /* The two handles left (one malloc, one slab) are not consumed before destroy. */
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 2);
  NX_CHECK_EQ_U(nx_slab_in_use(nx_executor_slab(ex)), 1);
  size_t frees_before = st.frees;
  nx_executor_destroy(ex);
  NX_CHECK_EQ_U(st.frees, frees_before);
  nx_join_detach(&j[2]);
  NX_CHECK(j[2].task == NULL);
  NX_CHECK_EQ_U(st.frees, frees_before + 1);
  nx_join_detach(&j[5]);  /* the last reference: slab and executor go too */
  NX_CHECK_EQ_U(st.allocs, st.frees);
  NX_CHECK_EQ_U(st.live_bytes, 0);
  return 0;
}

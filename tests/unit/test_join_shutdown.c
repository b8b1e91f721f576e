/* A join handle of a task cancelled by the executor's shutdown reports
 * NX_ECANCELED (its future was dropped: no output), and a task awaiting a
 * join handle when the executor shuts down is dropped too, its handle
 * released with it (no leak). nx_join_id of a handle after shutdown is
 * NX_TASK_ID_NONE. */
#include "nx_test.h"

typedef struct { nx_join child; } awaiter_fut;
static nx_poll awaiter_poll(void *s, nx_cx *cx) {
  awaiter_fut *a = s;
  return nx_join_poll(&a->child, cx, NULL, 0) == NX_PENDING ? NX_PENDING : NX_READY;
}
static void awaiter_drop(void *s) { nx_join_detach(&((awaiter_fut *)s)->child); }

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_executor *ex = nx_test_executor(0, 0, &counting, NULL);
  nx_future_desc cd = {nx_probe_poll, nx_probe_drop, sizeof(nx_probe_fut), 8, sizeof(int)};
  nx_future_desc ad = NX_FUTURE(awaiter_fut, awaiter_poll, awaiter_drop);

  nx_probe c1 = {0}, c2 = {0};
  nx_probe_fut f1 = {&c1, 0, 0, 0}, f2 = {&c2, 0, 0, 0};
  nx_join j1;
  NX_CHECK_OK(nx_spawn(ex, &cd, &f1, NULL, &j1));
  awaiter_fut a = {{NULL}};
  NX_CHECK_OK(nx_spawn(ex, &cd, &f2, NULL, &a.child));
  NX_CHECK_OK(nx_spawn(ex, &ad, &a, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 3);
  NX_CHECK(nx_join_id(&j1) != NX_TASK_ID_NONE);

  NX_CHECK_OK(nx_executor_shutdown(ex));
  NX_CHECK_EQ(c1.drops, 1);
  NX_CHECK_EQ(c2.drops, 1);
  NX_CHECK_EQ_U(nx_join_id(&j1), NX_TASK_ID_NONE);
  int out = 5;
  NX_CHECK_RC(nx_join_try(&j1, &out, sizeof out), NX_ECANCELED);
  NX_CHECK_EQ(out, 5);
  NX_CHECK(j1.task == NULL);
  nx_executor_destroy(ex);
  NX_CHECK_EQ_U(st.allocs, st.frees);
  NX_CHECK_EQ_U(st.live_bytes, 0);
  return 0;
}

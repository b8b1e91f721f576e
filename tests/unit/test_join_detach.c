/* nx_join_detach gives up interest: a running task keeps running and is
 * freed when it completes (output discarded); detaching the handle of a task
 * that already completed frees it at once. NULL and empty handles: no-op.
 * A NULL join_out at spawn is the same as detaching. */
#include "nx_test.h"

typedef struct { int *polls, *drops; } d_fut;
static nx_poll d_poll(void *s, nx_cx *cx) {
  d_fut *f = s;
  if (++*f->polls < 2) {
    nx_cx_wake(cx);
    return NX_PENDING;
  }
  int *out = nx_cx_output(cx); /* NULL when spawned without a join handle */
  if (out != NULL) *out = 1;
  return NX_READY;
}
static void d_drop(void *s) { (*((d_fut *)s)->drops)++; }

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_executor *ex = nx_test_executor(0, 0, &counting, NULL);
  nx_future_desc d = NX_FUTURE_OUT(d_fut, d_poll, d_drop, int);
  int polls = 0, drops = 0;
  d_fut f = {&polls, &drops};

  /* Detach while running. */
  nx_join j;
  NX_CHECK_OK(nx_spawn(ex, &d, &f, NULL, &j));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  nx_join_detach(&j);
  NX_CHECK(j.task == NULL);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 1);
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(polls, 2);
  NX_CHECK_EQ(drops, 1);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  NX_CHECK_EQ_U(st.allocs, st.frees);
  nx_join_detach(&j);   /* empty: no-op */
  nx_join_detach(NULL); /* no-op */

  /* Detach after completion: frees the zombie the handle kept. */
  polls = drops = 0;
  NX_CHECK_OK(nx_spawn(ex, &d, &f, NULL, &j));
  nx_test_run_idle(ex);
  NX_CHECK_EQ(drops, 1);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);
  nx_join_detach(&j);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  NX_CHECK_EQ_U(st.allocs, st.frees);

  /* No join_out: the task runs and is freed on completion. */
  polls = drops = 0;
  NX_CHECK_OK(nx_spawn(ex, &d, &f, NULL, NULL));
  nx_test_run_idle(ex);
  NX_CHECK_EQ(polls, 2);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  nx_executor_destroy(ex);
  NX_CHECK_EQ_U(st.allocs, st.frees);
  return 0;
}

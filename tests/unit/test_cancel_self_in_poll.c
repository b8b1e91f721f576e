/* A task that cancels itself from inside its own poll: nx_cancel succeeds,
 * the poll carries on to its return, then the task is completed as
 * cancelled (drop_fn once, join handle NX_ECANCELED, never polled again,
 * even if it woke itself too). */
#include "nx_test.h"

typedef struct {
  int wake_too;
  int *polls, *drops, *cancel_rc, *after_cancel;
} selfcancel_fut;

static nx_poll selfcancel_poll(void *s, nx_cx *cx) {
  selfcancel_fut *f = s;
  (*f->polls)++;
  *f->cancel_rc = nx_cancel(nx_cx_executor(cx), nx_cx_task_id(cx));
  /* Still running: the state is intact until the poll returns. */
  (*f->after_cancel)++;
  if (f->wake_too) nx_cx_wake(cx);
  return NX_PENDING;
}
static void selfcancel_drop(void *s) { (*((selfcancel_fut *)s)->drops)++; }

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_executor *ex = nx_test_executor(0, 0, &counting, NULL);
  nx_future_desc d = NX_FUTURE_OUT(selfcancel_fut, selfcancel_poll, selfcancel_drop, int);

  for (int wake_too = 0; wake_too <= 1; wake_too++) {
    int polls = 0, drops = 0, rc = 1, after = 0;
    selfcancel_fut f = {wake_too, &polls, &drops, &rc, &after};
    nx_task_id id;
    nx_join j;
    NX_CHECK_OK(nx_spawn(ex, &d, &f, &id, &j));
    nx_run_once(ex);
    NX_CHECK_RC(rc, NX_OK);
    NX_CHECK_EQ(polls, 1);
    NX_CHECK_EQ(after, 1);
    NX_CHECK_EQ(drops, 1);
    NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
    NX_CHECK_RC(nx_cancel(ex, id), NX_EALREADY); /* the join handle holds it */
    for (int i = 0; i < 3; i++) nx_run_once(ex);
    NX_CHECK_EQ(polls, 1);
    NX_CHECK_EQ(drops, 1);
    int out = 0;
    NX_CHECK_RC(nx_join_try(&j, &out, sizeof out), NX_ECANCELED);
    NX_CHECK(j.task == NULL);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
    NX_CHECK_EQ_U(st.allocs, st.frees);
  }
  nx_executor_destroy(ex);
  return 0;
}

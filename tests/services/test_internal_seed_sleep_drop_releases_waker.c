/* SPEC 9.6 (seed: a dropped Sleep stays in the wheel, holding its waker and
 * so the task's storage, until the deadline). Here cancelling a task that
 * sleeps for an hour unregisters the timer and frees the task at once, and
 * the executor has no timer left to sleep for. */
#include "nx_test.h"
#include "svc_test.h"
#include "timer.h"

typedef struct {
  NX_ASYNC_FIELDS;
  nx_sleep sl;
} sleeper;

static nx_poll sleeper_poll(void *p, nx_cx *cx) {
  sleeper *s = p;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_sleep_init(&s->sl, nx_cx_executor(cx), 3600LL * 1000000000));
  NX_AWAIT(s, nx_sleep_poll(&s->sl, cx));
  NX_END(s);
}

static void sleeper_drop(void *p) { nx_sleep_drop(&((sleeper *)p)->sl); }

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator a = nx_test_counting_allocator(&st);
  nx_executor *ex = nx_test_executor(0, 0, &a, NULL);
  nx_future_desc d = NX_FUTURE(sleeper, sleeper_poll, sleeper_drop);
  nx_task_id ids[3];
  for (int i = 0; i < 3; i++) NX_CHECK_OK(nx_spawn(ex, &d, NULL, &ids[i], NULL));
  NX_CHECK_EQ(nx_test_run_idle(ex), 3);
  NX_CHECK_EQ_U(nx__timer_count(ex), 3);
  NX_CHECK(nx__timer_next_deadline(ex) > nx_now_ns());

  /* Cancel the middle one: its registration goes, the others stay. */
  NX_CHECK_OK(nx_cancel(ex, ids[1]));
  NX_CHECK_EQ_U(nx__timer_count(ex), 2);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 2); /* no waker kept it */
  NX_CHECK_EQ_U(st.frees, 1);
  NX_CHECK_OK(nx_cancel(ex, ids[0]));
  NX_CHECK_OK(nx_cancel(ex, ids[2]));
  NX_CHECK_EQ_U(nx__timer_count(ex), 0);
  NX_CHECK_EQ(nx__timer_next_deadline(ex), -1);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  NX_CHECK_EQ_U(st.frees, st.allocs);
  /* Nothing left: a parked run returns at once instead of sleeping an hour. */
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  nx_executor_destroy(ex);
  return 0;
}

/* Awaiting a cancelled task reports NX_ECANCELED: a task awaiting the join
 * handle with nx_join_poll is woken by the cancel and gets NX_ECANCELED; a
 * caller polling with nx_join_try gets NX_ECANCELED; either consumes the
 * handle and the cancelled task's slot is freed. */
#include "nx_test.h"

typedef struct { nx_join child; int rc; int polls; } awaiter_fut;
static awaiter_fut *awaiter_state;
static nx_poll awaiter_poll(void *s, nx_cx *cx) {
  awaiter_fut *a = s;
  awaiter_state = a;
  a->polls++;
  int64_t v = 123;
  a->rc = nx_join_poll(&a->child, cx, &v, sizeof v);
  if (v != 123) nx_test_fail(__FILE__, __LINE__, "output written for a cancelled task");
  return a->rc == NX_PENDING ? NX_PENDING : NX_READY;
}
static int awaiter_rc = 1, awaiter_polls;
static void awaiter_drop(void *s) {
  awaiter_rc = ((awaiter_fut *)s)->rc;
  awaiter_polls = ((awaiter_fut *)s)->polls;
}

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_executor *ex = nx_test_executor(0, 0, &counting, NULL);
  nx_future_desc cd = {nx_probe_poll, nx_probe_drop, sizeof(nx_probe_fut), 8, sizeof(int64_t)};
  nx_future_desc ad = NX_FUTURE(awaiter_fut, awaiter_poll, awaiter_drop);

  /* Awaited by a task. */
  nx_probe child = {0};
  nx_probe_fut cf = {&child, 0, 0, 0}; /* never ready */
  nx_task_id child_id;
  awaiter_fut a = {{NULL}, 0, 0};
  NX_CHECK_OK(nx_spawn(ex, &cd, &cf, &child_id, &a.child));
  NX_CHECK_OK(nx_spawn(ex, &ad, &a, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 2);
  NX_CHECK_EQ(awaiter_state->rc, NX_PENDING);
  NX_CHECK_OK(nx_cancel(ex, child_id));
  NX_CHECK_EQ(child.drops, 1);
  NX_CHECK_EQ(nx_run_once(ex), 1); /* the awaiter was woken */
  NX_CHECK_RC(awaiter_rc, NX_ECANCELED);
  NX_CHECK_EQ(awaiter_polls, 2);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);

  /* Polled by the caller, cancelled while queued and after a poll. */
  for (int polled_first = 0; polled_first <= 1; polled_first++) {
    nx_probe c2 = {0};
    nx_probe_fut f2 = {&c2, 0, 0, 0};
    nx_join j;
    NX_CHECK_OK(nx_spawn(ex, &cd, &f2, &child_id, &j));
    if (polled_first) NX_CHECK_EQ(nx_run_once(ex), 1);
    NX_CHECK_RC(nx_join_try(&j, NULL, 0), NX_PENDING);
    NX_CHECK_OK(nx_cancel(ex, child_id));
    int64_t out = 7;
    NX_CHECK_RC(nx_join_try(&j, &out, sizeof out), NX_ECANCELED);
    NX_CHECK_EQ(out, 7);
    NX_CHECK(j.task == NULL);
    NX_CHECK_RC(nx_join_try(&j, &out, sizeof out), NX_EINVAL);
    nx_test_run_idle(ex);
    NX_CHECK_EQ(c2.polls, polled_first);
    NX_CHECK_EQ(c2.drops, 1);
  }
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  nx_executor_destroy(ex);
  NX_CHECK_EQ_U(st.allocs, st.frees);
  return 0;
}

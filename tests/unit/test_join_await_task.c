/* One task awaits another's join handle with nx_join_poll: it is NX_PENDING
 * and registers the awaiting task's waker; when the child completes the
 * awaiting task is woken (exactly one extra poll) and receives the output.
 * Also: a join handle passed to a task that is polled only after the child
 * already completed gets NX_READY at once. */
#include "nx_test.h"

typedef struct { int64_t v; } child_fut;
static nx_waker child_waker;
static int child_polls;

/* Pending on its first poll (clones its waker for the test), then ready. */
static nx_poll child_poll(void *s, nx_cx *cx) {
  child_fut *c = s;
  if (child_polls++ == 0) {
    nx_waker self = nx_cx_waker(cx);
    NX_CHECK_OK(nx_waker_clone(&self, &child_waker));
    return NX_PENDING;
  }
  *(int64_t *)nx_cx_output(cx) = c->v;
  return NX_READY;
}

typedef struct { nx_join child; int64_t got; int rc; int *polls; } parent_fut;
static nx_poll parent_poll(void *s, nx_cx *cx) {
  parent_fut *p = s;
  (*p->polls)++;
  p->rc = nx_join_poll(&p->child, cx, &p->got, sizeof p->got);
  if (p->rc == NX_PENDING) return NX_PENDING;
  *(int64_t *)nx_cx_output(cx) = p->got * 2;
  return NX_READY;
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_future_desc cd = NX_FUTURE_OUT(child_fut, child_poll, NULL, int64_t);
  nx_future_desc pd = NX_FUTURE_OUT(parent_fut, parent_poll, NULL, int64_t);

  child_fut c = {21};
  parent_fut p = {{NULL}, 0, 0, NULL};
  int parent_polls = 0;
  p.polls = &parent_polls;
  NX_CHECK_OK(nx_spawn(ex, &cd, &c, NULL, &p.child));
  nx_join pj;
  NX_CHECK_OK(nx_spawn(ex, &pd, &p, NULL, &pj)); /* the handle moves into the parent */

  NX_CHECK_EQ(nx_run_once(ex), 2); /* child pending, parent pending on the child */
  NX_CHECK_EQ(parent_polls, 1);
  NX_CHECK_EQ(nx_run_once(ex), 0); /* nobody spins */
  NX_CHECK_EQ(nx_run_once(ex), 0);
  nx_waker_wake(&child_waker);
  NX_CHECK_EQ(nx_run_once(ex), 1); /* the child completes, waking the parent */
  NX_CHECK_EQ(child_polls, 2);
  NX_CHECK_EQ(parent_polls, 1);
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(parent_polls, 2);
  int64_t out = 0;
  NX_CHECK_RC(nx_join_try(&pj, &out, sizeof out), NX_READY);
  NX_CHECK_EQ(out, 42);
  NX_CHECK_EQ(nx_run_once(ex), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);

  /* The child completes before the parent's first poll. */
  child_polls = 1; /* skip the pending step: ready on the first poll */
  parent_polls = 0;
  parent_fut p2 = {{NULL}, 0, 0, &parent_polls};
  NX_CHECK_OK(nx_spawn(ex, &cd, &c, NULL, &p2.child));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_OK(nx_spawn(ex, &pd, &p2, NULL, &pj));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(parent_polls, 1);
  NX_CHECK_RC(nx_join_try(&pj, &out, sizeof out), NX_READY);
  NX_CHECK_EQ(out, 42);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);

  /* nx_join_poll misuse. */
  nx_join empty = {NULL};
  NX_CHECK_RC(nx_join_poll(NULL, NULL, NULL, 0), NX_EINVAL);
  NX_CHECK_RC(nx_join_poll(&empty, NULL, NULL, 0), NX_EINVAL);
  nx_executor_destroy(ex);
  return 0;
}

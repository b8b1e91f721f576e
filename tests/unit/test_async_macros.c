/* The resumable-function macros: one poll function written top to bottom
 * with NX_BEGIN / NX_YIELD / NX_AWAIT_JOIN / NX_AWAIT_UNTIL / NX_AWAIT /
 * NX_END resumes at the right point on every poll, keeps its locals in the
 * state struct, and finishes with the output. Poll counts are exact. */
#include "nx_test.h"

/* A sub-future awaited with NX_AWAIT: ready after `left` more polls. */
typedef struct { int left; } countdown;
static nx_poll countdown_poll(countdown *c, nx_cx *cx) {
  if (--c->left <= 0) return NX_READY;
  nx_cx_wake(cx);
  return NX_PENDING;
}

typedef struct { int64_t v; } child_fut;
static int child_polls;
static nx_poll child_poll(void *s, nx_cx *cx) {
  child_polls++;
  *(int64_t *)nx_cx_output(cx) = ((child_fut *)s)->v;
  return NX_READY;
}

static int flag;             /* what NX_AWAIT_UNTIL waits for */
static nx_waker flag_waker;  /* who to wake when it is set */
static int parent_polls, yields_seen;

typedef struct {
  NX_ASYNC_FIELDS;
  int i, rc;
  int64_t child_out;
  nx_join child;
  countdown sub;
} parent_fut;

static nx_poll parent_poll(void *p, nx_cx *cx) {
  parent_fut *s = p;
  parent_polls++;
  NX_BEGIN(s);
  for (s->i = 0; s->i < 3; s->i++) {
    yields_seen++;
    NX_YIELD(s, cx);
  }
  {
    nx_future_desc d = NX_FUTURE_OUT(child_fut, child_poll, NULL, int64_t);
    child_fut c = {1000};
    if (nx_spawn(nx_cx_executor(cx), &d, &c, NULL, &s->child) != NX_OK)
      nx_test_fail(__FILE__, __LINE__, "spawn child");
  }
  NX_AWAIT_JOIN(s, cx, &s->child, &s->child_out, sizeof s->child_out, s->rc);
  if (s->rc != NX_READY) nx_test_fail(__FILE__, __LINE__, "join rc %d", s->rc);
  {
    nx_waker self = nx_cx_waker(cx);
    if (nx_waker_clone(&self, &flag_waker) != NX_OK) nx_test_fail(__FILE__, __LINE__, "clone");
  }
  NX_AWAIT_UNTIL(s, flag);
  s->sub.left = 2;
  NX_AWAIT(s, countdown_poll(&s->sub, cx));
  *(int64_t *)nx_cx_output(cx) = s->child_out + s->i;
  NX_END(s);
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_future_desc d = NX_FUTURE_OUT(parent_fut, parent_poll, NULL, int64_t);
  nx_join j = {0};
  NX_CHECK_OK(nx_spawn(ex, &d, NULL, NULL, &j));

  /* Cycles 1-3: one yield each. */
  for (int c = 1; c <= 3; c++) {
    NX_CHECK_EQ(nx_run_once(ex), 1);
    NX_CHECK_EQ(parent_polls, c);
    NX_CHECK_EQ(yields_seen, c);
  }
  /* Cycle 4: loop done, child spawned, join pending. */
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(parent_polls, 4);
  NX_CHECK_EQ(yields_seen, 3);
  NX_CHECK_EQ(child_polls, 0);
  /* Cycle 5: the child completes and wakes the parent. */
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(child_polls, 1);
  NX_CHECK_EQ(parent_polls, 4);
  /* Cycle 6: join ready, now waiting for the flag; nothing else happens. */
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(parent_polls, 5);
  NX_CHECK_EQ(nx_run_once(ex), 0);
  NX_CHECK_RC(nx_join_try(&j, NULL, 0), NX_PENDING);
  /* A wake without the condition: polled, re-checks, suspends again. */
  nx_waker_wake_by_ref(&flag_waker);
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(parent_polls, 6);
  NX_CHECK_EQ(nx_run_once(ex), 0);
  /* Set the flag: NX_AWAIT on the countdown takes two polls. */
  flag = 1;
  nx_waker_wake(&flag_waker);
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(parent_polls, 7);
  NX_CHECK_RC(nx_join_try(&j, NULL, 0), NX_PENDING);
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(parent_polls, 8);
  int64_t out = 0;
  NX_CHECK_RC(nx_join_try(&j, &out, sizeof out), NX_READY);
  NX_CHECK_EQ(out, 1003); /* child's 1000 + the loop counter kept in the state (3) */
  NX_CHECK_EQ(nx_run_once(ex), 0);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  nx_executor_destroy(ex);
  return 0;
}

/* The queued flag dedups wakes: waking a task several times before it runs
 * (wake_by_ref, wake of clones, nx_cx_wake twice inside its poll) queues it
 * once: one poll per cycle, not one per wake. */
#include "nx_test.h"

static int cx_wakes_per_poll;
typedef struct { int *polls; } multi_fut;
static nx_poll multi_poll(void *s, nx_cx *cx) {
  (*((multi_fut *)s)->polls)++;
  for (int i = 0; i < cx_wakes_per_poll; i++) nx_cx_wake(cx);
  return NX_PENDING;
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);

  nx_probe p = {0};
  NX_CHECK_OK(nx_probe_spawn(ex, 0, &p, 0, 0, 1, NULL, NULL));
  /* Woken while already queued (since spawn). */
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(p.polls, 1);
  nx_waker c1, c2;
  NX_CHECK_OK(nx_waker_clone(&p.waker, &c1));
  NX_CHECK_OK(nx_waker_clone(&p.waker, &c2));
  nx_waker_wake_by_ref(&p.waker);
  nx_waker_wake_by_ref(&p.waker);
  nx_waker_wake(&c1);
  nx_waker_wake(&c2);
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(p.polls, 2);
  NX_CHECK_EQ(nx_run_once(ex), 0);
  NX_CHECK_EQ(p.polls, 2);

  /* Woken many times inside its own poll: polled once next cycle. */
  int polls = 0;
  multi_fut m = {&polls};
  nx_future_desc d = NX_FUTURE(multi_fut, multi_poll, NULL);
  cx_wakes_per_poll = 5;
  NX_CHECK_OK(nx_spawn(ex, &d, &m, NULL, NULL));
  for (int c = 1; c <= 10; c++) {
    NX_CHECK_EQ(nx_run_once(ex), 1);
    NX_CHECK_EQ(polls, c);
  }
  /* Woken by its own borrowed waker too. */
  nx_waker_wake_by_ref(&p.waker);
  nx_waker_wake_by_ref(&p.waker);
  NX_CHECK_EQ(nx_run_once(ex), 2);
  NX_CHECK_EQ(p.polls, 3);
  NX_CHECK_EQ(polls, 11);
  nx_waker_drop(&p.waker);
  nx_executor_destroy(ex);
  return 0;
}

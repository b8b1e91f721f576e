/* SPEC 9.6 (seed: Cancelled::poll pushes a new waiter node holding a waker
 * clone on every poll and never removes it on drop, so they pile up until
 * cancel). Here a task polls its wait future 10000 times (woken by a yield
 * each time), then is cancelled: its drop unregisters, no waker clone is
 * left behind, so its storage is freed at once and the token has no waiter
 * to wake later. */
#include "nx_test.h"
#include "svc_test.h"

typedef struct {
  nx_cancel_wait w;
  nx_cancel_token *tok;
  int polls;
} waiter;

static int total_polls;

static nx_poll waiter_poll(void *p, nx_cx *cx) {
  waiter *s = p;
  if (s->polls++ == 0) NX_CHECK_OK(nx_cancel_wait_init(&s->w, s->tok));
  total_polls++;
  NX_CHECK_RC(nx_cancel_wait_poll(&s->w, cx), NX_PENDING);
  if (s->polls < 10000) nx_cx_wake(cx); /* a spurious wake each time */
  return NX_PENDING;
}

static void waiter_drop(void *p) { nx_cancel_wait_drop(&((waiter *)p)->w); }

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator al = nx_test_counting_allocator(&st);
  nx_executor *ex = nx_test_executor(0, 0, &al, NULL);
  nx_cancel_token *tok;
  NX_CHECK_OK(nx_cancel_token_create(&tok));
  nx_future_desc d = NX_FUTURE(waiter, waiter_poll, waiter_drop);
  waiter w = {0};
  w.tok = tok;
  nx_task_id id;
  NX_CHECK_OK(nx_spawn(ex, &d, &w, &id, NULL));
  nx_test_run_idle(ex);
  NX_CHECK_EQ(total_polls, 10000);
  NX_CHECK_OK(nx_cancel(ex, id));
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  NX_CHECK_EQ_U(st.frees, st.allocs);
  nx_cancel_token_cancel(tok); /* wakes nothing: nobody is registered */
  NX_CHECK_EQ(nx_test_run_idle(ex), 0);
  nx_cancel_token_release(tok);
  nx_executor_destroy(ex);
  return 0;
}

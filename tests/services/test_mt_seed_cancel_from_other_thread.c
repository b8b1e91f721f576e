/* SPEC 9.5 (seed: CancellationToken::cancel on a thread other than the
 * runtime's pushes the waiters' local wakers into that thread's queue, where
 * they are lost or run on the wrong executor). Here tasks on a parked
 * executor wait on a token (and on children of it); another thread cancels
 * it; every task wakes and completes on its own executor. */
#include "nx_test.h"
#include "svc_test.h"

#define TASKS 50

static nx_cancel_token *tok;
static int woke;
static const void *exec_thread;
static int wrong_thread;
static atomic_int waiting;

static const void *self_marker(void) {
  static _Thread_local char m;
  return &m;
}

typedef struct {
  nx_cancel_wait w;
  nx_cancel_token *t;
  int inited;
} waiter;

static nx_poll waiter_poll(void *p, nx_cx *cx) {
  waiter *s = p;
  if (self_marker() != exec_thread) wrong_thread++;
  if (!s->inited) {
    s->inited = 1;
    NX_CHECK_OK(nx_cancel_wait_init(&s->w, s->t));
  }
  if (nx_cancel_wait_poll(&s->w, cx) == NX_PENDING) {
    atomic_fetch_add(&waiting, 1);
    return NX_PENDING;
  }
  woke++;
  return NX_READY;
}

static void waiter_drop(void *p) {
  waiter *s = p;
  nx_cancel_wait_drop(&s->w);
  if (s->t != tok) nx_cancel_token_release(s->t);
}

static void *canceller(void *arg) {
  (void)arg;
  while (atomic_load(&waiting) < TASKS) sched_yield();
  nx_cancel_token_cancel(tok);
  return NULL;
}

int main(void) {
  nx_test_start();
  exec_thread = self_marker();
  NX_CHECK_OK(nx_cancel_token_create(&tok));
  nx_executor *ex = svc_executor();
  nx_future_desc d = NX_FUTURE(waiter, waiter_poll, waiter_drop);
  for (int i = 0; i < TASKS; i++) {
    waiter w = {0};
    if (i % 2) NX_CHECK_OK(nx_cancel_token_child(tok, &w.t));
    else w.t = tok;
    NX_CHECK_OK(nx_spawn(ex, &d, &w, NULL, NULL));
  }
  pthread_t th;
  NX_CHECK(pthread_create(&th, NULL, canceller, NULL) == 0);
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  pthread_join(th, NULL);
  NX_CHECK_EQ(woke, TASKS);
  NX_CHECK_EQ(wrong_thread, 0);
  nx_cancel_token_release(tok);
  nx_executor_destroy(ex);
  return 0;
}

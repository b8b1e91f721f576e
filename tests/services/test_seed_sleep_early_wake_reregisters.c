/* SPEC 9.7 (seed: a Sleep polled before its deadline by some other wake
 * returns pending without registering again, so the sleep is lost). Here
 * another task wakes the sleeper 50 times right after it registered; the
 * early polls stay pending, and the sleep still completes, at or after its
 * deadline, with nothing else left to wake it. */
#include "nx_test.h"
#include "svc_test.h"

static nx_waker sleeper_waker;
static int early_polls, sleeper_done, early, waker_done;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_sleep sl;
  int rc;
} sleeper;

static nx_poll sleeper_poll(void *p, nx_cx *cx) {
  sleeper *s = p;
  if (s->nx_resume_ != 0 && nx_now_ns() < nx_sleep_deadline(&s->sl)) early_polls++;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_sleep_init(&s->sl, nx_cx_executor(cx), 300000000)); /* 300 ms */
  {
    nx_waker w = nx_cx_waker(cx);
    NX_CHECK_OK(nx_waker_clone(&w, &sleeper_waker));
  }
  NX_AWAIT(s, s->rc = nx_sleep_poll(&s->sl, cx));
  NX_CHECK_RC(s->rc, NX_READY);
  if (nx_now_ns() < nx_sleep_deadline(&s->sl)) early++;
  sleeper_done = 1;
  NX_END(s);
}

static void sleeper_drop(void *p) { nx_sleep_drop(&((sleeper *)p)->sl); }

/* Wakes the sleeper 50 times, a yield apart, then stops. */
typedef struct {
  NX_ASYNC_FIELDS;
  nx_yield y;
  int i;
} early_waker;

static nx_poll early_waker_poll(void *p, nx_cx *cx) {
  early_waker *s = p;
  NX_BEGIN(s);
  for (s->i = 0; s->i < 50; s->i++) {
    nx_waker_wake_by_ref(&sleeper_waker);
    nx_yield_init(&s->y);
    NX_AWAIT(s, nx_yield_poll(&s->y, cx));
  }
  nx_waker_drop(&sleeper_waker);
  waker_done = 1;
  NX_END(s);
}

static void run(nx_run_mode mode) {
  nx_executor *ex = svc_executor();
  early_polls = sleeper_done = early = waker_done = 0;
  SVC_SPAWN(ex, sleeper, sleeper_poll, sleeper_drop, NULL);
  SVC_SPAWN(ex, early_waker, early_waker_poll, NULL, NULL);
  NX_CHECK_OK(nx_run(ex, mode));
  NX_CHECK_EQ(sleeper_done, 1);
  NX_CHECK_EQ(early, 0);
  NX_CHECK_EQ(waker_done, 1);
  NX_CHECK(early_polls >= 1); /* it really was polled before its deadline */
  nx_executor_destroy(ex);
}

int main(void) {
  nx_test_start();
  run(NX_RUN_PARKED);
  run(NX_RUN_BUSY);
  return 0;
}

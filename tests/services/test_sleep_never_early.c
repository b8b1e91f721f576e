/* A sleep completes only at a poll where the clock reads >= its deadline, in
 * parked and in busy mode, for durations that are not multiples of any tick
 * (seed: the wheel fired up to one 1 ms tick early). */
#include "nx_test.h"
#include "svc_test.h"

static int fired, early;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_sleep sl;
  int64_t ns;
  int rc;
} sleeper;

static nx_poll sleeper_poll(void *p, nx_cx *cx) {
  sleeper *s = p;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_sleep_init(&s->sl, nx_cx_executor(cx), s->ns));
  NX_AWAIT(s, s->rc = nx_sleep_poll(&s->sl, cx));
  NX_CHECK_RC(s->rc, NX_READY);
  if (nx_now_ns() < nx_sleep_deadline(&s->sl)) early++;
  fired++;
  NX_END(s);
}

static void sleeper_drop(void *p) { nx_sleep_drop(&((sleeper *)p)->sl); }

static void run(nx_run_mode mode) {
  static const int64_t durations[] = {0, 1, 999, 1500, 250000, 1000001, 1700000, 3300000};
  nx_executor *ex = svc_executor();
  int n = 0;
  for (int rep = 0; rep < 5; rep++)
    for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
      sleeper s = {0};
      s.ns = durations[i] + rep * 333;
      SVC_SPAWN(ex, sleeper, sleeper_poll, sleeper_drop, &s);
      n++;
    }
  fired = early = 0;
  NX_CHECK_OK(nx_run(ex, mode));
  NX_CHECK_EQ(fired, n);
  NX_CHECK_EQ(early, 0);
  nx_executor_destroy(ex);
}

int main(void) {
  nx_test_start();
  run(NX_RUN_PARKED);
  run(NX_RUN_BUSY);
  return 0;
}

/* In parked mode an executor whose only task sleeps blocks in the kernel
 * (a voluntary context switch) and wakes for the deadline: nx_run returns,
 * at or after the deadline. With several sleeps it wakes for each in
 * deadline order, whatever the registration order. */
#include "nx_test.h"
#include "svc_test.h"

static int64_t fired_at[4];
static int fire_order[4], n_fired;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_sleep sl;
  int id;
  int64_t deadline;
} sleeper;

static nx_poll sleeper_poll(void *p, nx_cx *cx) {
  sleeper *s = p;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_sleep_init_until(&s->sl, nx_cx_executor(cx), s->deadline));
  NX_AWAIT(s, nx_sleep_poll(&s->sl, cx));
  fired_at[s->id] = nx_now_ns();
  NX_CHECK(fired_at[s->id] >= nx_sleep_deadline(&s->sl));
  fire_order[n_fired++] = s->id;
  NX_END(s);
}

static void sleeper_drop(void *p) { nx_sleep_drop(&((sleeper *)p)->sl); }

int main(void) {
  nx_test_start();
  nx_executor *ex = svc_executor();
  /* Registered in the order 0..3; deadlines 100, 25, 75, 50 ms. */
  static const int64_t ms[4] = {100, 25, 75, 50};
  int64_t base = nx_now_ns();
  for (int i = 0; i < 4; i++) {
    sleeper s = {0};
    s.id = i;
    s.deadline = base + ms[i] * 1000000;
    SVC_SPAWN(ex, sleeper, sleeper_poll, sleeper_drop, &s);
  }
  long csw0 = svc_nvcsw();
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  long csw1 = svc_nvcsw();
  NX_CHECK_EQ(n_fired, 4);
  NX_CHECK_EQ(fire_order[0], 1);
  NX_CHECK_EQ(fire_order[1], 3);
  NX_CHECK_EQ(fire_order[2], 2);
  NX_CHECK_EQ(fire_order[3], 0);
  NX_CHECK(csw1 - csw0 >= 1); /* it slept in the kernel rather than spinning */
  nx_executor_destroy(ex);
  return 0;
}

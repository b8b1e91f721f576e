/* A zero sleep and a sleep until a past deadline are ready at the first poll
 * (no timer is registered, so the task is polled exactly once); misuse is
 * reported. */
#include "nx_test.h"
#include "svc_test.h"

static int rc_a = -1000, rc_b = -1000, polls;

typedef struct {
  nx_sleep a, b;
} st;

static nx_poll st_poll(void *p, nx_cx *cx) {
  st *s = p;
  polls++;
  rc_a = nx_sleep_poll(&s->a, cx);
  rc_b = nx_sleep_poll(&s->b, cx);
  return NX_READY;
}

int main(void) {
  nx_test_start();
  nx_executor *ex = svc_executor();
  st s;
  NX_CHECK_OK(nx_sleep_init(&s.a, ex, 0));
  NX_CHECK_OK(nx_sleep_init_until(&s.b, ex, nx_now_ns() - 1000000000));
  NX_CHECK(nx_sleep_deadline(&s.b) < nx_now_ns());
  nx_future_desc d = NX_FUTURE(st, st_poll, NULL);
  NX_CHECK_OK(nx_block_on(ex, NX_RUN_PARKED, &d, &s, NULL, 0));
  NX_CHECK_EQ(polls, 1);
  NX_CHECK_RC(rc_a, NX_READY);
  NX_CHECK_RC(rc_b, NX_READY);

  /* Misuse. */
  nx_sleep sl;
  NX_CHECK_RC(nx_sleep_init(NULL, ex, 1), NX_EINVAL);
  NX_CHECK_RC(nx_sleep_init(&sl, NULL, 1), NX_EINVAL);
  NX_CHECK_RC(nx_sleep_init(&sl, ex, -1), NX_EINVAL);
  NX_CHECK_RC(nx_sleep_reset(&sl, 5), NX_EINVAL); /* failed init: unusable */
  NX_CHECK_RC(nx_sleep_poll(NULL, NULL), NX_EINVAL);
  NX_CHECK_EQ(nx_sleep_deadline(NULL), 0);
  nx_sleep_drop(NULL);
  nx_sleep_drop(&sl); /* dropping a never-registered sleep is fine */
  NX_CHECK_OK(nx_executor_shutdown(ex));
  NX_CHECK_RC(nx_sleep_init(&sl, ex, 1), NX_ESHUTDOWN);
  nx_executor_destroy(ex);
  return 0;
}

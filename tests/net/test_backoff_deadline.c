/* Backoff with a deadline: a delay never runs past it (the second wait is
 * cut to end at the deadline, not 400 ms later), and once it has passed the
 * backoff is exhausted: NX_ETIMEDOUT at once, remaining() 0. A reset keeps
 * the deadline. */
#include "nx_test.h"
#include "nxrt_net.h"

#define MS 1000000LL

static int finished;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_backoff b;
  int64_t deadline;
  int rc;
} waiter;

static nx_poll waiter_poll(void *p, nx_cx *cx) {
  waiter *s = p;
  NX_BEGIN(s);
  /* first wait: 200 ms, inside the 300 ms budget (wide enough that a
   * descheduled valgrind run still polls first well before the deadline) */
  NX_CHECK(nx_backoff_remaining(&s->b) > 0);
  NX_CHECK_RC(nx_backoff_wait_poll(&s->b, cx), NX_PENDING);
  NX_CHECK(nx_backoff_wait_deadline(&s->b) <= s->deadline);
  NX_AWAIT(s, s->rc = nx_backoff_wait_poll(&s->b, cx));
  NX_CHECK_RC(s->rc, NX_READY);
  /* second: 400 ms wanted, cut to the deadline */
  NX_CHECK_EQ(nx_backoff_current_delay(&s->b), 400 * MS);
  s->rc = nx_backoff_wait_poll(&s->b, cx);
  if (s->rc == NX_PENDING) {
    NX_CHECK_EQ(nx_backoff_wait_deadline(&s->b), s->deadline);
    NX_AWAIT(s, s->rc = nx_backoff_wait_poll(&s->b, cx));
    NX_CHECK_RC(s->rc, NX_READY);
  } else {
    NX_CHECK_RC(s->rc, NX_ETIMEDOUT); /* a slow machine: already past it */
  }
  NX_CHECK(nx_now_ns() >= s->deadline);
  NX_CHECK(nx_backoff_is_exhausted(&s->b));
  NX_CHECK_EQ(nx_backoff_remaining(&s->b), 0);
  NX_CHECK_RC(nx_backoff_wait_poll(&s->b, cx), NX_ETIMEDOUT);
  NX_CHECK_OK(nx_backoff_reset(&s->b));
  NX_CHECK(nx_backoff_is_exhausted(&s->b)); /* the deadline stays */
  NX_CHECK_RC(nx_backoff_wait_poll(&s->b, cx), NX_ETIMEDOUT);
  finished = 1;
  NX_END(s);
}

static void waiter_drop(void *p) { nx_backoff_drop(&((waiter *)p)->b); }

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  waiter w;
  memset(&w, 0, sizeof w);
  nx_backoff_config cfg;
  NX_CHECK_OK(nx_backoff_config_init(&cfg));
  cfg.initial_ns = 200 * MS;
  cfg.max_delay_ns = 10000 * MS;
  w.deadline = cfg.deadline_ns = nx_now_ns() + 300 * MS;
  NX_CHECK_OK(nx_backoff_init(&w.b, ex, &cfg));
  nx_future_desc d = NX_FUTURE(waiter, waiter_poll, waiter_drop);
  NX_CHECK_OK(nx_block_on(ex, NX_RUN_PARKED, &d, &w, NULL, 0));
  NX_CHECK_EQ(finished, 1);
  nx_executor_destroy(ex);
  return 0;
}

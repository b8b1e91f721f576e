/* Backoff without jitter: delays double from `initial` up to the cap
 * (1, 2, 4, 8, 8 ms), each wait sleeps at least its delay (never early),
 * the retry count advances per wait, and after max_retries waits the next
 * one reports exhaustion (NX_ETIMEDOUT) at once; reset starts over.
 * Doubling near INT64_MAX saturates at the cap. Defaults, validation, and
 * NULL / zero-filled / wrong-executor misuse. */
#include "nx_test.h"
#include "nxrt_net.h"

#define MS 1000000LL

static int finished;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_backoff b, hour;
  int i, rc;
  int64_t before, deadline;
} waiter;

static const int64_t expected[] = {1 * MS, 2 * MS, 4 * MS, 8 * MS, 8 * MS};

static nx_poll waiter_poll(void *p, nx_cx *cx) {
  waiter *s = p;
  NX_BEGIN(s);
  for (s->i = 0; s->i < 5; s->i++) {
    NX_CHECK_EQ(nx_backoff_current_delay(&s->b), expected[s->i]);
    NX_CHECK_EQ(nx_backoff_retries(&s->b), s->i);
    NX_CHECK_EQ(nx_backoff_wait_deadline(&s->b), 0);
    s->before = nx_now_ns();
    s->rc = nx_backoff_wait_poll(&s->b, cx);
    if (s->rc == NX_PENDING) { /* (a slow machine may be past the delay at once) */
      s->deadline = nx_backoff_wait_deadline(&s->b);
      NX_CHECK(s->deadline >= s->before + expected[s->i]);
      NX_AWAIT(s, s->rc = nx_backoff_wait_poll(&s->b, cx));
    }
    NX_CHECK_RC(s->rc, NX_READY);
    NX_CHECK(nx_now_ns() >= s->before + expected[s->i]); /* never early */
  }
  NX_CHECK_EQ(nx_backoff_retries(&s->b), 5);
  NX_CHECK(nx_backoff_is_exhausted(&s->b));
  NX_CHECK_RC(nx_backoff_wait_poll(&s->b, cx), NX_ETIMEDOUT);
  NX_CHECK_EQ(nx_backoff_wait_deadline(&s->b), 0); /* no sleep was started */
  NX_CHECK_OK(nx_backoff_reset(&s->b));
  NX_CHECK_EQ(nx_backoff_retries(&s->b), 0);
  NX_CHECK_EQ(nx_backoff_current_delay(&s->b), 1 * MS);
  NX_CHECK(!nx_backoff_is_exhausted(&s->b));
  /* an hour-long wait, surely pending at its first poll, abandoned */
  NX_CHECK_RC(nx_backoff_wait_poll(&s->hour, cx), NX_PENDING);
  NX_CHECK(nx_backoff_wait_deadline(&s->hour) > 0);
  nx_backoff_drop(&s->hour); /* nothing stays registered */
  nx_backoff_drop(&s->hour);
  NX_CHECK_EQ(nx_backoff_wait_deadline(&s->hour), 0);
  finished = 1;
  NX_END(s);
}

static void waiter_drop(void *p) {
  nx_backoff_drop(&((waiter *)p)->b);
  nx_backoff_drop(&((waiter *)p)->hour);
}

typedef struct {
  nx_backoff *b;
} foreign;

static nx_poll foreign_poll(void *p, nx_cx *cx) {
  NX_CHECK_RC(nx_backoff_wait_poll(((foreign *)p)->b, cx), NX_EINVAL);
  return NX_READY;
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_backoff_config cfg;
  NX_CHECK_OK(nx_backoff_config_init(&cfg));
  NX_CHECK_EQ(cfg.initial_ns, 100 * MS);
  NX_CHECK_EQ(cfg.max_delay_ns, 30000 * MS);
  NX_CHECK_EQ(cfg.max_retries, 0);
  NX_CHECK_EQ(cfg.deadline_ns, 0);
  NX_CHECK(cfg.jitter == 0.0);

  /* validation: each leaves the backoff zero-filled */
  nx_backoff b;
  nx_backoff_config bad = cfg;
  bad.initial_ns = 0;
  NX_CHECK_RC(nx_backoff_init(&b, ex, &bad), NX_EINVAL);
  bad = cfg;
  bad.max_delay_ns = cfg.initial_ns - 1;
  NX_CHECK_RC(nx_backoff_init(&b, ex, &bad), NX_EINVAL);
  bad = cfg;
  bad.jitter = 1.5;
  NX_CHECK_RC(nx_backoff_init(&b, ex, &bad), NX_EINVAL);
  bad.jitter = -0.1;
  NX_CHECK_RC(nx_backoff_init(&b, ex, &bad), NX_EINVAL);
  bad.jitter = 0.0 / 0.0;
  NX_CHECK_RC(nx_backoff_init(&b, ex, &bad), NX_EINVAL);
  bad = cfg;
  bad.deadline_ns = -1;
  NX_CHECK_RC(nx_backoff_init(&b, ex, &bad), NX_EINVAL);
  NX_CHECK_RC(nx_backoff_init(&b, NULL, &cfg), NX_EINVAL);
  NX_CHECK_RC(nx_backoff_init(&b, ex, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_backoff_init(NULL, ex, &cfg), NX_EINVAL);
  NX_CHECK_RC(nx_backoff_config_init(NULL), NX_EINVAL);
  NX_CHECK_RC(nx_backoff_reset(&b), NX_EINVAL); /* not initialized */
  nx_backoff zero;
  memset(&zero, 0, sizeof zero);
  nx_backoff_drop(&zero);
  nx_backoff_drop(NULL);
  NX_CHECK_EQ(nx_backoff_retries(NULL), 0);
  NX_CHECK_EQ(nx_backoff_remaining(NULL), -1);
  NX_CHECK(!nx_backoff_is_exhausted(NULL));

  /* saturation: no overflow past INT64_MAX */
  bad = cfg;
  bad.initial_ns = (int64_t)1 << 61;
  bad.max_delay_ns = INT64_MAX;
  NX_CHECK_OK(nx_backoff_init(&b, ex, &bad));
  NX_CHECK_RC(nx_backoff_reset(&b), NX_OK);

  /* a cx of another executor */
  {
    nx_executor *other = nx_test_executor(0, 0, NULL, NULL);
    foreign f = {&b};
    nx_future_desc d = NX_FUTURE(foreign, foreign_poll, NULL);
    NX_CHECK_OK(nx_block_on(other, NX_RUN_PARKED, &d, &f, NULL, 0));
    nx_executor_destroy(other);
  }

  waiter w;
  memset(&w, 0, sizeof w);
  cfg.initial_ns = 1 * MS;
  cfg.max_delay_ns = 8 * MS;
  cfg.max_retries = 5;
  NX_CHECK_OK(nx_backoff_init(&w.b, ex, &cfg));
  NX_CHECK_EQ(nx_backoff_remaining(&w.b), -1);
  cfg.initial_ns = cfg.max_delay_ns = 3600000 * MS;
  NX_CHECK_OK(nx_backoff_init(&w.hour, ex, &cfg));
  nx_future_desc d = NX_FUTURE(waiter, waiter_poll, waiter_drop);
  NX_CHECK_OK(nx_block_on(ex, NX_RUN_PARKED, &d, &w, NULL, 0));
  NX_CHECK_EQ(finished, 1);
  nx_executor_destroy(ex);
  return 0;
}

/* Jitter: with jitter 0.5 every delay is the current delay times a factor
 * in [0.5, 1.5], both halves of the range are used, two backoffs with the
 * same seed draw the same factors, and two with fresh seeds (seed 0) do
 * not (the seed's jitter was the same for every instance). The delays are
 * read from the armed wait's deadline (a 100 s delay, abandoned with
 * reset, so nothing actually sleeps). */
#include "nx_test.h"
#include "nxrt_net.h"

#define DRAWS 200
#define SEC 1000000000LL
#define DELAY (100 * SEC) /* long, so the time a poll takes (even under valgrind) is noise */

static double factors[4][DRAWS];

typedef struct {
  nx_backoff b;
  int which;
} drawer;

static nx_poll drawer_poll(void *p, nx_cx *cx) {
  drawer *s = p;
  for (int i = 0; i < DRAWS; i++) {
    int64_t before = nx_now_ns();
    NX_CHECK_RC(nx_backoff_wait_poll(&s->b, cx), NX_PENDING);
    int64_t after = nx_now_ns();
    int64_t dl = nx_backoff_wait_deadline(&s->b);
    /* the factor, up to the time the call took (microseconds in a second) */
    double lo = (double)(dl - after) / DELAY, hi = (double)(dl - before) / DELAY;
    NX_CHECK(hi - lo < 1e-3);
    factors[s->which][i] = (lo + hi) / 2;
    NX_CHECK(hi >= 0.5 && lo <= 1.5);
    NX_CHECK_OK(nx_backoff_reset(&s->b));
  }
  nx_backoff_drop(&s->b);
  return NX_READY;
}

static void draw(nx_executor *ex, int which, uint64_t seed) {
  drawer s;
  memset(&s, 0, sizeof s);
  s.which = which;
  nx_backoff_config cfg;
  NX_CHECK_OK(nx_backoff_config_init(&cfg));
  cfg.initial_ns = cfg.max_delay_ns = DELAY;
  cfg.jitter = 0.5;
  cfg.seed = seed;
  NX_CHECK_OK(nx_backoff_init(&s.b, ex, &cfg));
  nx_future_desc d = NX_FUTURE(drawer, drawer_poll, NULL);
  NX_CHECK_OK(nx_block_on(ex, NX_RUN_PARKED, &d, &s, NULL, 0));
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  draw(ex, 0, 42);
  draw(ex, 1, 42);
  draw(ex, 2, 0);
  draw(ex, 3, 0);
  int below = 0, above = 0, same_seed_differs = 0, fresh_same = 0;
  for (int i = 0; i < DRAWS; i++) {
    below += factors[0][i] < 0.95;
    above += factors[0][i] > 1.05;
    if (factors[0][i] - factors[1][i] > 2e-3 || factors[1][i] - factors[0][i] > 2e-3)
      same_seed_differs++;
    if (factors[2][i] - factors[3][i] < 2e-3 && factors[3][i] - factors[2][i] < 2e-3) fresh_same++;
  }
  NX_CHECK(below > DRAWS / 5);
  NX_CHECK(above > DRAWS / 5);
  NX_CHECK_EQ(same_seed_differs, 0);
  NX_CHECK(fresh_same < DRAWS / 10); /* a coincidence now and then, not a sequence */
  nx_executor_destroy(ex);
  return 0;
}

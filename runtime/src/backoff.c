/* Exponential backoff with a cap, a retry limit and/or a deadline, and
 * jitter; `wait` sleeps the next delay on the executor's timers.
 *
 * Jitter draws from a per-instance splitmix64 sequence. The seed comes from
 * a process-wide counter mixed with the clock and the backoff's address, so
 * two backoffs started together (a fleet of clients reconnecting after the
 * same outage) spread out; the seed's own jitter was deterministic and the
 * same for every instance, which defeats its purpose. A caller-given seed
 * makes the sequence reproducible.
 */
#include "services.h"
#include "nxrt_net.h"

#include <string.h>

#define NX_MS 1000000LL

int nx_backoff_config_init(nx_backoff_config *cfg) {
  if (cfg == NULL) return NX_EINVAL;
  memset(cfg, 0, sizeof *cfg);
  cfg->initial_ns = 100 * NX_MS;
  cfg->max_delay_ns = 30000 * NX_MS;
  return NX_OK;
}

static uint64_t nx_splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint64_t nx_backoff_fresh_seed(const void *salt) {
  static _Atomic uint64_t counter;
  uint64_t s = atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed) ^
               (uint64_t)nx_now_ns() ^ ((uint64_t)(uintptr_t)salt << 17);
  return nx_splitmix64(&s);
}

int nx_backoff_init(nx_backoff *b, nx_executor *ex, const nx_backoff_config *cfg) {
  if (b == NULL) return NX_EINVAL;
  memset(b, 0, sizeof *b);
  if (ex == NULL || cfg == NULL || cfg->initial_ns <= 0 || cfg->max_delay_ns < cfg->initial_ns ||
      !(cfg->jitter >= 0.0 && cfg->jitter <= 1.0) || cfg->deadline_ns < 0)
    return NX_EINVAL;
  if (ex->shut) return NX_ESHUTDOWN;
  b->cfg_ = *cfg;
  b->ex_ = ex;
  b->current_ns_ = cfg->initial_ns;
  b->rng_ = cfg->seed != 0 ? cfg->seed : nx_backoff_fresh_seed(b);
  return NX_OK;
}

int nx_backoff_is_exhausted(const nx_backoff *b) {
  if (b == NULL || b->ex_ == NULL) return 0;
  if (b->cfg_.max_retries != 0 && b->retries_ >= b->cfg_.max_retries) return 1;
  return b->cfg_.deadline_ns != 0 && nx_now_ns() >= b->cfg_.deadline_ns;
}

uint32_t nx_backoff_retries(const nx_backoff *b) { return b != NULL ? b->retries_ : 0; }

int64_t nx_backoff_current_delay(const nx_backoff *b) { return b != NULL ? b->current_ns_ : 0; }

int64_t nx_backoff_wait_deadline(const nx_backoff *b) {
  return b != NULL && b->armed_ ? nx_sleep_deadline(&b->sleep_) : 0;
}

int64_t nx_backoff_remaining(const nx_backoff *b) {
  if (b == NULL || b->cfg_.deadline_ns == 0) return -1;
  int64_t left = b->cfg_.deadline_ns - nx_now_ns();
  return left > 0 ? left : 0;
}

/* The current delay times a factor in [1 - jitter, 1 + jitter]. */
static int64_t nx_backoff_jittered(nx_backoff *b) {
  if (b->cfg_.jitter == 0.0) return b->current_ns_;
  double u = (double)(nx_splitmix64(&b->rng_) >> 11) * 0x1.0p-53; /* [0, 1) */
  double d = (double)b->current_ns_ * (1.0 + b->cfg_.jitter * (2.0 * u - 1.0));
  return d >= 9.2e18 ? INT64_MAX : (int64_t)(d + 0.5); /* d >= 0: jitter <= 1 */
}

void nx_backoff_drop(nx_backoff *b) {
  if (b == NULL || !b->armed_) return;
  nx_sleep_drop(&b->sleep_);
  b->armed_ = 0;
}

int nx_backoff_wait_poll(nx_backoff *b, nx_cx *cx) {
  if (b == NULL || cx == NULL || b->ex_ == NULL || cx->ex != b->ex_) return NX_EINVAL;
  if (!b->armed_) {
    if (nx_backoff_is_exhausted(b)) return NX_ETIMEDOUT;
    int64_t now = nx_now_ns(), delay = nx_backoff_jittered(b);
    int64_t until = delay > INT64_MAX - now ? INT64_MAX : now + delay;
    if (b->cfg_.deadline_ns != 0 && until > b->cfg_.deadline_ns)
      until = b->cfg_.deadline_ns; /* never sleep past the deadline */
    int rc = nx_sleep_init_until(&b->sleep_, b->ex_, until);
    if (rc < 0) return rc;
    b->armed_ = 1;
  }
  int rc = nx_sleep_poll(&b->sleep_, cx);
  if (rc == NX_PENDING) return rc;
  nx_backoff_drop(b);
  if (rc < 0) return rc;
  b->retries_++;
  b->current_ns_ = b->current_ns_ > b->cfg_.max_delay_ns / 2 ? b->cfg_.max_delay_ns
                                                              : 2 * b->current_ns_;
  return NX_READY;
}

int nx_backoff_reset(nx_backoff *b) {
  if (b == NULL || b->ex_ == NULL) return NX_EINVAL;
  nx_backoff_drop(b);
  b->retries_ = 0;
  b->current_ns_ = b->cfg_.initial_ns;
  return NX_OK;
}

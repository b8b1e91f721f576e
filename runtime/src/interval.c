/* Interval: a repeating timer with a policy for missed ticks.
 *
 * A tick counts as missed when, at the moment one tick is reported, the time
 * of the following tick has already passed (no lateness threshold). The
 * registration lives in the interval itself and is re-pointed at whichever
 * task polls it, so an interval handed from one task to another keeps
 * waking the task that awaits it now (the seed's kept the old task's waker).
 */
#include "timer.h"

int nx_interval_init_at(nx_interval *iv, nx_executor *ex, int64_t start_ns, int64_t period_ns) {
  if (iv == NULL) return NX_EINVAL;
  iv->ex_ = NULL;
  iv->start_ns_ = start_ns;
  iv->period_ns_ = period_ns;
  iv->missed_ = NX_TICK_BURST;
  nx__timer_entry_init(&iv->entry_, start_ns);
  if (ex == NULL || period_ns <= 0) return NX_EINVAL;
  if (ex->shut || ex->shutting_down) return NX_ESHUTDOWN;
  iv->ex_ = ex;
  return NX_OK;
}

int nx_interval_init(nx_interval *iv, nx_executor *ex, int64_t period_ns) {
  int64_t start = period_ns > 0 ? nx__deadline_add(nx__now_ns(), period_ns) : 0;
  return nx_interval_init_at(iv, ex, start, period_ns);
}

int nx_interval_set_missed_tick(nx_interval *iv, nx_missed_tick policy) {
  if (iv == NULL || iv->ex_ == NULL) return NX_EINVAL;
  if (policy != NX_TICK_BURST && policy != NX_TICK_SKIP && policy != NX_TICK_DELAY)
    return NX_EINVAL;
  iv->missed_ = policy;
  return NX_OK;
}

/* The tick scheduled at `tick` was reported at `now` (>= tick): when is the
 * next one? */
static int64_t nx_interval_next(const nx_interval *iv, int64_t tick, int64_t now) {
  int64_t p = iv->period_ns_;
  int64_t next = nx__deadline_add(tick, p);
  if (next > now || iv->missed_ == NX_TICK_BURST) return next;
  if (iv->missed_ == NX_TICK_DELAY) return nx__deadline_add(now, p);
  /* Skip: the first point of the start + k*p grid after now. */
  int64_t k = (now - iv->start_ns_) / p + 1;
  if (k > (INT64_MAX - iv->start_ns_) / p) return INT64_MAX;
  return iv->start_ns_ + k * p;
}

int nx_interval_tick_poll(nx_interval *iv, nx_cx *cx) {
  if (iv == NULL || !nx__cx_in_poll(cx) || iv->ex_ == NULL || cx->ex != iv->ex_) return NX_EINVAL;
  int64_t tick = iv->entry_.deadline_ns;
  int rc = nx__timer_entry_poll(&iv->entry_, cx);
  if (rc != NX_READY) return rc;
  iv->entry_.deadline_ns = nx_interval_next(iv, tick, nx__now_ns());
  return NX_READY;
}

int nx_interval_reset(nx_interval *iv) {
  if (iv == NULL || iv->ex_ == NULL) return NX_EINVAL;
  int64_t start = nx__deadline_add(nx__now_ns(), iv->period_ns_);
  iv->start_ns_ = start;
  nx__timer_entry_set(&iv->entry_, start);
  return NX_OK;
}

int64_t nx_interval_next_ns(const nx_interval *iv) { return iv ? iv->entry_.deadline_ns : 0; }

void nx_interval_drop(nx_interval *iv) {
  if (iv != NULL) nx__timer_entry_drop(&iv->entry_);
}

/* Timer entries, the piece sleep, timeout and interval share (timer.c). */
#ifndef NXRT_TIMER_H
#define NXRT_TIMER_H

#include "services.h"
#include "timer_heap.h"

/* Fresh, unregistered entry with this deadline. */
static inline void nx__timer_entry_init(nx_timer_entry *e, int64_t deadline_ns) {
  e->deadline_ns = deadline_ns;
  e->seq = 0;
  e->heap_index = NX_TIMER_UNREGISTERED;
  e->waker.task = NULL;
  e->svc = NULL;
}

/* NX_READY (and unregistered) once nx_now_ns() >= the deadline; otherwise
 * registers the polling task's waker (replacing another task's) and returns
 * NX_PENDING; or NX_ENOMEM / NX_ESHUTDOWN / NX_EWRONGTHREAD. */
int nx__timer_entry_poll(nx_timer_entry *e, nx_cx *cx);
/* Leaves the heap (if in it) and drops the waker. */
void nx__timer_entry_drop(nx_timer_entry *e);
/* Changes the deadline, re-sorting the heap if registered. */
void nx__timer_entry_set(nx_timer_entry *e, int64_t deadline_ns);

/* Tests: timers registered on ex; the earliest deadline (-1: none). */
size_t nx__timer_count(nx_executor *ex);
int64_t nx__timer_next_deadline(nx_executor *ex);

/* a + b for a deadline, saturating instead of overflowing. */
static inline int64_t nx__deadline_add(int64_t a, int64_t b) {
  if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
  return a + b;
}

#endif /* NXRT_TIMER_H */

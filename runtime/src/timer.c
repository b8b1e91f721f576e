/* Timers: the per-executor timer service, sleep and timeout.
 *
 * The service is created the first time a sleep registers on an executor
 * and plugs into the run loop (executor.h: nx_service): `poll` fires every
 * entry whose deadline passed (one clock read per cycle while timers exist,
 * nothing else: that is the whole cost in busy mode), `next_deadline_ns`
 * tells the parked executor how long it may sleep (heap[0], O(1)), and
 * `shutdown` releases every waker and frees the service.
 *
 * Never early: the service fires an entry only when now >= deadline, and a
 * sleep reports READY only when it reads now >= deadline itself; any other
 * wake finds it still pending and it registers again (the seed marked a sleep
 * "registered" forever and lost it after an early tick).
 */
#include "timer.h"

#include <stdlib.h>

typedef struct nx_timer_service {
  nx_service base; /* first: the run loop sees this */
  nx_timer_heap heap;
  uint64_t seq;
} nx_timer_service;

int64_t nx_now_ns(void) { return nx__now_ns(); }

static void nx_timer_service_poll(nx_service *s, nx_executor *ex) {
  (void)ex;
  nx_timer_service *ts = (nx_timer_service *)s;
  if (ts->heap.len == 0) return;
  int64_t now = nx__now_ns();
  nx_timer_entry *e;
  while ((e = nx__timer_heap_top(&ts->heap)) != NULL && e->deadline_ns <= now) {
    nx__timer_heap_remove(&ts->heap, e);
    e->svc = NULL;
    nx_waker_wake(&e->waker);
  }
}

static int64_t nx_timer_service_next_deadline(nx_service *s) {
  nx_timer_entry *e = nx__timer_heap_top(&((nx_timer_service *)s)->heap);
  return e ? e->deadline_ns : -1;
}

/* Executor shutdown: every registered entry lets go of its waker and forgets
 * the service (so the futures' drop functions, which run after this, touch
 * nothing), then the service unlinks and frees itself. */
static void nx_timer_service_shutdown(nx_service *s, nx_executor *ex) {
  nx_timer_service *ts = (nx_timer_service *)s;
  for (uint32_t i = 0; i < ts->heap.len; i++) {
    nx_timer_entry *e = ts->heap.items[i];
    e->heap_index = NX_TIMER_UNREGISTERED;
    e->svc = NULL;
    nx_waker_drop(&e->waker);
  }
  free(ts->heap.items);
  nx__executor_remove_service(ex, s);
  free(ts);
}

static const nx_service_ops nx_timer_service_ops = {
    nx_timer_service_poll, nx_timer_service_next_deadline, nx_timer_service_shutdown};

static nx_service *nx_timer_service_create(nx_executor *ex) {
  (void)ex;
  nx_timer_service *ts = calloc(1, sizeof *ts);
  if (ts == NULL) return NULL;
  ts->base.work = &ts->heap.len; /* polled only while timers are registered */
  return &ts->base;
}

static int nx_timer_service_get(nx_executor *ex, nx_timer_service **out) {
  nx_service *s = NULL;
  int rc = nx__service_get(ex, &nx_timer_service_ops, nx_timer_service_create, &s);
  *out = (nx_timer_service *)s;
  return rc;
}

/* ------------------------------------------------------------------------ */
/* Entries                                                                  */
/* ------------------------------------------------------------------------ */

int nx__timer_entry_poll(nx_timer_entry *e, nx_cx *cx) {
  if (nx__now_ns() >= e->deadline_ns) {
    nx__timer_entry_drop(e);
    return NX_READY;
  }
  if (e->svc != NULL) {
    /* Polled by another task than the one registered: wake that one now. */
    nx__waker_store(&e->waker, cx);
    return NX_PENDING;
  }
  nx_timer_service *ts;
  int rc = nx_timer_service_get(cx->ex, &ts);
  if (rc < 0) return rc;
  e->seq = ts->seq++;
  rc = nx__timer_heap_push(&ts->heap, e);
  if (rc < 0) return rc;
  nx_waker self = {cx->task};
  nx_waker_drop(&e->waker);
  nx_waker_clone(&self, &e->waker);
  e->svc = ts;
  return NX_PENDING;
}

/* `svc`, not heap_index, says "registered": a zero-filled entry (a task
 * spawned with init NULL, dropped before its first poll) has heap index 0
 * and no service, and must read as empty. */
void nx__timer_entry_drop(nx_timer_entry *e) {
  if (e->svc != NULL) {
    nx__timer_heap_remove(&e->svc->heap, e);
    e->svc = NULL;
  }
  nx_waker_drop(&e->waker);
}

void nx__timer_entry_set(nx_timer_entry *e, int64_t deadline_ns) {
  e->deadline_ns = deadline_ns;
  if (e->svc != NULL) nx__timer_heap_update(&e->svc->heap, e);
}

/* ------------------------------------------------------------------------ */
/* Sleep                                                                    */
/* ------------------------------------------------------------------------ */

int nx_sleep_init_until(nx_sleep *s, nx_executor *ex, int64_t deadline_ns) {
  if (s == NULL || ex == NULL) return NX_EINVAL;
  s->ex_ = NULL;
  nx__timer_entry_init(&s->entry_, deadline_ns);
  if (ex->shut || ex->shutting_down) return NX_ESHUTDOWN;
  s->ex_ = ex;
  return NX_OK;
}

int nx_sleep_init(nx_sleep *s, nx_executor *ex, int64_t duration_ns) {
  if (duration_ns < 0) {
    if (s != NULL) {
      s->ex_ = NULL;
      nx__timer_entry_init(&s->entry_, 0);
    }
    return NX_EINVAL;
  }
  return nx_sleep_init_until(s, ex, nx__deadline_add(nx__now_ns(), duration_ns));
}

int nx_sleep_poll(nx_sleep *s, nx_cx *cx) {
  if (s == NULL || !nx__cx_in_poll(cx) || s->ex_ == NULL || cx->ex != s->ex_) return NX_EINVAL;
  return nx__timer_entry_poll(&s->entry_, cx);
}

int nx_sleep_reset(nx_sleep *s, int64_t deadline_ns) {
  if (s == NULL || s->ex_ == NULL) return NX_EINVAL;
  nx__timer_entry_set(&s->entry_, deadline_ns);
  return NX_OK;
}

int64_t nx_sleep_deadline(const nx_sleep *s) { return s ? s->entry_.deadline_ns : 0; }

void nx_sleep_drop(nx_sleep *s) {
  if (s != NULL) nx__timer_entry_drop(&s->entry_);
}

/* ------------------------------------------------------------------------ */
/* Timeout                                                                  */
/* ------------------------------------------------------------------------ */

int nx_timeout_init(nx_timeout *t, nx_executor *ex, int64_t duration_ns) {
  return nx_sleep_init(t ? &t->sleep_ : NULL, ex, duration_ns);
}

int nx_timeout_init_until(nx_timeout *t, nx_executor *ex, int64_t deadline_ns) {
  return nx_sleep_init_until(t ? &t->sleep_ : NULL, ex, deadline_ns);
}

int nx_timeout_poll(nx_timeout *t, nx_cx *cx, int inner) {
  if (t == NULL) return NX_EINVAL;
  if (inner != NX_PENDING) {
    nx_sleep_drop(&t->sleep_);
    return inner;
  }
  int rc = nx_sleep_poll(&t->sleep_, cx);
  return rc == NX_READY ? NX_ETIMEDOUT : rc;
}

void nx_timeout_drop(nx_timeout *t) {
  if (t != NULL) nx_sleep_drop(&t->sleep_);
}

/* For tests (timer.h): timers registered on `ex`, and the deadline the
 * parked executor would sleep until (-1: none). */
size_t nx__timer_count(nx_executor *ex) {
  nx_service *s = nx__service_find(ex, &nx_timer_service_ops);
  return s ? ((nx_timer_service *)s)->heap.len : 0;
}

int64_t nx__timer_next_deadline(nx_executor *ex) {
  nx_service *s = nx__service_find(ex, &nx_timer_service_ops);
  return s ? s->ops->next_deadline_ns(s) : -1;
}

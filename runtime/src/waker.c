/* Wakers: the task pointer plus a reference count in the task's state word.
 *
 * On the executor's own thread a wake is nx__wake_local (executor.h): a plain
 * flag test and a ring push. From any other thread it is nx__wake_remote:
 * one CAS that sets INBOX (so the task is linked at most once, and never
 * after it completed), the inbox push, and an unpark only if the executor
 * said it is going to sleep. Cache lines a remote wake touches: the task's
 * header (CAS + link) and the inbox head line (CAS + `parked` read); the
 * executor reads those two back (exchange + fetch_and): two lines each way,
 * the minimum for a wake that carries the task's identity. Each side asks
 * for a line exclusive before its first read of it (nx__prefetch_for_write)
 * and fetches both lines at once where it knows both addresses, so the
 * path pays about one transfer per line instead of a read and an upgrade,
 * one after the other.
 */
#include "executor.h"

/* The executor whose task this thread last woke from outside. A thread that
 * wakes from outside mostly wakes the same executor again, so its inbox
 * head line is fetched beside the task's header instead of after it (the
 * header holds t->ex: without the hint the two fetches are serialized).
 * Only a hint: a stale one costs one useless prefetch, which never faults,
 * and a wake on an executor's own thread clears it, so an executor thread
 * that also wakes another executor does not pull that executor's head line
 * on every local wake. */
static __attribute__((tls_model("initial-exec"))) _Thread_local nx_executor *nx_remote_hint;

void nx__wake_remote(nx_task *t) {
  nx_executor *ex = t->ex;
  if (ex != nx_remote_hint) {
    /* Not fetched beside the header: fetch the head line (which the push
     * modifies next) during the state CAS instead of after it. */
    nx__prefetch_for_write(&ex->inbox.head);
    nx_remote_hint = ex;
  }
  uint64_t s = atomic_load_explicit(&t->state, memory_order_relaxed);
  /* Even when INBOX is already set (the wake is deduplicated) this is a
   * read-modify-write with release semantics, never a plain load: the
   * executor's acquire fetch_and that clears INBOX before the poll then reads
   * from it, so everything this thread wrote before waking is visible to
   * that poll. A plain load would let the poll miss the write and the wake
   * be lost (x86 may reorder an earlier store after a later load). */
  do {
    if (s & NX_ST_DONE) return;
  } while (!atomic_compare_exchange_weak_explicit(&t->state, &s, s | NX_ST_INBOX,
                                                  memory_order_acq_rel, memory_order_relaxed));
  if (s & NX_ST_INBOX) return; /* already on its way */
  NX_ASSERT(NX_ST_REFS(s) != 0); /* the caller's waker holds a reference */
  nx__inbox_push(&ex->inbox, t);
  /* seq_cst: ordered after the push's exchange (see park.c). */
  if (atomic_load_explicit(&ex->inbox.parked, memory_order_seq_cst)) nx__unpark(ex);
}

static inline void nx_wake_by_ptr(nx_task *t) {
  /* From another thread the header line is the executor's (it polled the
   * task): take it exclusive at once for the state CAS to come, rather
   * than shared for t->ex and then upgraded (on the executor's own thread
   * the line is here already and the prefetch finds it). When a 16-aligned
   * allocation splits the header, t->ex lies on the line the executor
   * writes `queued` on, and reading it stays a second transfer on this
   * path: cross_wake_busy shows it as the gap between malloc and the slab. */
  nx__prefetch_for_write(&t->state);
  nx_executor *hint = nx_remote_hint;
  if (hint != NULL) nx__prefetch_for_write(&hint->inbox.head);
  nx_executor *ex = t->ex;
  if (nx__on_owner(ex)) {
    if (__builtin_expect(hint != NULL, 0)) nx_remote_hint = NULL;
    nx__wake_local(ex, t);
  } else
    nx__wake_remote(t);
}

void nx__ref_drop(nx_task *t) {
  nx_executor *ex = t->ex;
  if (nx__on_owner(ex)) {
    uint64_t s = atomic_fetch_sub_explicit(&t->state, NX_ST_REF, memory_order_acq_rel);
    NX_ASSERT(NX_ST_REFS(s) != 0); /* never below zero */
    s -= NX_ST_REF;
    if (s == NX_ST_DONE && !t->queued) nx__task_free_guarded(ex, t);
    return;
  }
  uint64_t s = atomic_load_explicit(&t->state, memory_order_relaxed);
  for (;;) {
    NX_ASSERT(NX_ST_REFS(s) != 0); /* never below zero */
    if ((s & NX_ST_DONE) && NX_ST_REFS(s) == 1) {
      nx__ref_drop_slow(t, s);
      return;
    }
    if (atomic_compare_exchange_weak_explicit(&t->state, &s, s - NX_ST_REF, memory_order_release,
                                              memory_order_relaxed))
      return;
  }
}

int nx_waker_clone(const nx_waker *w, nx_waker *out) {
  if (w == NULL || out == NULL || w->task == NULL) return NX_EINVAL;
  /* Relaxed: the caller already holds a reference, so the task cannot go
   * away, and the count orders nothing else. */
  uint64_t s = atomic_fetch_add_explicit(&w->task->state, NX_ST_REF, memory_order_relaxed);
  NX_ASSERT(NX_ST_REFS(s) != 0); /* a clone of a live reference */
  (void)s;
  out->task = w->task;
  return NX_OK;
}

void nx_waker_wake_by_ref(const nx_waker *w) {
  if (w == NULL || w->task == NULL) return;
  nx_wake_by_ptr(w->task);
}

void nx_waker_wake(nx_waker *w) {
  if (w == NULL || w->task == NULL) return;
  nx_task *t = w->task;
  w->task = NULL;
  nx_wake_by_ptr(t);
  nx__ref_drop(t);
}

void nx_waker_drop(nx_waker *w) {
  if (w == NULL || w->task == NULL) return;
  nx_task *t = w->task;
  w->task = NULL;
  nx__ref_drop(t);
}

int nx_waker_will_wake(const nx_waker *a, const nx_waker *b) {
  return a != NULL && b != NULL && a->task == b->task;
}


/* The cross-thread inbox: an intrusive multi-producer single-consumer list
 * linked through nx_task.cross_next. Producers push with one compare-and-swap
 * on `head`; the executor takes the whole list with one exchange and walks
 * it oldest-first.
 *
 * Why this design (and not a Vyukov queue, which nxrt used first): a round
 * trip moves the fewest cache lines. A push touches the task's own header
 * (already owned after the INBOX CAS) and the `head` line, which also holds
 * `parked`, read right after the CAS. The consumer touches the same two
 * lines and nothing else: there is no dummy node whose link a producer writes
 * and no dummy re-push when the queue runs dry (each was one more line moved
 * per wake). The cost: a push is lock-free rather than wait-free (the CAS is
 * retried if another producer pushed in between), and the consumer reverses
 * each batch (O(batch), on nodes it is about to touch anyway).
 *
 * No ABA problem: the consumer never pops single nodes with a CAS; it only
 * swaps the whole list for NULL. A producer writes only its own node's link,
 * before publishing it; once taken, the nodes belong to the executor alone,
 * so a task can be freed as soon as it has been processed.
 */
#ifndef NXRT_INBOX_H
#define NXRT_INBOX_H

#include "task.h"

typedef struct nx_inbox {
  alignas(64) _Atomic(nx_task *) head; /* newest first */
  _Atomic int parked;  /* the executor is (about to be) asleep: see park.c */
} nx_inbox;

static inline void nx__inbox_init(nx_inbox *q) {
  atomic_init(&q->head, NULL);
  atomic_init(&q->parked, 0);
}

/* Fetches the line holding `p` for writing, without waiting for it: for a
 * line another core wrote last that this thread is about to read and then
 * modify. Started early, the fetch overlaps the work before the first access,
 * and coming in exclusive it saves the read miss plus the upgrade for the
 * write (two coherence transactions on the round trip's path instead of
 * one). A hint only: it never faults and changes no value. GCC emits a read
 * prefetch for __builtin_prefetch(p, 1) unless built with -mprfchw, hence the
 * instruction itself (a NOP on x86 processors without it). */
static inline void nx__prefetch_for_write(const void *p) {
#if defined(__x86_64__) || defined(__i386__)
  __asm__("prefetchw %0" : : "m"(*(const char *)p));
#else
  __builtin_prefetch(p, 1);
#endif
}

/* Any thread. The seq_cst CAS is also the "store" half of the parking
 * handshake (park.c): it is ordered before the producer's load of `parked`;
 * it releases the node's link and everything the producer wrote before. */
static inline void nx__inbox_push(nx_inbox *q, nx_task *t) {
  nx_task *head = atomic_load_explicit(&q->head, memory_order_relaxed);
  do atomic_store_explicit(&t->cross_next, head, memory_order_relaxed);
  while (!atomic_compare_exchange_weak_explicit(&q->head, &head, t, memory_order_seq_cst,
                                                memory_order_relaxed));
}

/* Executor thread only: takes everything pushed so far, oldest first (the
 * list is linked through cross_next, NULL-terminated), or NULL. */
static inline nx_task *nx__inbox_take(nx_inbox *q) {
  nx_task *t = atomic_exchange_explicit(&q->head, NULL, memory_order_acquire);
  /* One task (the common case): its link is NULL already, no store. */
  if (t == NULL || atomic_load_explicit(&t->cross_next, memory_order_relaxed) == NULL) return t;
  nx_task *fifo = NULL;
  while (t != NULL) {
    nx_task *next = atomic_load_explicit(&t->cross_next, memory_order_relaxed);
    atomic_store_explicit(&t->cross_next, fifo, memory_order_relaxed);
    fifo = t;
    t = next;
  }
  return fifo;
}

/* Executor thread only: is anything pushed? The seq_cst load is the "load"
 * half of the parking handshake. */
static inline int nx__inbox_maybe_nonempty(nx_inbox *q) {
  return atomic_load_explicit(&q->head, memory_order_seq_cst) != NULL;
}

/* Cheap check for the run loop's fast path (relaxed: a miss is caught by the
 * next cycle, and parking uses the seq_cst version above). */
static inline int nx__inbox_peek(nx_inbox *q) {
  return atomic_load_explicit(&q->head, memory_order_relaxed) != NULL;
}

#endif /* NXRT_INBOX_H */

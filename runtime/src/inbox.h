/* The cross-thread inbox: an intrusive multi-producer single-consumer queue
 * (Dmitry Vyukov's design) linked through nx_task.cross_next.
 *
 * Why this design: push is one atomic exchange plus one store, wait-free and
 * allocation-free; the consumer never takes a lock. Its one quirk is the
 * transient state between a producer's exchange and its link store, during
 * which the consumer sees a non-empty queue it cannot pop yet; the executor
 * simply retries next cycle (it never parks while the queue is non-empty).
 *
 * A popped node is never the tail (pop only returns a node whose successor is
 * linked), so no producer writes into a node after it was popped: that is
 * what lets the executor free a task as soon as it leaves the inbox.
 *
 * Cache lines: producers touch `tail` (its own line, shared with `parked`,
 * which they read right after the exchange) and the previous tail node's
 * header; the consumer touches `head` and `stub` on another line.
 */
#ifndef NXRT_INBOX_H
#define NXRT_INBOX_H

#include "task.h"

typedef struct nx_inbox {
  /* producer side */
  alignas(64) _Atomic(nx_task *) tail;
  _Atomic int parked;  /* the executor is (about to be) asleep: see park.c */
  /* consumer side */
  alignas(64) nx_task *head;
  nx_task stub;        /* only its cross_next is used */
} nx_inbox;

static inline void nx__inbox_init(nx_inbox *q) {
  atomic_init(&q->stub.cross_next, NULL);
  atomic_init(&q->tail, &q->stub);
  atomic_init(&q->parked, 0);
  q->head = &q->stub;
}

/* Any thread. The seq_cst exchange is also the "store" half of the parking
 * handshake (park.c): it is ordered before the producer's load of `parked`. */
static inline void nx__inbox_push(nx_inbox *q, nx_task *t) {
  atomic_store_explicit(&t->cross_next, NULL, memory_order_relaxed);
  nx_task *prev = atomic_exchange_explicit(&q->tail, t, memory_order_seq_cst);
  atomic_store_explicit(&prev->cross_next, t, memory_order_release);
}

/* Executor thread only. NULL when empty or when the next node is still being
 * linked by a producer (retry later). */
static inline nx_task *nx__inbox_pop(nx_inbox *q) {
  nx_task *head = q->head;
  nx_task *next = atomic_load_explicit(&head->cross_next, memory_order_acquire);
  if (head == &q->stub) {
    if (next == NULL) return NULL;
    q->head = head = next;
    next = atomic_load_explicit(&head->cross_next, memory_order_acquire);
  }
  if (next != NULL) {
    q->head = next;
    return head;
  }
  if (atomic_load_explicit(&q->tail, memory_order_acquire) != head) return NULL;
  nx__inbox_push(q, &q->stub);
  next = atomic_load_explicit(&head->cross_next, memory_order_acquire);
  if (next != NULL) {
    q->head = next;
    return head;
  }
  return NULL;
}

/* Executor thread only: might anything be in the queue (including a push in
 * its transient state)? The seq_cst load of `tail` is the "load" half of the
 * parking handshake. */
static inline int nx__inbox_maybe_nonempty(nx_inbox *q) {
  return q->head != &q->stub ||
         atomic_load_explicit(&q->tail, memory_order_seq_cst) != &q->stub;
}

/* Cheap check for the run loop's fast path (relaxed: a miss is caught by the
 * next cycle, and parking uses the seq_cst version above). */
static inline int nx__inbox_peek(nx_inbox *q) {
  return q->head != &q->stub ||
         atomic_load_explicit(&q->tail, memory_order_relaxed) != &q->stub;
}

#endif /* NXRT_INBOX_H */

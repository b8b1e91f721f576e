/* The MPSC channel: senders on any threads, one receiver (a task).
 *
 * The queue is Dmitry Vyukov's bounded array queue: each cell carries a
 * sequence number saying whose turn it is, producers claim a position with a
 * CAS on `tail`, the consumer owns `head`. Lock-free for senders, wait-free
 * for the receiver, no allocation after create. The sequence counts in half
 * steps (2*pos: free for the producer of pos; 2*pos+1: full for the consumer
 * of pos), so that a ring of ONE cell can tell "full" from "free for the
 * next lap" (the original's pos/pos+1 cannot when capacity is 1).
 *
 * Receiver wake (no lost wakeup): a sender publishes its value (release store
 * of the cell's sequence) and then always runs nx__atomic_waker_wake; the
 * receiver registers in the atomic waker and then pops again. The argument
 * for why one of the two always sees the other is in atomic_waker.c. The
 * same holds for closing: the last sender's count decrement comes before its
 * wake, and the receiver reads the count after registering.
 *
 * Waiting senders (full queue) sit in a FIFO list under a mutex; only that
 * slow path takes it. Sender and receiver form a store/load pair across two
 * locations (the sender writes nwaiting then reads the cell, the receiver
 * writes the cell then reads nwaiting), which plain acquire/release cannot
 * order. Both sides therefore touch nwaiting with an acq_rel read-modify-
 * write (the receiver adds 0), which puts the two in nwaiting's total
 * modification order:
 *   sender:    fetch_add(nwaiting, 1) (in the lock); load the cell (retry)
 *   receiver:  store the cell (pop);  fetch_add(nwaiting, 0): read it
 * If the receiver's RMW comes first, the sender's RMW reads from it
 * (release -> acquire), so the freed cell is visible to the sender's retry;
 * if the sender's comes first, the receiver reads nwaiting >= 1 and wakes a
 * sender. (seq_cst fences would do too, but ThreadSanitizer cannot check
 * fences, and this costs one uncontended RMW per pop.) The receiver wakes
 * the first waiter only (FIFO); a woken sender dropped before sending passes
 * the wake on.
 */
#include "channel_ring.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

/* nx_mpsc_send.owner_ (only the polling task reads or writes it; 0: never
 * initialized) and .state_ (meaningful while owner_ is QUEUED; the receiver
 * changes it, so it is read and written under the lock only). */
enum { NX_MSO_IDLE = 1, NX_MSO_QUEUED, NX_MSO_DONE };
enum { NX_MS_WAITING = 1, NX_MS_WOKEN };

/* Cache lines by writer: producers' tail; the consumer's head; the receiver
 * wake slot; the waiting-sender count (the receiver's RMW after each pop
 * stays local unless senders wait) with the slow-path lock and list; and a
 * read-mostly line (written only by clone/close). */
struct nx_mpsc {
  alignas(64) _Atomic size_t tail; /* producers */
  alignas(64) size_t head;         /* the consumer */
  alignas(64) nx_atomic_waker rx_waker;
  alignas(64) _Atomic size_t nwaiting;
  pthread_mutex_t lock; /* the wait list */
  nx_mpsc_send *wait_head, *wait_tail;
  alignas(64) size_t mask, cell_size, elem; /* read-mostly from here on */
  nx_value_drop_fn drop;
  unsigned char *cells;
  _Atomic int rx_closed;
  _Atomic size_t senders;
  _Atomic size_t refs; /* open handles: senders + the receiver */
};

typedef struct nx_mpsc_cell {
  _Atomic size_t seq;
  alignas(16) unsigned char value[];
} nx_mpsc_cell;

static inline nx_mpsc_cell *nx_mpsc_cell_at(nx_mpsc *ch, size_t pos) {
  return (nx_mpsc_cell *)(void *)(ch->cells + (pos & ch->mask) * ch->cell_size);
}

/* Any thread. 1 if pushed, 0 if full. */
static int nx_mpsc_push(nx_mpsc *ch, const void *value) {
  size_t pos = atomic_load_explicit(&ch->tail, memory_order_relaxed);
  nx_mpsc_cell *c;
  for (;;) {
    c = nx_mpsc_cell_at(ch, pos);
    size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
    intptr_t diff = (intptr_t)(seq - 2 * pos);
    if (diff == 0) {
      if (atomic_compare_exchange_weak_explicit(&ch->tail, &pos, pos + 1, memory_order_relaxed,
                                                memory_order_relaxed))
        break;
    } else if (diff < 0) {
      return 0; /* the cell still holds the value from one lap ago: full */
    } else {
      pos = atomic_load_explicit(&ch->tail, memory_order_relaxed);
    }
  }
  if (ch->elem) memcpy(c->value, value, ch->elem);
  atomic_store_explicit(&c->seq, 2 * pos + 1, memory_order_release);
  return 1;
}

/* The consumer. 1 if a value was taken. */
static int nx_mpsc_pop(nx_mpsc *ch, void *out, nx_pop_mode mode) {
  size_t pos = ch->head;
  nx_mpsc_cell *c = nx_mpsc_cell_at(ch, pos);
  if (atomic_load_explicit(&c->seq, memory_order_acquire) != 2 * pos + 1) return 0;
  if (mode == NX_POP_TAKE) {
    if (ch->elem) memcpy(out, c->value, ch->elem);
  } else if (ch->drop) {
    ch->drop(c->value);
  }
  atomic_store_explicit(&c->seq, 2 * (pos + ch->mask + 1), memory_order_release);
  ch->head = pos + 1;
  return 1;
}

static void nx_mpsc_unlink(nx_mpsc *ch, nx_mpsc_send *s) {
  if (s->prev_) s->prev_->next_ = s->next_;
  else ch->wait_head = s->next_;
  if (s->next_) s->next_->prev_ = s->prev_;
  else ch->wait_tail = s->prev_;
  s->prev_ = s->next_ = NULL;
  atomic_fetch_sub_explicit(&ch->nwaiting, 1, memory_order_relaxed);
}

/* Under the lock: wake the first waiting sender. */
static void nx_mpsc_wake_first_locked(nx_mpsc *ch) {
  nx_mpsc_send *w = ch->wait_head;
  if (w == NULL) return;
  nx_mpsc_unlink(ch, w);
  w->state_ = NX_MS_WOKEN;
  nx_waker_wake_by_ref(&w->waker_);
}

/* The receiver took a value: a slot is free. */
static inline void nx_mpsc_after_pop(nx_mpsc *ch) {
  if (atomic_fetch_add_explicit(&ch->nwaiting, 0, memory_order_acq_rel) == 0) return;
  pthread_mutex_lock(&ch->lock);
  nx_mpsc_wake_first_locked(ch);
  pthread_mutex_unlock(&ch->lock);
}

static void nx_mpsc_release(nx_mpsc *ch) {
  if (atomic_fetch_sub_explicit(&ch->refs, 1, memory_order_acq_rel) != 1) return;
  /* Last handle: no other thread can reach the channel. Values a sender
   * pushed after the receiver closed are dropped here, once. */
  while (nx_mpsc_pop(ch, NULL, NX_POP_DROP)) {
  }
  nx__atomic_waker_clear(&ch->rx_waker);
  pthread_mutex_destroy(&ch->lock);
  free(ch->cells);
  free(ch);
}

int nx_mpsc_create(size_t capacity, size_t elem_size, nx_value_drop_fn drop, nx_mpsc_tx *tx,
                   nx_mpsc_rx *rx) {
  if (tx == NULL || rx == NULL) return NX_EINVAL;
  tx->ch_ = NULL;
  rx->ch_ = NULL;
  size_t cap = nx__ring_capacity(capacity, elem_size);
  if (cap == 0) return NX_EINVAL;
  nx_mpsc *ch = aligned_alloc(64, sizeof(nx_mpsc));
  if (ch == NULL) return NX_ENOMEM;
  memset(ch, 0, sizeof *ch);
  ch->cell_size = (sizeof(nx_mpsc_cell) + elem_size + 15) & ~(size_t)15;
  ch->cells = aligned_alloc(64, (cap * ch->cell_size + 63) & ~(size_t)63);
  if (ch->cells == NULL) {
    free(ch);
    return NX_ENOMEM;
  }
  for (size_t i = 0; i < cap; i++)
    atomic_init(&((nx_mpsc_cell *)(void *)(ch->cells + i * ch->cell_size))->seq, 2 * i);
  ch->mask = cap - 1;
  ch->elem = elem_size;
  ch->drop = drop;
  atomic_init(&ch->tail, 0);
  atomic_init(&ch->rx_closed, 0);
  atomic_init(&ch->senders, 1);
  atomic_init(&ch->refs, 2);
  atomic_init(&ch->nwaiting, 0);
  nx__atomic_waker_init(&ch->rx_waker);
  pthread_mutex_init(&ch->lock, NULL);
  tx->ch_ = rx->ch_ = ch;
  return NX_OK;
}

int nx_mpsc_tx_clone(const nx_mpsc_tx *tx, nx_mpsc_tx *out) {
  if (tx == NULL || out == NULL || tx->ch_ == NULL) return NX_EINVAL;
  /* Relaxed: the caller's handle keeps the channel alive. */
  atomic_fetch_add_explicit(&tx->ch_->senders, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&tx->ch_->refs, 1, memory_order_relaxed);
  out->ch_ = tx->ch_;
  return NX_OK;
}

void nx_mpsc_tx_close(nx_mpsc_tx *tx) {
  if (tx == NULL || tx->ch_ == NULL) return;
  nx_mpsc *ch = tx->ch_;
  tx->ch_ = NULL;
  /* acq_rel: every sender's pushes happen-before the receiver's load of 0. */
  if (atomic_fetch_sub_explicit(&ch->senders, 1, memory_order_acq_rel) == 1)
    nx__atomic_waker_wake(&ch->rx_waker);
  nx_mpsc_release(ch);
}

void nx_mpsc_rx_close(nx_mpsc_rx *rx) {
  if (rx == NULL || rx->ch_ == NULL) return;
  nx_mpsc *ch = rx->ch_;
  rx->ch_ = NULL;
  atomic_store_explicit(&ch->rx_closed, 1, memory_order_seq_cst);
  /* A sender that links itself after this sees rx_closed (the lock orders
   * it); one linked before is woken here and sees it on its next poll. */
  pthread_mutex_lock(&ch->lock);
  while (ch->wait_head != NULL) nx_mpsc_wake_first_locked(ch);
  pthread_mutex_unlock(&ch->lock);
  while (nx_mpsc_pop(ch, NULL, NX_POP_DROP)) {
  }
  nx__atomic_waker_clear(&ch->rx_waker);
  nx_mpsc_release(ch);
}

int nx_mpsc_try_send(const nx_mpsc_tx *tx, const void *value) {
  if (tx == NULL || tx->ch_ == NULL) return NX_EINVAL;
  nx_mpsc *ch = tx->ch_;
  if (value == NULL && ch->elem != 0) return NX_EINVAL;
  if (atomic_load_explicit(&ch->rx_closed, memory_order_acquire)) return NX_EPIPE;
  if (!nx_mpsc_push(ch, value)) return NX_EAGAIN;
  nx__atomic_waker_wake(&ch->rx_waker);
  return NX_OK;
}

int nx_mpsc_try_recv(const nx_mpsc_rx *rx, void *out) {
  if (rx == NULL || rx->ch_ == NULL) return NX_EINVAL;
  nx_mpsc *ch = rx->ch_;
  if (out == NULL && ch->elem != 0) return NX_EINVAL;
  if (!nx_mpsc_pop(ch, out, NX_POP_TAKE)) {
    if (atomic_load_explicit(&ch->senders, memory_order_acquire) != 0) return NX_EAGAIN;
    /* Every sender closed, and all their pushes are visible now. */
    if (!nx_mpsc_pop(ch, out, NX_POP_TAKE)) return NX_EPIPE;
  }
  nx_mpsc_after_pop(ch);
  return NX_OK;
}

int nx_mpsc_recv_poll(const nx_mpsc_rx *rx, nx_cx *cx, void *out) {
  if (!nx__cx_in_poll(cx)) return NX_EINVAL;
  int rc = nx_mpsc_try_recv(rx, out);
  if (rc != NX_EAGAIN) return rc == NX_OK ? NX_READY : rc;
  nx_waker self = {cx->task};
  nx__atomic_waker_register(&rx->ch_->rx_waker, &self);
  rc = nx_mpsc_try_recv(rx, out); /* the re-check */
  if (rc != NX_EAGAIN) return rc == NX_OK ? NX_READY : rc;
  return NX_PENDING;
}

int nx_mpsc_send_init(nx_mpsc_send *s, const nx_mpsc_tx *tx, const void *value) {
  if (s == NULL) return NX_EINVAL;
  memset(s, 0, sizeof *s);
  if (tx == NULL || tx->ch_ == NULL || (value == NULL && tx->ch_->elem != 0)) return NX_EINVAL;
  s->ch_ = tx->ch_;
  s->value_ = value;
  s->owner_ = NX_MSO_IDLE;
  return NX_OK;
}

/* Leaves the wait list (if on it) and finishes with `rc`. */
static int nx_mpsc_send_finish(nx_mpsc_send *s, int rc) {
  nx_mpsc *ch = s->ch_;
  nx_waker w;
  if (s->owner_ == NX_MSO_QUEUED) {
    pthread_mutex_lock(&ch->lock);
    if (s->state_ == NX_MS_WAITING) nx_mpsc_unlink(ch, s);
    s->state_ = 0;
    w = s->waker_;
    s->waker_.task = NULL;
    pthread_mutex_unlock(&ch->lock);
  } else {
    w = s->waker_;
    s->waker_.task = NULL;
  }
  s->owner_ = rc == NX_READY ? NX_MSO_DONE : NX_MSO_IDLE;
  nx_waker_drop(&w);
  return rc;
}

int nx_mpsc_send_poll(nx_mpsc_send *s, nx_cx *cx) {
  if (s == NULL || !nx__cx_in_poll(cx) || s->ch_ == NULL || s->owner_ == 0) return NX_EINVAL;
  if (s->owner_ == NX_MSO_DONE) return NX_READY;
  nx_mpsc *ch = s->ch_;
  if (atomic_load_explicit(&ch->rx_closed, memory_order_acquire))
    return nx_mpsc_send_finish(s, NX_EPIPE);
  if (nx_mpsc_push(ch, s->value_)) {
    nx__atomic_waker_wake(&ch->rx_waker);
    return nx_mpsc_send_finish(s, NX_READY);
  }
  pthread_mutex_lock(&ch->lock);
  if (s->owner_ != NX_MSO_QUEUED || s->state_ != NX_MS_WAITING) {
    /* A woken sender that lost the slot (to a try_send) keeps its turn. */
    if (s->owner_ == NX_MSO_QUEUED && s->state_ == NX_MS_WOKEN) {
      s->prev_ = NULL;
      s->next_ = ch->wait_head;
      if (ch->wait_head) ch->wait_head->prev_ = s;
      else ch->wait_tail = s;
      ch->wait_head = s;
    } else {
      s->prev_ = ch->wait_tail;
      s->next_ = NULL;
      if (ch->wait_tail) ch->wait_tail->next_ = s;
      else ch->wait_head = s;
      ch->wait_tail = s;
    }
    s->state_ = NX_MS_WAITING;
    s->owner_ = NX_MSO_QUEUED;
    atomic_fetch_add_explicit(&ch->nwaiting, 1, memory_order_acq_rel); /* see the top */
  }
  nx__waker_store(&s->waker_, cx);
  pthread_mutex_unlock(&ch->lock);
  if (nx_mpsc_push(ch, s->value_)) { /* the re-check */
    nx__atomic_waker_wake(&ch->rx_waker);
    return nx_mpsc_send_finish(s, NX_READY);
  }
  if (atomic_load_explicit(&ch->rx_closed, memory_order_acquire))
    return nx_mpsc_send_finish(s, NX_EPIPE);
  return NX_PENDING;
}

void nx_mpsc_send_drop(nx_mpsc_send *s) {
  if (s == NULL || s->ch_ == NULL) return;
  nx_mpsc *ch = s->ch_;
  nx_waker w;
  if (s->owner_ == NX_MSO_QUEUED) {
    pthread_mutex_lock(&ch->lock);
    if (s->state_ == NX_MS_WAITING) nx_mpsc_unlink(ch, s);
    /* Woken for a free slot but never used it: hand the wake on. */
    else if (s->state_ == NX_MS_WOKEN) nx_mpsc_wake_first_locked(ch);
    s->state_ = 0;
    w = s->waker_;
    s->waker_.task = NULL;
    pthread_mutex_unlock(&ch->lock);
  } else {
    w = s->waker_;
    s->waker_.task = NULL;
  }
  s->owner_ = NX_MSO_DONE;
  s->ch_ = NULL;
  nx_waker_drop(&w);
}

/* The SPSC channel: one sender on any thread, one receiver (a task).
 *
 * A Lamport ring: the sender owns `tail`, the receiver owns `head`, each
 * keeps a cached copy of the other's index on its own cache line and reloads
 * it only when the ring looks full (sender) or empty (receiver), so in steady
 * state a value costs the two lines it travels through and no atomic RMW.
 *
 * Wakes in both directions go through atomic wakers (atomic_waker.c argues
 * why none is lost): the sender publishes (release store of `tail`) and then
 * wakes the receiver's slot; the receiver registers and re-checks. The
 * receiver publishes a free slot (release store of `head`) and wakes the
 * sender's slot; a waiting sender registers and re-checks. Closing works the
 * same way: the flag is stored before the wake, and read after registering.
 */
#include "channel_ring.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

/* One cache line per writer: each index with its owner's cached copy of
 * the other; each atomic waker alone (the receiver's wake of tx_waker after
 * every pop stays on a line the sender only touches when it waits); what
 * both sides read on every operation on a line nobody writes after create,
 * except at close. */
struct nx_spsc {
  alignas(64) _Atomic size_t tail; /* sender writes */
  size_t head_cache;               /* sender's copy of head */
  alignas(64) _Atomic size_t head; /* receiver writes */
  size_t tail_cache;               /* receiver's copy of tail */
  alignas(64) nx_atomic_waker rx_waker;
  alignas(64) nx_atomic_waker tx_waker;
  alignas(64) size_t mask, elem;   /* read-mostly from here on */
  nx_value_drop_fn drop;
  unsigned char *buf;
  _Atomic int tx_closed, rx_closed;
  _Atomic int refs;
};

/* The sender. 1 if pushed, 0 if full. */
static int nx_spsc_push(nx_spsc *ch, const void *value) {
  size_t t = atomic_load_explicit(&ch->tail, memory_order_relaxed);
  if (t - ch->head_cache > ch->mask) {
    ch->head_cache = atomic_load_explicit(&ch->head, memory_order_acquire);
    if (t - ch->head_cache > ch->mask) return 0;
  }
  if (ch->elem) memcpy(ch->buf + (t & ch->mask) * ch->elem, value, ch->elem);
  atomic_store_explicit(&ch->tail, t + 1, memory_order_release);
  return 1;
}

/* The receiver. 1 if a value was taken: handed to the caller (copied to
 * `out`, which may be NULL when elem is 0) or dropped (channel_ring.h). */
static int nx_spsc_pop(nx_spsc *ch, void *out, nx_pop_mode mode) {
  size_t h = atomic_load_explicit(&ch->head, memory_order_relaxed);
  if (h == ch->tail_cache) {
    ch->tail_cache = atomic_load_explicit(&ch->tail, memory_order_acquire);
    if (h == ch->tail_cache) return 0;
  }
  unsigned char *v = ch->buf + (h & ch->mask) * ch->elem;
  if (mode == NX_POP_TAKE) {
    if (ch->elem) memcpy(out, v, ch->elem);
  } else if (ch->drop) {
    ch->drop(v);
  }
  atomic_store_explicit(&ch->head, h + 1, memory_order_release);
  return 1;
}

static void nx_spsc_release(nx_spsc *ch) {
  if (atomic_fetch_sub_explicit(&ch->refs, 1, memory_order_acq_rel) != 1) return;
  while (nx_spsc_pop(ch, NULL, NX_POP_DROP)) {
  }
  nx__atomic_waker_clear(&ch->rx_waker);
  nx__atomic_waker_clear(&ch->tx_waker);
  free(ch->buf);
  free(ch);
}

int nx_spsc_create(size_t capacity, size_t elem_size, nx_value_drop_fn drop, nx_spsc_tx *tx,
                   nx_spsc_rx *rx) {
  if (tx == NULL || rx == NULL) return NX_EINVAL;
  tx->ch_ = NULL;
  rx->ch_ = NULL;
  size_t cap = nx__ring_capacity(capacity, elem_size);
  if (cap == 0) return NX_EINVAL;
  nx_spsc *ch = aligned_alloc(64, sizeof(nx_spsc));
  if (ch == NULL) return NX_ENOMEM;
  memset(ch, 0, sizeof *ch);
  ch->buf = aligned_alloc(64, ((elem_size ? cap * elem_size : 1) + 63) & ~(size_t)63);
  if (ch->buf == NULL) {
    free(ch);
    return NX_ENOMEM;
  }
  ch->mask = cap - 1;
  ch->elem = elem_size;
  ch->drop = drop;
  atomic_init(&ch->tail, 0);
  atomic_init(&ch->head, 0);
  atomic_init(&ch->tx_closed, 0);
  atomic_init(&ch->rx_closed, 0);
  atomic_init(&ch->refs, 2);
  nx__atomic_waker_init(&ch->rx_waker);
  nx__atomic_waker_init(&ch->tx_waker);
  tx->ch_ = rx->ch_ = ch;
  return NX_OK;
}

void nx_spsc_tx_close(nx_spsc_tx *tx) {
  if (tx == NULL || tx->ch_ == NULL) return;
  nx_spsc *ch = tx->ch_;
  tx->ch_ = NULL;
  atomic_store_explicit(&ch->tx_closed, 1, memory_order_release);
  nx__atomic_waker_wake(&ch->rx_waker);
  nx__atomic_waker_clear(&ch->tx_waker);
  nx_spsc_release(ch);
}

void nx_spsc_rx_close(nx_spsc_rx *rx) {
  if (rx == NULL || rx->ch_ == NULL) return;
  nx_spsc *ch = rx->ch_;
  rx->ch_ = NULL;
  atomic_store_explicit(&ch->rx_closed, 1, memory_order_release);
  nx__atomic_waker_wake(&ch->tx_waker);
  while (nx_spsc_pop(ch, NULL, NX_POP_DROP)) {
  }
  nx__atomic_waker_clear(&ch->rx_waker);
  nx_spsc_release(ch);
}

int nx_spsc_try_send(const nx_spsc_tx *tx, const void *value) {
  if (tx == NULL || tx->ch_ == NULL) return NX_EINVAL;
  nx_spsc *ch = tx->ch_;
  if (value == NULL && ch->elem != 0) return NX_EINVAL;
  if (atomic_load_explicit(&ch->rx_closed, memory_order_acquire)) return NX_EPIPE;
  if (!nx_spsc_push(ch, value)) return NX_EAGAIN;
  nx__atomic_waker_wake(&ch->rx_waker);
  return NX_OK;
}

int nx_spsc_try_recv(const nx_spsc_rx *rx, void *out) {
  if (rx == NULL || rx->ch_ == NULL) return NX_EINVAL;
  nx_spsc *ch = rx->ch_;
  if (out == NULL && ch->elem != 0) return NX_EINVAL;
  if (!nx_spsc_pop(ch, out, NX_POP_TAKE)) {
    if (!atomic_load_explicit(&ch->tx_closed, memory_order_acquire)) return NX_EAGAIN;
    if (!nx_spsc_pop(ch, out, NX_POP_TAKE)) return NX_EPIPE;
  }
  nx__atomic_waker_wake(&ch->tx_waker);
  return NX_OK;
}

int nx_spsc_recv_poll(const nx_spsc_rx *rx, nx_cx *cx, void *out) {
  if (!nx__cx_in_poll(cx)) return NX_EINVAL;
  int rc = nx_spsc_try_recv(rx, out);
  if (rc != NX_EAGAIN) return rc == NX_OK ? NX_READY : rc;
  nx_waker self = {cx->task};
  nx__atomic_waker_register(&rx->ch_->rx_waker, &self);
  rc = nx_spsc_try_recv(rx, out); /* the re-check */
  if (rc != NX_EAGAIN) return rc == NX_OK ? NX_READY : rc;
  return NX_PENDING;
}

int nx_spsc_send_init(nx_spsc_send *s, const nx_spsc_tx *tx, const void *value) {
  if (s == NULL) return NX_EINVAL;
  memset(s, 0, sizeof *s);
  if (tx == NULL || tx->ch_ == NULL || (value == NULL && tx->ch_->elem != 0)) return NX_EINVAL;
  s->ch_ = tx->ch_;
  s->value_ = value;
  return NX_OK;
}

int nx_spsc_send_poll(nx_spsc_send *s, nx_cx *cx) {
  if (s == NULL || !nx__cx_in_poll(cx) || s->ch_ == NULL) return NX_EINVAL;
  if (s->done_) return NX_READY;
  nx_spsc_tx tx = {s->ch_};
  int rc = nx_spsc_try_send(&tx, s->value_);
  if (rc == NX_EAGAIN) {
    nx_waker self = {cx->task};
    nx__atomic_waker_register(&s->ch_->tx_waker, &self);
    s->registered_ = 1;
    rc = nx_spsc_try_send(&tx, s->value_); /* the re-check */
    if (rc == NX_EAGAIN) return NX_PENDING;
  }
  if (rc != NX_OK) return rc;
  s->done_ = 1;
  return NX_READY;
}

void nx_spsc_send_drop(nx_spsc_send *s) {
  if (s == NULL || s->ch_ == NULL) return;
  if (s->registered_) nx__atomic_waker_clear(&s->ch_->tx_waker);
  s->registered_ = 0;
  s->ch_ = NULL;
}

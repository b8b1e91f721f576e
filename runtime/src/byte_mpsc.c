/* The MPSC byte-record channel: producers on any threads, one receiver (a
 * task). Records are variable-length and written in place (byte_ring.h).
 *
 * Producers reserve room with a CAS on `tail` (lock-free); each record's
 * header is one atomic 64-bit word, 0 until the producer publishes it with
 * a release store: COMMITTED (the receiver takes it), ABORTED or PAD (the
 * receiver skips it). The receiver reads the header at `head` with an
 * acquire load: 0 means "nothing yet" (empty, or claimed and not yet
 * committed: later records wait behind it, so records come out in claim
 * order). For that to hold, free room must read as zero: the receiver zeroes
 * what it frees before its release store of `head`, and a producer writes
 * there only after its acquire load of `head` showed the room free (as
 * Aeron's many-to-one ring does). A producer never writes the first word of
 * its room except as that header, so the receiver's loads race only with
 * the header stores.
 *
 * Receiver wake: a producer publishes, then wakes the atomic waker; the
 * receiver registers, then reads again (atomic_waker.c has the argument).
 * Closing: the last sender's decrement of `senders` comes before its wake,
 * and the receiver reads `senders` after registering.
 *
 * Waiting producers (no room) wait in a FIFO list under a mutex, as the
 * typed MPSC channel's senders do (channel_mpsc.c explains why both sides
 * touch `nwaiting` with a read-modify-write). The receiver wakes the first
 * after it frees room; a woken producer that gets its room wakes the next
 * (the room may fit it too), one that does not keeps its place at the front.
 */
#include "byte_ring.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

/* Header states (the high 32 bits; the low 32 are the length). */
enum { NX_BREC_COMMITTED = 1, NX_BREC_ABORTED = 2, NX_BREC_PAD = 3 };

/* nx_mpsc_bytes_claim.owner_ (the polling task's view) and .state_ (under
 * the lock while queued). */
enum { NX_MBC_IDLE = 1, NX_MBC_QUEUED };
enum { NX_MBC_WAITING = 1, NX_MBC_WOKEN };

struct nx_mpsc_bytes {
  alignas(64) _Atomic size_t tail; /* producers */
  alignas(64) _Atomic size_t head; /* the receiver */
  alignas(64) nx_atomic_waker rx_waker;
  alignas(64) _Atomic size_t nwaiting;
  pthread_mutex_t lock; /* the wait list */
  nx_mpsc_bytes_claim *wait_head, *wait_tail;
  alignas(64) size_t cap; /* read-mostly from here on */
  unsigned char *buf;
  _Atomic int rx_closed;
  _Atomic size_t senders;
  _Atomic size_t refs;
};

static inline _Atomic uint64_t *nx_mpsc_hdr(nx_mpsc_bytes *ch, size_t pos) {
  return (_Atomic uint64_t *)(void *)(ch->buf + (pos & (ch->cap - 1)));
}

static inline void nx_mpsc_publish(nx_mpsc_bytes *ch, size_t pos, unsigned state, size_t len) {
  atomic_store_explicit(nx_mpsc_hdr(ch, pos), (uint64_t)state << 32 | (uint32_t)len,
                        memory_order_release);
}

static void nx_mpsc_bytes_unref(nx_mpsc_bytes *ch) {
  if (atomic_fetch_sub_explicit(&ch->refs, 1, memory_order_acq_rel) != 1) return;
  nx__atomic_waker_clear(&ch->rx_waker);
  pthread_mutex_destroy(&ch->lock);
  free(ch->buf);
  free(ch);
}

int nx_mpsc_bytes_create(size_t capacity, nx_mpsc_bytes_tx *tx, nx_mpsc_bytes_rx *rx) {
  if (tx == NULL || rx == NULL) return NX_EINVAL;
  memset(tx, 0, sizeof *tx);
  memset(rx, 0, sizeof *rx);
  size_t cap = nx__bring_capacity(capacity);
  if (cap == 0) return NX_EINVAL;
  nx_mpsc_bytes *ch = aligned_alloc(64, sizeof *ch);
  if (ch == NULL) return NX_ENOMEM;
  memset(ch, 0, sizeof *ch);
  ch->buf = aligned_alloc(64, cap);
  if (ch->buf == NULL) {
    free(ch);
    return NX_ENOMEM;
  }
  memset(ch->buf, 0, cap); /* free room reads as zero */
  ch->cap = cap;
  atomic_init(&ch->tail, 0);
  atomic_init(&ch->head, 0);
  atomic_init(&ch->nwaiting, 0);
  atomic_init(&ch->rx_closed, 0);
  atomic_init(&ch->senders, 1);
  atomic_init(&ch->refs, 2);
  nx__atomic_waker_init(&ch->rx_waker);
  pthread_mutex_init(&ch->lock, NULL);
  tx->ch_ = rx->ch_ = ch;
  return NX_OK;
}

size_t nx_mpsc_bytes_max_record(const nx_mpsc_bytes_tx *tx) {
  return tx != NULL && tx->ch_ != NULL ? nx__brec_max(tx->ch_->cap) : 0;
}

int nx_mpsc_bytes_tx_clone(const nx_mpsc_bytes_tx *tx, nx_mpsc_bytes_tx *out) {
  if (tx == NULL || out == NULL || tx->ch_ == NULL) return NX_EINVAL;
  /* Relaxed: the caller's handle keeps the channel alive. */
  atomic_fetch_add_explicit(&tx->ch_->senders, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&tx->ch_->refs, 1, memory_order_relaxed);
  out->ch_ = tx->ch_;
  out->claims_ = 0;
  return NX_OK;
}

/* ------------------------------------------------------------------------ */
/* Waiting producers                                                        */
/* ------------------------------------------------------------------------ */

static void nx_mbc_unlink(nx_mpsc_bytes *ch, nx_mpsc_bytes_claim *f) {
  if (f->prev_) f->prev_->next_ = f->next_;
  else ch->wait_head = f->next_;
  if (f->next_) f->next_->prev_ = f->prev_;
  else ch->wait_tail = f->prev_;
  f->prev_ = f->next_ = NULL;
  atomic_fetch_sub_explicit(&ch->nwaiting, 1, memory_order_relaxed);
}

/* Under the lock: wake the first waiting producer. */
static void nx_mbc_wake_first_locked(nx_mpsc_bytes *ch) {
  nx_mpsc_bytes_claim *f = ch->wait_head;
  if (f == NULL) return;
  nx_mbc_unlink(ch, f);
  f->state_ = NX_MBC_WOKEN;
  nx_waker_wake_by_ref(&f->waker_);
}

/* Room was freed (or a woken producer passes its wake on). */
static void nx_mpsc_bytes_room(nx_mpsc_bytes *ch) {
  if (atomic_fetch_add_explicit(&ch->nwaiting, 0, memory_order_acq_rel) == 0) return;
  pthread_mutex_lock(&ch->lock);
  nx_mbc_wake_first_locked(ch);
  pthread_mutex_unlock(&ch->lock);
}

/* ------------------------------------------------------------------------ */
/* Handles                                                                  */
/* ------------------------------------------------------------------------ */

int nx_mpsc_bytes_tx_close(nx_mpsc_bytes_tx *tx) {
  if (tx == NULL || tx->ch_ == NULL) return NX_EINVAL;
  if (tx->claims_ != 0) return NX_EBUSY;
  nx_mpsc_bytes *ch = tx->ch_;
  tx->ch_ = NULL;
  /* acq_rel: every sender's commits happen-before the receiver's load of 0. */
  if (atomic_fetch_sub_explicit(&ch->senders, 1, memory_order_acq_rel) == 1)
    nx__atomic_waker_wake(&ch->rx_waker);
  nx_mpsc_bytes_unref(ch);
  return NX_OK;
}

int nx_mpsc_bytes_rx_close(nx_mpsc_bytes_rx *rx) {
  if (rx == NULL || rx->ch_ == NULL) return NX_EINVAL;
  if (rx->held_ != 0) return NX_EBUSY;
  nx_mpsc_bytes *ch = rx->ch_;
  rx->ch_ = NULL;
  atomic_store_explicit(&ch->rx_closed, 1, memory_order_seq_cst);
  /* A producer that queues after this sees rx_closed (the lock orders it);
   * one queued before is woken here and sees it on its next poll. */
  pthread_mutex_lock(&ch->lock);
  while (ch->wait_head != NULL) nx_mbc_wake_first_locked(ch);
  pthread_mutex_unlock(&ch->lock);
  nx__atomic_waker_clear(&ch->rx_waker);
  nx_mpsc_bytes_unref(ch);
  return NX_OK;
}

/* ------------------------------------------------------------------------ */
/* Producing                                                                */
/* ------------------------------------------------------------------------ */

int nx_mpsc_bytes_try_claim(nx_mpsc_bytes_tx *tx, size_t len, nx_byte_claim *c) {
  if (tx == NULL || tx->ch_ == NULL || c == NULL) return NX_EINVAL;
  nx_mpsc_bytes *ch = tx->ch_;
  if (len > nx__brec_max(ch->cap)) return NX_E2BIG;
  if (atomic_load_explicit(&ch->rx_closed, memory_order_acquire)) return NX_EPIPE;
  size_t size = nx__brec_size(len);
  size_t t = atomic_load_explicit(&ch->tail, memory_order_relaxed), need;
  for (;;) {
    need = nx__brec_pad(t, ch->cap, size) + size;
    size_t h = atomic_load_explicit(&ch->head, memory_order_acquire);
    if (h > t) { /* our tail is stale (others claimed, the receiver freed) */
      t = atomic_load_explicit(&ch->tail, memory_order_relaxed);
      continue;
    }
    if (t + need - h > ch->cap) return NX_EAGAIN;
    if (atomic_compare_exchange_weak_explicit(&ch->tail, &t, t + need, memory_order_relaxed,
                                              memory_order_relaxed))
      break;
  }
  size_t pad = need - size;
  if (pad != 0) nx_mpsc_publish(ch, t, NX_BREC_PAD, pad - NX_BREC_HEADER);
  nx__bclaim_fill(c, NX_BYTES_MPSC, ch, &tx->claims_,
                  (unsigned char *)nx_mpsc_hdr(ch, t + pad) + NX_BREC_HEADER, len, t + pad, size);
  return NX_OK;
}

int nx__mpsc_bytes_commit(nx_byte_claim *c) {
  nx_mpsc_bytes *ch = c->ch_;
  nx_mpsc_publish(ch, c->pos_, NX_BREC_COMMITTED, c->len);
  nx__atomic_waker_wake(&ch->rx_waker);
  return atomic_load_explicit(&ch->rx_closed, memory_order_acquire) ? NX_EPIPE : NX_OK;
}

void nx__mpsc_bytes_abort(nx_byte_claim *c) {
  nx_mpsc_bytes *ch = c->ch_;
  nx_mpsc_publish(ch, c->pos_, NX_BREC_ABORTED, c->len);
  nx__atomic_waker_wake(&ch->rx_waker); /* the records behind it may be ready */
}

/* ------------------------------------------------------------------------ */
/* Receiving                                                                */
/* ------------------------------------------------------------------------ */

/* Zeroes `size` bytes at head and frees them. */
static void nx_mpsc_bytes_free(nx_mpsc_bytes *ch, size_t size) {
  size_t h = atomic_load_explicit(&ch->head, memory_order_relaxed);
  memset(ch->buf + (h & (ch->cap - 1)), 0, size);
  atomic_store_explicit(&ch->head, h + size, memory_order_release);
  nx_mpsc_bytes_room(ch);
}

void nx__mpsc_bytes_release(nx_byte_record *r) { nx_mpsc_bytes_free(r->ch_, r->size_); }

/* The header word of the next committed record (aborted ones and pads
 * skipped), or 0 if none is published yet. */
static uint64_t nx_mpsc_bytes_next(nx_mpsc_bytes *ch) {
  for (;;) {
    size_t h = atomic_load_explicit(&ch->head, memory_order_relaxed);
    uint64_t w = atomic_load_explicit(nx_mpsc_hdr(ch, h), memory_order_acquire);
    unsigned state = (unsigned)(w >> 32);
    size_t len = (uint32_t)w;
    if (w == 0 || state == NX_BREC_COMMITTED) return w;
    nx_mpsc_bytes_free(ch, state == NX_BREC_PAD ? NX_BREC_HEADER + len : nx__brec_size(len));
  }
}

int nx_mpsc_bytes_try_recv(nx_mpsc_bytes_rx *rx, nx_byte_record *r) {
  if (rx == NULL || rx->ch_ == NULL || r == NULL) return NX_EINVAL;
  if (rx->held_ != 0) return NX_EBUSY;
  nx_mpsc_bytes *ch = rx->ch_;
  uint64_t w = nx_mpsc_bytes_next(ch);
  if (w == 0) {
    if (atomic_load_explicit(&ch->senders, memory_order_acquire) != 0) return NX_EAGAIN;
    /* Every sender closed (none can hold a claim), and its commits are
     * visible now. */
    if ((w = nx_mpsc_bytes_next(ch)) == 0) return NX_EPIPE;
  }
  size_t h = atomic_load_explicit(&ch->head, memory_order_relaxed);
  size_t len = (uint32_t)w;
  nx__brecord_fill(r, NX_BYTES_MPSC, ch, &rx->held_,
                   (unsigned char *)nx_mpsc_hdr(ch, h) + NX_BREC_HEADER, len, nx__brec_size(len));
  return NX_OK;
}

int nx_mpsc_bytes_recv_poll(nx_mpsc_bytes_rx *rx, nx_cx *cx, nx_byte_record *r) {
  if (cx == NULL) return NX_EINVAL;
  int rc = nx_mpsc_bytes_try_recv(rx, r);
  if (rc == NX_EAGAIN) {
    nx__bwait_register(&rx->ch_->rx_waker, cx);
    rc = nx_mpsc_bytes_try_recv(rx, r); /* the re-check */
  }
  return nx__btry_to_poll(rc);
}

/* ------------------------------------------------------------------------ */
/* The claim future                                                         */
/* ------------------------------------------------------------------------ */

int nx_mpsc_bytes_claim_init(nx_mpsc_bytes_claim *f, nx_mpsc_bytes_tx *tx, size_t len) {
  if (f == NULL) return NX_EINVAL;
  memset(f, 0, sizeof *f);
  if (tx == NULL || tx->ch_ == NULL) return NX_EINVAL;
  if (len > nx__brec_max(tx->ch_->cap)) return NX_E2BIG;
  f->tx_ = tx;
  f->len_ = len;
  f->owner_ = NX_MBC_IDLE;
  return NX_OK;
}

/* Leaves the wait list (if on it) and empties the future. A producer that
 * was woken for room and did not take it (`pass_on`) wakes the next one. */
static void nx_mbc_leave(nx_mpsc_bytes_claim *f, int pass_on) {
  nx_mpsc_bytes *ch = f->tx_->ch_;
  nx_waker w;
  if (f->owner_ == NX_MBC_QUEUED) {
    f->tx_->claims_--;
    pthread_mutex_lock(&ch->lock);
    if (f->state_ == NX_MBC_WAITING) nx_mbc_unlink(ch, f);
    else if (f->state_ == NX_MBC_WOKEN && pass_on) nx_mbc_wake_first_locked(ch);
    w = f->waker_;
    f->waker_.task = NULL;
    pthread_mutex_unlock(&ch->lock);
  } else {
    w = f->waker_;
    f->waker_.task = NULL;
  }
  memset(f, 0, sizeof *f);
  nx_waker_drop(&w);
}

/* Finishes the future with `rc` from try_claim. After a successful claim
 * the next waiting producer may fit in what is left: wake it to see. */
static int nx_mbc_finish(nx_mpsc_bytes_claim *f, int rc) {
  nx_mpsc_bytes *ch = f->tx_->ch_;
  nx_mbc_leave(f, 0);
  if (rc == NX_OK) nx_mpsc_bytes_room(ch);
  return rc == NX_OK ? NX_READY : rc;
}

int nx_mpsc_bytes_claim_poll(nx_mpsc_bytes_claim *f, nx_cx *cx, nx_byte_claim *c) {
  if (f == NULL || cx == NULL || c == NULL || f->tx_ == NULL || f->tx_->ch_ == NULL)
    return NX_EINVAL;
  nx_mpsc_bytes *ch = f->tx_->ch_;
  int rc = nx_mpsc_bytes_try_claim(f->tx_, f->len_, c);
  if (rc != NX_EAGAIN) return nx_mbc_finish(f, rc);
  pthread_mutex_lock(&ch->lock);
  if (f->owner_ != NX_MBC_QUEUED || f->state_ != NX_MBC_WAITING) {
    if (f->owner_ == NX_MBC_QUEUED && f->state_ == NX_MBC_WOKEN) {
      /* woken, and still no room: keep the turn at the front */
      f->prev_ = NULL;
      f->next_ = ch->wait_head;
      if (ch->wait_head) ch->wait_head->prev_ = f;
      else ch->wait_tail = f;
      ch->wait_head = f;
    } else {
      f->tx_->claims_++; /* a queued future keeps its sender from closing */
      f->prev_ = ch->wait_tail;
      f->next_ = NULL;
      if (ch->wait_tail) ch->wait_tail->next_ = f;
      else ch->wait_head = f;
      ch->wait_tail = f;
    }
    f->state_ = NX_MBC_WAITING;
    f->owner_ = NX_MBC_QUEUED;
    atomic_fetch_add_explicit(&ch->nwaiting, 1, memory_order_acq_rel); /* see the top */
  }
  nx__waker_store(&f->waker_, cx);
  pthread_mutex_unlock(&ch->lock);
  rc = nx_mpsc_bytes_try_claim(f->tx_, f->len_, c); /* the re-check */
  if (rc != NX_EAGAIN) return nx_mbc_finish(f, rc);
  return NX_PENDING;
}

void nx_mpsc_bytes_claim_drop(nx_mpsc_bytes_claim *f) {
  if (f == NULL || f->tx_ == NULL || f->tx_->ch_ == NULL) {
    if (f != NULL) memset(f, 0, sizeof *f);
    return;
  }
  nx_mbc_leave(f, 1);
}

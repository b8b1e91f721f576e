/* The SPSC byte-record channel: one producer on any thread, one receiver
 * (a task). Records are variable-length and written in place (byte_ring.h).
 *
 * A Lamport ring over bytes: the producer owns `tail` (the end of the
 * committed records), the receiver owns `head` (the start of the unfreed
 * ones). A claim is private room past `tail`; commit writes the header(s)
 * and publishes with a release store of `tail`, so everything in [head,
 * tail) is complete when the receiver's acquire load sees it, and an abort
 * just never publishes. One open claim at a time keeps records in order.
 * Each side caches the other's index and reloads it only when the ring
 * looks full (producer) or empty (receiver).
 *
 * Wakes go through atomic wakers, as in the typed SPSC channel
 * (channel_spsc.c; atomic_waker.c has the argument): a side publishes, then
 * wakes; a waiting side registers, then checks again.
 */
#include "byte_ring.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

typedef struct nx_spsc_brec {
  uint32_t len;
  uint32_t pad; /* 1: a pad record (skip `len` bytes after the header) */
} nx_spsc_brec;

struct nx_spsc_bytes {
  alignas(64) _Atomic size_t tail; /* producer writes */
  size_t head_cache;
  alignas(64) _Atomic size_t head; /* receiver writes */
  size_t tail_cache;
  alignas(64) nx_atomic_waker rx_waker;
  alignas(64) nx_atomic_waker tx_waker;
  alignas(64) size_t cap; /* read-mostly from here on */
  unsigned char *buf;
  _Atomic int tx_closed, rx_closed;
  _Atomic int refs;
};

static inline nx_spsc_brec *nx_spsc_hdr(nx_spsc_bytes *ch, size_t pos) {
  return (nx_spsc_brec *)(void *)(ch->buf + (pos & (ch->cap - 1)));
}

static void nx_spsc_bytes_unref(nx_spsc_bytes *ch) {
  if (atomic_fetch_sub_explicit(&ch->refs, 1, memory_order_acq_rel) != 1) return;
  nx__atomic_waker_clear(&ch->rx_waker);
  nx__atomic_waker_clear(&ch->tx_waker);
  free(ch->buf);
  free(ch);
}

int nx_spsc_bytes_create(size_t capacity, nx_spsc_bytes_tx *tx, nx_spsc_bytes_rx *rx) {
  if (tx == NULL || rx == NULL) return NX_EINVAL;
  memset(tx, 0, sizeof *tx);
  memset(rx, 0, sizeof *rx);
  size_t cap = nx__bring_capacity(capacity);
  if (cap == 0) return NX_EINVAL;
  nx_spsc_bytes *ch = aligned_alloc(64, sizeof *ch);
  if (ch == NULL) return NX_ENOMEM;
  memset(ch, 0, sizeof *ch);
  ch->buf = aligned_alloc(64, cap);
  if (ch->buf == NULL) {
    free(ch);
    return NX_ENOMEM;
  }
  ch->cap = cap;
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

size_t nx_spsc_bytes_max_record(const nx_spsc_bytes_tx *tx) {
  return tx != NULL && tx->ch_ != NULL ? nx__brec_max(tx->ch_->cap) : 0;
}

int nx_spsc_bytes_tx_close(nx_spsc_bytes_tx *tx) {
  if (tx == NULL || tx->ch_ == NULL) return NX_EINVAL;
  if (tx->claims_ != 0) return NX_EBUSY;
  nx_spsc_bytes *ch = tx->ch_;
  tx->ch_ = NULL;
  atomic_store_explicit(&ch->tx_closed, 1, memory_order_release);
  nx__atomic_waker_wake(&ch->rx_waker);
  nx__atomic_waker_clear(&ch->tx_waker);
  nx_spsc_bytes_unref(ch);
  return NX_OK;
}

int nx_spsc_bytes_rx_close(nx_spsc_bytes_rx *rx) {
  if (rx == NULL || rx->ch_ == NULL) return NX_EINVAL;
  if (rx->held_ != 0) return NX_EBUSY;
  nx_spsc_bytes *ch = rx->ch_;
  rx->ch_ = NULL;
  atomic_store_explicit(&ch->rx_closed, 1, memory_order_release);
  nx__atomic_waker_wake(&ch->tx_waker);
  nx__atomic_waker_clear(&ch->rx_waker);
  nx_spsc_bytes_unref(ch);
  return NX_OK;
}

int nx_spsc_bytes_try_claim(nx_spsc_bytes_tx *tx, size_t len, nx_byte_claim *c) {
  if (tx == NULL || tx->ch_ == NULL || c == NULL) return NX_EINVAL;
  nx_spsc_bytes *ch = tx->ch_;
  if (len > nx__brec_max(ch->cap)) return NX_E2BIG;
  if (tx->claims_ != 0) return NX_EBUSY;
  if (atomic_load_explicit(&ch->rx_closed, memory_order_acquire)) return NX_EPIPE;
  size_t t = atomic_load_explicit(&ch->tail, memory_order_relaxed);
  size_t size = nx__brec_size(len);
  size_t need = nx__brec_pad(t, ch->cap, size) + size;
  if (t + need - ch->head_cache > ch->cap) {
    ch->head_cache = atomic_load_explicit(&ch->head, memory_order_acquire);
    if (t + need - ch->head_cache > ch->cap) return NX_EAGAIN;
  }
  size_t pos = t + need - size;
  nx__bclaim_fill(c, NX_BYTES_SPSC, ch, &tx->claims_, nx_spsc_hdr(ch, pos) + 1, len, t, need);
  return NX_OK;
}

int nx__spsc_bytes_commit(nx_byte_claim *c) {
  nx_spsc_bytes *ch = c->ch_;
  size_t size = nx__brec_size(c->len), pad = c->size_ - size;
  if (pad != 0) *nx_spsc_hdr(ch, c->pos_) = (nx_spsc_brec){(uint32_t)(pad - NX_BREC_HEADER), 1};
  *nx_spsc_hdr(ch, c->pos_ + pad) = (nx_spsc_brec){(uint32_t)c->len, 0};
  atomic_store_explicit(&ch->tail, c->pos_ + c->size_, memory_order_release);
  nx__atomic_waker_wake(&ch->rx_waker);
  return atomic_load_explicit(&ch->rx_closed, memory_order_acquire) ? NX_EPIPE : NX_OK;
}

void nx__spsc_bytes_abort(nx_byte_claim *c) { (void)c; /* never published */ }

/* Frees `size` bytes at head and tells a waiting producer. */
static void nx_spsc_bytes_free(nx_spsc_bytes *ch, size_t size) {
  size_t h = atomic_load_explicit(&ch->head, memory_order_relaxed);
  atomic_store_explicit(&ch->head, h + size, memory_order_release);
  nx__atomic_waker_wake(&ch->tx_waker);
}

void nx__spsc_bytes_release(nx_byte_record *r) { nx_spsc_bytes_free(r->ch_, r->size_); }

/* The next record (pads skipped): 1 with *out, or 0 if none is published. */
static int nx_spsc_bytes_next(nx_spsc_bytes *ch, nx_spsc_brec **out) {
  for (;;) {
    size_t h = atomic_load_explicit(&ch->head, memory_order_relaxed);
    if (h == ch->tail_cache) {
      ch->tail_cache = atomic_load_explicit(&ch->tail, memory_order_acquire);
      if (h == ch->tail_cache) return 0;
    }
    nx_spsc_brec *hdr = nx_spsc_hdr(ch, h);
    if (!hdr->pad) {
      *out = hdr;
      return 1;
    }
    nx_spsc_bytes_free(ch, NX_BREC_HEADER + hdr->len);
  }
}

int nx_spsc_bytes_try_recv(nx_spsc_bytes_rx *rx, nx_byte_record *r) {
  if (rx == NULL || rx->ch_ == NULL || r == NULL) return NX_EINVAL;
  if (rx->held_ != 0) return NX_EBUSY;
  nx_spsc_bytes *ch = rx->ch_;
  nx_spsc_brec *hdr;
  if (!nx_spsc_bytes_next(ch, &hdr)) {
    if (!atomic_load_explicit(&ch->tx_closed, memory_order_acquire)) return NX_EAGAIN;
    if (!nx_spsc_bytes_next(ch, &hdr)) return NX_EPIPE; /* the last commits are visible now */
  }
  nx__brecord_fill(r, NX_BYTES_SPSC, ch, &rx->held_, hdr + 1, hdr->len, nx__brec_size(hdr->len));
  return NX_OK;
}

int nx_spsc_bytes_recv_poll(nx_spsc_bytes_rx *rx, nx_cx *cx, nx_byte_record *r) {
  if (cx == NULL) return NX_EINVAL;
  int rc = nx_spsc_bytes_try_recv(rx, r);
  if (rc == NX_EAGAIN) {
    nx__bwait_register(&rx->ch_->rx_waker, cx);
    rc = nx_spsc_bytes_try_recv(rx, r); /* the re-check */
  }
  return nx__btry_to_poll(rc);
}

int nx_spsc_bytes_claim_init(nx_spsc_bytes_claim *f, nx_spsc_bytes_tx *tx, size_t len) {
  if (f == NULL) return NX_EINVAL;
  memset(f, 0, sizeof *f);
  if (tx == NULL || tx->ch_ == NULL) return NX_EINVAL;
  if (len > nx__brec_max(tx->ch_->cap)) return NX_E2BIG;
  f->tx_ = tx;
  f->len_ = len;
  return NX_OK;
}

int nx_spsc_bytes_claim_poll(nx_spsc_bytes_claim *f, nx_cx *cx, nx_byte_claim *c) {
  if (f == NULL || cx == NULL || f->tx_ == NULL || f->tx_->ch_ == NULL) return NX_EINVAL;
  int rc = nx_spsc_bytes_try_claim(f->tx_, f->len_, c);
  if (rc == NX_EAGAIN) {
    nx__bwait_register(&f->tx_->ch_->tx_waker, cx);
    f->registered_ = 1;
    rc = nx_spsc_bytes_try_claim(f->tx_, f->len_, c); /* the re-check */
    if (rc == NX_EAGAIN) return NX_PENDING;
  }
  nx_spsc_bytes_claim_drop(f); /* done: the future is empty */
  return nx__btry_to_poll(rc);
}

void nx_spsc_bytes_claim_drop(nx_spsc_bytes_claim *f) {
  if (f == NULL || f->tx_ == NULL) return;
  if (f->registered_ && f->tx_->ch_ != NULL) nx__atomic_waker_clear(&f->tx_->ch_->tx_waker);
  memset(f, 0, sizeof *f);
}

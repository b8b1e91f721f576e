/* The local channel: one thread, a bounded ring, senders that wait for room.
 *
 * Fairness: waiting senders form a FIFO list. When the receiver takes a
 * value it promises the freed slot to the first waiting sender (`reserved`
 * counts such promises) and wakes it; try_send and newly arriving senders see
 * promised slots as taken, so a waiting sender cannot be overtaken. If a
 * sender is dropped while holding a promise, the promise passes to the next
 * waiting sender (the seed lost that wake). Everything runs on one thread, so
 * there is no lost-wakeup window: a poll that finds no value stores its waker
 * before any other code can run.
 */
#include "services.h"

#include <stdlib.h>
#include <string.h>

/* nx_local_send.state_ (0: never initialized) */
enum { NX_LS_IDLE = 1, NX_LS_WAITING, NX_LS_PROMISED, NX_LS_DONE };

struct nx_local_chan {
  unsigned char *buf;
  size_t cap, elem, head, len, reserved;
  nx_value_drop_fn drop;
  size_t senders;
  int rx_open;
  nx_waker rx_waker;
  nx_local_send *wait_head, *wait_tail;
};

static inline unsigned char *nx_lc_slot(nx_local_chan *ch, size_t i) {
  return ch->buf + ((ch->head + i) % ch->cap) * ch->elem;
}

static void nx_lc_drop_values(nx_local_chan *ch) {
  while (ch->len != 0) {
    unsigned char *v = nx_lc_slot(ch, 0);
    ch->head = (ch->head + 1) % ch->cap;
    ch->len--;
    if (ch->drop) ch->drop(v);
  }
}

static void nx_lc_free_if_unused(nx_local_chan *ch) {
  if (ch->senders != 0 || ch->rx_open) return;
  nx_lc_drop_values(ch);
  nx_waker_drop(&ch->rx_waker);
  free(ch->buf);
  free(ch);
}

int nx_local_chan_create(size_t capacity, size_t elem_size, nx_value_drop_fn drop,
                         nx_local_tx *tx, nx_local_rx *rx) {
  if (tx == NULL || rx == NULL) return NX_EINVAL;
  tx->ch_ = NULL;
  rx->ch_ = NULL;
  if (capacity == 0 || (elem_size != 0 && capacity > SIZE_MAX / 2 / elem_size)) return NX_EINVAL;
  nx_local_chan *ch = calloc(1, sizeof *ch);
  if (ch == NULL) return NX_ENOMEM;
  ch->buf = malloc(elem_size ? capacity * elem_size : 1);
  if (ch->buf == NULL) {
    free(ch);
    return NX_ENOMEM;
  }
  ch->cap = capacity;
  ch->elem = elem_size;
  ch->drop = drop;
  ch->senders = 1;
  ch->rx_open = 1;
  tx->ch_ = rx->ch_ = ch;
  return NX_OK;
}

int nx_local_tx_clone(const nx_local_tx *tx, nx_local_tx *out) {
  if (tx == NULL || out == NULL || tx->ch_ == NULL) return NX_EINVAL;
  tx->ch_->senders++;
  out->ch_ = tx->ch_;
  return NX_OK;
}

void nx_local_tx_close(nx_local_tx *tx) {
  if (tx == NULL || tx->ch_ == NULL) return;
  nx_local_chan *ch = tx->ch_;
  tx->ch_ = NULL;
  if (--ch->senders == 0) nx_waker_wake(&ch->rx_waker);
  nx_lc_free_if_unused(ch);
}

static void nx_lc_unlink(nx_local_chan *ch, nx_local_send *s) {
  if (s->prev_) s->prev_->next_ = s->next_;
  else ch->wait_head = s->next_;
  if (s->next_) s->next_->prev_ = s->prev_;
  else ch->wait_tail = s->prev_;
  s->prev_ = s->next_ = NULL;
}

/* A slot became free (or a promise was given back): promise it to the first
 * waiting sender. */
static void nx_lc_promise_next(nx_local_chan *ch) {
  nx_local_send *w = ch->wait_head;
  if (w == NULL || ch->len + ch->reserved >= ch->cap) return;
  nx_lc_unlink(ch, w);
  w->state_ = NX_LS_PROMISED;
  ch->reserved++;
  nx_waker_wake_by_ref(&w->waker_);
}

void nx_local_rx_close(nx_local_rx *rx) {
  if (rx == NULL || rx->ch_ == NULL) return;
  nx_local_chan *ch = rx->ch_;
  rx->ch_ = NULL;
  ch->rx_open = 0;
  nx_lc_drop_values(ch);
  nx_waker_drop(&ch->rx_waker);
  /* Every waiting sender wakes to NX_EPIPE. Promised ones are not listed:
   * their promise is void, and their next poll sees the close too. */
  ch->reserved = 0;
  while (ch->wait_head != NULL) {
    nx_local_send *w = ch->wait_head;
    nx_lc_unlink(ch, w);
    w->state_ = NX_LS_IDLE;
    nx_waker_wake_by_ref(&w->waker_);
  }
  nx_lc_free_if_unused(ch);
}

static inline void nx_lc_push(nx_local_chan *ch, const void *value) {
  if (ch->elem) memcpy(nx_lc_slot(ch, ch->len), value, ch->elem);
  ch->len++;
  nx_waker_wake(&ch->rx_waker);
}

int nx_local_try_send(const nx_local_tx *tx, const void *value) {
  if (tx == NULL || tx->ch_ == NULL) return NX_EINVAL;
  nx_local_chan *ch = tx->ch_;
  if (value == NULL && ch->elem != 0) return NX_EINVAL;
  if (!ch->rx_open) return NX_EPIPE;
  if (ch->len + ch->reserved >= ch->cap) return NX_EAGAIN;
  nx_lc_push(ch, value);
  return NX_OK;
}

int nx_local_try_recv(const nx_local_rx *rx, void *out) {
  if (rx == NULL || rx->ch_ == NULL) return NX_EINVAL;
  nx_local_chan *ch = rx->ch_;
  if (out == NULL && ch->elem != 0) return NX_EINVAL;
  if (ch->len == 0) return ch->senders == 0 ? NX_EPIPE : NX_EAGAIN;
  if (ch->elem) memcpy(out, nx_lc_slot(ch, 0), ch->elem);
  ch->head = (ch->head + 1) % ch->cap;
  ch->len--;
  nx_lc_promise_next(ch);
  return NX_OK;
}

int nx_local_recv_poll(const nx_local_rx *rx, nx_cx *cx, void *out) {
  if (!nx__cx_in_poll(cx)) return NX_EINVAL;
  int rc = nx_local_try_recv(rx, out);
  if (rc == NX_OK) return NX_READY;
  if (rc != NX_EAGAIN) return rc;
  nx_local_chan *ch = rx->ch_;
  nx__waker_store(&ch->rx_waker, cx);
  return NX_PENDING;
}

size_t nx_local_len(const nx_local_rx *rx) {
  return rx != NULL && rx->ch_ != NULL ? rx->ch_->len : 0;
}

int nx_local_send_init(nx_local_send *s, const nx_local_tx *tx, const void *value) {
  if (s == NULL) return NX_EINVAL;
  memset(s, 0, sizeof *s);
  if (tx == NULL || tx->ch_ == NULL || (value == NULL && tx->ch_->elem != 0)) return NX_EINVAL;
  s->ch_ = tx->ch_;
  s->value_ = value;
  s->state_ = NX_LS_IDLE;
  return NX_OK;
}

int nx_local_send_poll(nx_local_send *s, nx_cx *cx) {
  if (s == NULL || !nx__cx_in_poll(cx) || s->ch_ == NULL || s->state_ == 0) return NX_EINVAL;
  nx_local_chan *ch = s->ch_;
  switch (s->state_) {
    case NX_LS_DONE:
      return NX_READY;
    case NX_LS_PROMISED:
      if (!ch->rx_open) break;
      ch->reserved--;
      nx_lc_push(ch, s->value_);
      s->state_ = NX_LS_DONE;
      nx_waker_drop(&s->waker_);
      return NX_READY;
    case NX_LS_IDLE:
      if (!ch->rx_open) break;
      if (ch->wait_head == NULL && ch->len + ch->reserved < ch->cap) {
        nx_lc_push(ch, s->value_);
        s->state_ = NX_LS_DONE;
        nx_waker_drop(&s->waker_);
        return NX_READY;
      }
      s->prev_ = ch->wait_tail;
      s->next_ = NULL;
      if (ch->wait_tail) ch->wait_tail->next_ = s;
      else ch->wait_head = s;
      ch->wait_tail = s;
      s->state_ = NX_LS_WAITING;
      break;
    default: /* NX_LS_WAITING: a spurious poll */
      break;
  }
  if (!ch->rx_open) {
    s->state_ = NX_LS_IDLE;
    nx_waker_drop(&s->waker_);
    return NX_EPIPE;
  }
  nx__waker_store(&s->waker_, cx);
  return NX_PENDING;
}

void nx_local_send_drop(nx_local_send *s) {
  if (s == NULL || s->ch_ == NULL) return;
  nx_local_chan *ch = s->ch_;
  if (s->state_ == NX_LS_WAITING) {
    nx_lc_unlink(ch, s);
  } else if (s->state_ == NX_LS_PROMISED && ch->rx_open) {
    ch->reserved--;
    nx_lc_promise_next(ch);
  }
  s->state_ = NX_LS_DONE;
  s->ch_ = NULL;
  nx_waker_drop(&s->waker_);
}

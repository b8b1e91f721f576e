/* What the byte-record channels (byte_spsc.c, byte_mpsc.c) share: the
 * record layout in the ring and the claim/record dispatch (byte_claim.c).
 *
 * A record is an 8-byte header, then its bytes, padded to a multiple of 8.
 * A record never wraps: when it does not fit before the end of the ring, the
 * producer fills the tail end with a pad record and starts at offset 0. The
 * largest record is half the ring, so it fits whenever the ring is empty
 * (either before the end or, after a pad, at the start).
 */
#ifndef NXRT_BYTE_RING_H
#define NXRT_BYTE_RING_H

#include "services.h"
#include "nxrt_net.h"

enum { NX_BYTES_SPSC = 1, NX_BYTES_MPSC = 2 };

#define NX_BREC_HEADER ((size_t)8)

/* Ring size for a requested capacity: a power of two in [64, 2^30], or 0. */
static inline size_t nx__bring_capacity(size_t capacity) {
  if (capacity == 0 || capacity > ((size_t)1 << 30)) return 0;
  size_t cap = 64;
  while (cap < capacity) cap <<= 1;
  return cap;
}

/* Bytes a record of `len` takes in the ring. */
static inline size_t nx__brec_size(size_t len) { return NX_BREC_HEADER + ((len + 7) & ~(size_t)7); }

/* The largest record a ring of `cap` bytes takes. */
static inline size_t nx__brec_max(size_t cap) { return cap / 2 - NX_BREC_HEADER; }

/* Pad needed before a record of `size` bytes at ring position `pos`. */
static inline size_t nx__brec_pad(size_t pos, size_t cap, size_t size) {
  size_t room = cap - (pos & (cap - 1));
  return room < size ? room : 0;
}

/* The waiting side's step both channels take (receive, and the SPSC
 * claim): `rc` is its first try; on NX_EAGAIN the task's waker goes into
 * `aw` and the caller tries again (the re-check: a publish that came before
 * the registration is seen then, one after it wakes the task; see
 * atomic_waker.c). */
static inline void nx__bwait_register(nx_atomic_waker *aw, nx_cx *cx) {
  nx_waker self = {cx->task};
  nx__atomic_waker_register(aw, &self);
}

/* A poll's answer from a try's: NX_OK is READY, NX_EAGAIN is PENDING. */
static inline int nx__btry_to_poll(int rc) {
  return rc == NX_OK ? NX_READY : rc == NX_EAGAIN ? NX_PENDING : rc;
}

/* Implemented by each channel, called through nx_byte_claim_commit & co. */
int nx__spsc_bytes_commit(nx_byte_claim *c);
void nx__spsc_bytes_abort(nx_byte_claim *c);
void nx__spsc_bytes_release(nx_byte_record *r);
int nx__mpsc_bytes_commit(nx_byte_claim *c);
void nx__mpsc_bytes_abort(nx_byte_claim *c);
void nx__mpsc_bytes_release(nx_byte_record *r);

/* Fills a claim / record and counts it in its handle. */
static inline void nx__bclaim_fill(nx_byte_claim *c, int kind, void *ch, unsigned *claims,
                                   void *data, size_t len, size_t pos, size_t size) {
  c->data = data;
  c->len = len;
  c->ch_ = ch;
  c->claims_ = claims;
  c->pos_ = pos;
  c->size_ = size;
  c->kind_ = kind;
  (*claims)++;
}

static inline void nx__brecord_fill(nx_byte_record *r, int kind, void *ch, unsigned *held,
                                    void *data, size_t len, size_t size) {
  r->data = data;
  r->len = len;
  r->ch_ = ch;
  r->held_ = held;
  r->size_ = size;
  r->kind_ = kind;
  *held = 1;
}

#endif /* NXRT_BYTE_RING_H */

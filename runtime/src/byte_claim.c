/* Commit, abort and release for both byte-record channels: a claim or a
 * record knows which channel kind it came from. Emptying it (and the
 * handle's count) happens here, once, for both. */
#include "byte_ring.h"

#include <string.h>

static void nx_bclaim_empty(nx_byte_claim *c) {
  (*c->claims_)--;
  memset(c, 0, sizeof *c);
}

int nx_byte_claim_commit(nx_byte_claim *c) {
  if (c == NULL || c->ch_ == NULL) return NX_EINVAL;
  int rc = c->kind_ == NX_BYTES_SPSC ? nx__spsc_bytes_commit(c) : nx__mpsc_bytes_commit(c);
  nx_bclaim_empty(c);
  return rc;
}

void nx_byte_claim_abort(nx_byte_claim *c) {
  if (c == NULL || c->ch_ == NULL) return;
  if (c->kind_ == NX_BYTES_SPSC) nx__spsc_bytes_abort(c);
  else nx__mpsc_bytes_abort(c);
  nx_bclaim_empty(c);
}

void nx_byte_record_release(nx_byte_record *r) {
  if (r == NULL || r->ch_ == NULL) return;
  if (r->kind_ == NX_BYTES_SPSC) nx__spsc_bytes_release(r);
  else nx__mpsc_bytes_release(r);
  *r->held_ = 0;
  memset(r, 0, sizeof *r);
}

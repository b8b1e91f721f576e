/* Yield: pending once (with a self-wake, so the task goes to the back of the
 * ready queue behind those already waiting), then ready. */
#include "services.h"

int nx_yield_init(nx_yield *y) {
  if (y == NULL) return NX_EINVAL;
  y->yielded_ = 0;
  return NX_OK;
}

int nx_yield_poll(nx_yield *y, nx_cx *cx) {
  if (y == NULL || !nx__cx_in_poll(cx)) return NX_EINVAL;
  if (y->yielded_) return NX_READY;
  y->yielded_ = 1;
  nx_cx_wake(cx);
  return NX_PENDING;
}

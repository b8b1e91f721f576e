/* Shared by the cross-thread channels (channel_mpsc.c, channel_spsc.c). */
#ifndef NXRT_CHANNEL_RING_H
#define NXRT_CHANNEL_RING_H

#include "services.h"

/* Capacity rounded up to a power of two; 0 for out-of-range requests. */
static inline size_t nx__ring_capacity(size_t capacity, size_t elem_size) {
  if (capacity == 0 || capacity > ((size_t)1 << 30) || elem_size > 65536) return 0;
  size_t cap = 1;
  while (cap < capacity) cap <<= 1;
  return cap;
}

/* What a pop does with the value: hands it to the caller (copied to `out`,
 * which may be NULL when elem is 0) or drops it. A flag, not a NULL `out`:
 * a zero-size value received with out == NULL is the caller's, not a drop. */
typedef enum { NX_POP_TAKE, NX_POP_DROP } nx_pop_mode;

#endif /* NXRT_CHANNEL_RING_H */

/* The timer heap: a binary min-heap of timer entries ordered by (deadline,
 * seq), each entry knowing its index in the heap.
 *
 * Why a heap and not a wheel: deadlines stay exact nanoseconds (a wheel
 * rounds them to ticks, which is how the seed fired up to a tick early), the
 * next deadline is heap[0] in O(1) (the seed's wheel walked every entry),
 * and with the index stored in the entry, removing a dropped sleep is
 * O(log n) and needs no tombstones (the seed kept dropped sleeps until
 * their deadline). A wheel's O(1) insert only pays off with far more live
 * timers than an executor of this kind holds, and it needs cascading or
 * per-poll scans to stay exact.
 */
#ifndef NXRT_TIMER_HEAP_H
#define NXRT_TIMER_HEAP_H

#include "nxrt_services.h"

#include <stdint.h>

#define NX_TIMER_UNREGISTERED UINT32_MAX

typedef struct nx_timer_heap {
  nx_timer_entry **items;
  uint32_t len, cap;
} nx_timer_heap;

/* Adds `e` (sets e->heap_index). NX_OK or NX_ENOMEM (nothing changed). */
int nx__timer_heap_push(nx_timer_heap *h, nx_timer_entry *e);
/* Removes `e`, which must be in the heap (heap_index becomes UNREGISTERED). */
void nx__timer_heap_remove(nx_timer_heap *h, nx_timer_entry *e);
/* Moves `e` after its deadline changed (it must be in the heap). */
void nx__timer_heap_update(nx_timer_heap *h, nx_timer_entry *e);

static inline nx_timer_entry *nx__timer_heap_top(const nx_timer_heap *h) {
  return h->len ? h->items[0] : NULL;
}

#endif /* NXRT_TIMER_HEAP_H */

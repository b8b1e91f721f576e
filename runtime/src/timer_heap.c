/* The timer heap (see timer_heap.h for why a heap). */
#include "timer_heap.h"

#include <stdlib.h>

#include "nx_assert.h"

static inline int nx_entry_before(const nx_timer_entry *a, const nx_timer_entry *b) {
  return a->deadline_ns < b->deadline_ns ||
         (a->deadline_ns == b->deadline_ns && a->seq < b->seq);
}

static inline void nx_heap_set(nx_timer_heap *h, uint32_t i, nx_timer_entry *e) {
  h->items[i] = e;
  e->heap_index = i;
}

#ifdef NXRT_EXPENSIVE_CHECKS
/* The heap property and every entry's back index: O(n). */
static int nx_heap_valid(const nx_timer_heap *h) {
  for (uint32_t i = 0; i < h->len; i++) {
    if (h->items[i]->heap_index != i) return 0;
    if (i > 0 && nx_entry_before(h->items[i], h->items[(i - 1) / 2])) return 0;
  }
  return 1;
}
#endif

static void nx_heap_sift_up(nx_timer_heap *h, uint32_t i) {
  nx_timer_entry *e = h->items[i];
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (!nx_entry_before(e, h->items[parent])) break;
    nx_heap_set(h, i, h->items[parent]);
    i = parent;
  }
  nx_heap_set(h, i, e);
}

static void nx_heap_sift_down(nx_timer_heap *h, uint32_t i) {
  nx_timer_entry *e = h->items[i];
  for (;;) {
    uint32_t child = 2 * i + 1;
    if (child >= h->len) break;
    if (child + 1 < h->len && nx_entry_before(h->items[child + 1], h->items[child])) child++;
    if (!nx_entry_before(h->items[child], e)) break;
    nx_heap_set(h, i, h->items[child]);
    i = child;
  }
  nx_heap_set(h, i, e);
}

int nx__timer_heap_push(nx_timer_heap *h, nx_timer_entry *e) {
  if (h->len == h->cap) {
    if (h->cap >= UINT32_MAX / 4) return NX_ENOMEM;
    uint32_t cap = h->cap ? h->cap * 2 : 16;
    nx_timer_entry **items = realloc(h->items, sizeof *items * cap);
    if (items == NULL) return NX_ENOMEM;
    h->items = items;
    h->cap = cap;
  }
  h->items[h->len] = e;
  e->heap_index = h->len;
  h->len++;
  nx_heap_sift_up(h, e->heap_index);
  NX_ASSERT_EXPENSIVE(nx_heap_valid(h));
  return NX_OK;
}

void nx__timer_heap_remove(nx_timer_heap *h, nx_timer_entry *e) {
  uint32_t i = e->heap_index;
  NX_ASSERT(i < h->len && h->items[i] == e); /* "must be in the heap" */
  e->heap_index = NX_TIMER_UNREGISTERED;
  nx_timer_entry *last = h->items[--h->len];
  if (i == h->len) return;
  /* The last entry fills the hole and moves whichever way it must. */
  nx_heap_set(h, i, last);
  nx__timer_heap_update(h, last);
  NX_ASSERT_EXPENSIVE(nx_heap_valid(h));
}

void nx__timer_heap_update(nx_timer_heap *h, nx_timer_entry *e) {
  uint32_t i = e->heap_index;
  NX_ASSERT(i < h->len && h->items[i] == e); /* "must be in the heap" */
  if (i > 0 && nx_entry_before(e, h->items[(i - 1) / 2]))
    nx_heap_sift_up(h, i);
  else
    nx_heap_sift_down(h, i);
}

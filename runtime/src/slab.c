/*
 * Slab: fixed-size slots, one intrusive LIFO freelist, O(1) alloc and free.
 * Layout and fast paths: slab.h. Public API: nxrt.h.
 *
 * Licensed under the MIT license (see LICENSE).
 */
#include "slab.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NX_SLAB_DEFAULT_SLOT 256u
#define NX_SLAB_DEFAULT_CAPACITY 1024u

static size_t nx_round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

/* Threads slots [0, count) of `base` onto the front of the freelist, lowest
 * address first, so a fresh slab hands out slots in address order. */
static void nx_slab_thread(nx_slab *slab, unsigned char *base, size_t count) {
  nx_slab_node *head = slab->free_head;
  for (size_t i = count; i-- > 0;) {
    nx_slab_node *n = (nx_slab_node *)(base + i * slab->slot_size);
    n->next = head;
    head = n;
    NX_SLAB_POISON((unsigned char *)n + sizeof(nx_slab_node),
                   slab->slot_size - sizeof(nx_slab_node));
  }
  slab->free_head = head;
}

static void *nx_slab_table_alloc(void *ctx, size_t size, size_t align) {
  nx_slab *slab = ctx;
  if (size > slab->slot_size || align > NX_SLAB_ALIGN || (align & (align - 1)) != 0) return NULL;
  return nx_slab_alloc_inline(slab);
}

static void nx_slab_table_free(void *ctx, void *ptr, size_t size, size_t align) {
  (void)size;
  (void)align;
  if (ptr != NULL) nx_slab_free_inline(ctx, ptr);
}

static const char *nx_slab_table_version(void *ctx) {
  return ((nx_slab *)ctx)->version;
}

int nx_slab_config_init(nx_slab_config *cfg) {
  if (cfg == NULL) return NX_EINVAL;
  cfg->slot_size = NX_SLAB_DEFAULT_SLOT;
  cfg->capacity = NX_SLAB_DEFAULT_CAPACITY;
  cfg->mode = NX_SLAB_BOUNDED;
  return NX_OK;
}

int nx_slab_create(const nx_slab_config *cfg, nx_slab **out) {
  if (out == NULL || cfg == NULL) return NX_EINVAL;
  if (cfg->slot_size == 0 || cfg->slot_size > NX_SLAB_MAX_SLOT_SIZE) return NX_EINVAL;
  if (cfg->capacity == 0) return NX_EINVAL;
  if (cfg->mode != NX_SLAB_BOUNDED && cfg->mode != NX_SLAB_UNBOUNDED) return NX_EINVAL;

  size_t slot = nx_round_up(cfg->slot_size, NX_SLAB_ALIGN);
  /* A chunk (header + slots) must be addressable; refuse sizes that overflow. */
  if (cfg->capacity > (SIZE_MAX - NX_SLAB_ALIGN) / slot) return NX_ENOMEM;

  nx_slab *slab = aligned_alloc(NX_SLAB_ALIGN, nx_round_up(sizeof *slab, NX_SLAB_ALIGN));
  if (slab == NULL) return NX_ENOMEM;
  memset(slab, 0, sizeof *slab);
  slab->slot_size = slot;
  slab->index_shift = (unsigned)__builtin_ctzl(slot);
  /* Newton's iteration for the inverse of an odd number modulo 2^64: each
   * step doubles the correct low bits (odd * odd is right in 3 of them). */
  uint64_t odd = slot >> slab->index_shift, inv = odd;
  for (int i = 0; i < 5; i++) inv *= 2 - odd * inv;
  slab->index_mul = inv;
  slab->chunk_slots = cfg->capacity;
  slab->mode = cfg->mode;
  slab->table = (nx_allocator){"slab", nx_slab_table_alloc, nx_slab_table_free,
                               nx_slab_table_version, slab};
  snprintf(slab->version, sizeof slab->version, "nxrt %d.%d.%d slab %s, %zu B slots",
           NXRT_VERSION_MAJOR, NXRT_VERSION_MINOR, NXRT_VERSION_PATCH,
           cfg->mode == NX_SLAB_BOUNDED ? "bounded" : "unbounded", slot);

  if (cfg->mode == NX_SLAB_BOUNDED) {
    size_t bytes = cfg->capacity * slot;
    slab->array = aligned_alloc(NX_SLAB_ALIGN, bytes);
    if (slab->array == NULL) {
      free(slab);
      return NX_ENOMEM;
    }
    /* Fault every page in now so no later allocation takes a page fault. */
    memset(slab->array, 0, bytes);
    slab->capacity = cfg->capacity;
    nx_slab_thread(slab, slab->array, cfg->capacity);
  }
  /* Unbounded slabs allocate their first chunk on the first alloc. */
  *out = slab;
  return NX_OK;
}

void nx_slab_destroy(nx_slab *slab) {
  if (slab == NULL) return;
  if (slab->array != NULL) {
    NX_SLAB_UNPOISON(slab->array, slab->capacity * slab->slot_size);
    free(slab->array);
  }
  nx_slab_chunk *c = slab->chunks;
  while (c != NULL) {
    nx_slab_chunk *next = c->next;
    NX_SLAB_UNPOISON(c, NX_SLAB_ALIGN + slab->chunk_slots * slab->slot_size);
    free(c);
    c = next;
  }
  free(slab);
}

void *nx_slab_alloc_slow(nx_slab *slab) {
  if (slab->free_head != NULL) return nx_slab_alloc_inline(slab);
  if (slab->mode == NX_SLAB_BOUNDED) return NULL;
  if (slab->capacity > SIZE_MAX - slab->chunk_slots) return NULL;
  /* The 64-byte header keeps the slots 64-byte aligned. */
  nx_slab_chunk *c = aligned_alloc(NX_SLAB_ALIGN, NX_SLAB_ALIGN + slab->chunk_slots * slab->slot_size);
  if (c == NULL) return NULL;
  c->next = slab->chunks;
  slab->chunks = c;
  slab->capacity += slab->chunk_slots;
  nx_slab_thread(slab, (unsigned char *)c + NX_SLAB_ALIGN, slab->chunk_slots);
  return nx_slab_alloc_inline(slab);
}

void *nx_slab_alloc(nx_slab *slab) {
  if (slab == NULL) return NULL;
  return nx_slab_alloc_inline(slab);
}

void nx_slab_free(nx_slab *slab, void *ptr) {
  if (slab == NULL || ptr == NULL) return;
  nx_slab_free_inline(slab, ptr);
}

size_t nx_slab_slot_size(const nx_slab *slab) { return slab != NULL ? slab->slot_size : 0; }
size_t nx_slab_in_use(const nx_slab *slab) {
  if (slab == NULL) return 0;
  return slab->in_use + (slab->owner_in_use ? *slab->owner_in_use : 0);
}
size_t nx_slab_capacity(const nx_slab *slab) { return slab != NULL ? slab->capacity : 0; }

const nx_allocator *nx_slab_allocator(nx_slab *slab) {
  return slab != NULL ? &slab->table : NULL;
}

static int nx_slab_in_range(const nx_slab *slab, const unsigned char *base, size_t count,
                            const unsigned char *p) {
  if (p < base || p >= base + count * slab->slot_size) return 0;
  return (size_t)(p - base) % slab->slot_size == 0;
}

int nx_slab_owns(const nx_slab *slab, const void *ptr) {
  if (slab == NULL || ptr == NULL) return 0;
  const unsigned char *p = ptr;
  if (slab->mode == NX_SLAB_BOUNDED) return nx_slab_in_range(slab, slab->array, slab->capacity, p);
  for (const nx_slab_chunk *c = slab->chunks; c != NULL; c = c->next)
    if (nx_slab_in_range(slab, (const unsigned char *)c + NX_SLAB_ALIGN, slab->chunk_slots, p))
      return 1;
  return 0;
}

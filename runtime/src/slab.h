/*
 * Internal slab layout and its inline fast paths, for the executor.
 *
 * The public API is in nxrt.h (nx_slab_*). The executor includes this file to
 * pop/push slots without a function call: nx_slab_alloc_inline() is a load,
 * a test and two stores; the rare empty-freelist case goes to
 * nx_slab_alloc_slow() (bounded: NULL, unbounded: grow by one chunk).
 *
 * Memory layout. Every slot is `slot_size` bytes (a multiple of 64) and starts
 * on a 64-byte boundary, so any alignment <= 64 holds for a slot's start.
 * A free slot's first 8 bytes are the freelist link (SLUB style); the rest of
 * a free slot is left as it was. There is ONE LIFO freelist threaded through
 * the slots of all chunks, so free is a push that never looks at chunks.
 *   bounded:   one 64-byte-aligned array of `capacity` slots, all pages
 *              faulted in at creation.
 *   unbounded: chunks of `chunk_slots` slots, each [64-byte chunk header]
 *              [slots...]; the headers form a list so destroy can free them.
 *              Chunks are kept until nx_slab_destroy.
 *
 * Misuse that is NOT detected (it would cost the hot path): freeing a pointer
 * that did not come from this slab, or freeing a slot twice. Both corrupt the
 * freelist. nx_slab_owns() lets tests and debug code check the first one.
 * Under AddressSanitizer the bytes of a free slot after its link are
 * poisoned, so a use-after-free of a slab slot is reported.
 *
 * Licensed under the MIT license (see LICENSE).
 */
#ifndef NXRT_SLAB_H
#define NXRT_SLAB_H

#include "nxrt.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NX_SLAB_ALIGN 64u
#define NX_SLAB_MAX_SLOT_SIZE ((size_t)1 << 20)

#if defined(__SANITIZE_ADDRESS__)
#define NX_SLAB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NX_SLAB_ASAN 1
#endif
#endif

/* Sanitizer runtimes abort on an absurd allocation size instead of returning
 * NULL (unless allocator_may_return_null=1); tests that want the NULL path
 * check this. */
#if defined(NX_SLAB_ASAN) || defined(__SANITIZE_THREAD__)
#define NX_SLAB_SANITIZER_ABORTS_ON_HUGE_ALLOC 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NX_SLAB_SANITIZER_ABORTS_ON_HUGE_ALLOC 1
#endif
#endif

#ifdef NX_SLAB_ASAN
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#define NX_SLAB_POISON(p, n) __asan_poison_memory_region((p), (n))
#define NX_SLAB_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define NX_SLAB_POISON(p, n) ((void)(p), (void)(n))
#define NX_SLAB_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

typedef struct nx_slab_node { struct nx_slab_node *next; } nx_slab_node;
typedef struct nx_slab_chunk { struct nx_slab_chunk *next; } nx_slab_chunk;

struct nx_slab {
  /* Hot: the freelist head and the in-use count share the first cache line. */
  nx_slab_node *free_head;
  size_t in_use;
  size_t slot_size;       /* multiple of 64 */
  size_t capacity;        /* slots that exist */
  size_t chunk_slots;     /* unbounded: slots per chunk; bounded: capacity */
  nx_slab_mode mode;
  /* A slot's index is (offset >> index_shift) * index_mul: slot_size is
   * 2^index_shift times an odd number whose inverse modulo 2^64 is
   * index_mul, and an offset is an exact multiple of slot_size, so the
   * division is exact without a divide. */
  unsigned index_shift;
  unsigned char *array;   /* bounded: the one array */
  uint64_t index_mul;
  nx_slab_chunk *chunks;  /* unbounded: newest chunk first */
  nx_allocator table;     /* nx_slab_allocator(); ctx = this slab */
  /* Slots in use that the slab's owner counts itself (the executor, for
   * its tasks' slots: nx_slab_take_inline / nx_slab_put_inline); NULL:
   * none. nx_slab_in_use() adds them to in_use. */
  const uint32_t *owner_in_use;
  char version[64];
};

/* The empty-freelist path: NULL for a full bounded slab, otherwise a new
 * chunk is added and its first slot returned (NULL if the OS refuses). */
void *nx_slab_alloc_slow(nx_slab *slab);

/* 1 if `ptr` is the start of a slot of `slab`, else 0. O(chunks): for tests
 * and debug checks, never the hot path. */
int nx_slab_owns(const nx_slab *slab, const void *ptr);

/* A slot off the freelist, not counted in in_use (the owner counts it:
 * owner_in_use); NULL if the freelist is empty. */
static inline void *nx_slab_take_inline(nx_slab *slab) {
  nx_slab_node *n = slab->free_head;
  if (__builtin_expect(n != NULL, 1)) {
    NX_SLAB_UNPOISON(n, slab->slot_size);
    slab->free_head = n->next;
  }
  return n;
}

/* nx_slab_alloc without the call. `slab` must not be NULL. */
static inline void *nx_slab_alloc_inline(nx_slab *slab) {
  nx_slab_node *n = slab->free_head;
  if (__builtin_expect(n != NULL, 1)) {
    NX_SLAB_UNPOISON(n, slab->slot_size);
    slab->free_head = n->next;
    slab->in_use++;
    return n;
  }
  return nx_slab_alloc_slow(slab);
}

/* The index of slot `ptr` of a bounded slab (0 .. capacity-1). */
static inline uint32_t nx_slab_index_inline(const nx_slab *slab, const void *ptr) {
  size_t off = (size_t)((const unsigned char *)ptr - slab->array);
  return (uint32_t)((off >> slab->index_shift) * slab->index_mul);
}

/* Gives back a slot of nx_slab_take_inline (not counted in in_use). */
static inline void nx_slab_put_inline(nx_slab *slab, void *ptr) {
  nx_slab_node *n = (nx_slab_node *)ptr;
  n->next = slab->free_head;
  slab->free_head = n;
  NX_SLAB_POISON((unsigned char *)ptr + sizeof(nx_slab_node),
                 slab->slot_size - sizeof(nx_slab_node));
}

/* nx_slab_free without the call. `slab` and `ptr` must not be NULL, and `ptr`
 * must be a slot of `slab` that is in use. */
static inline void nx_slab_free_inline(nx_slab *slab, void *ptr) {
  slab->in_use--;
  nx_slab_put_inline(slab, ptr);
}

#ifdef __cplusplus
}
#endif
#endif /* NXRT_ALLOCATORS_SLAB_H */

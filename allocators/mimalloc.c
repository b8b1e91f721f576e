/*
 * The mimalloc backend (libmimalloc-dev). Library: nxrt_backend_mimalloc.
 *
 * The executor is single-threaded, so it gets its own mimalloc heap: the
 * first call to nx_allocator_mimalloc() creates an mi_heap_t owned by the
 * calling thread (call it on the executor's thread). A mimalloc heap may
 * only allocate on its owner thread, so an alloc from any other thread falls
 * back to that thread's default heap instead of corrupting the owner's (one
 * thread-local load decides). mi_free is valid from any thread for blocks of
 * any heap. The heap lives until the process exits.
 *
 * Licensed under the MIT license (see LICENSE).
 */
#include "nx_backend.h"

#include <mimalloc.h>
#include <pthread.h>
#include <stdio.h>

/* initial-exec: one %fs-relative load, no __tls_get_addr call even though
 * backend objects are compiled -fPIC. */
static _Thread_local int nx_mimalloc_is_owner __attribute__((tls_model("initial-exec")));
static nx_allocator nx_mimalloc_table;
static pthread_once_t nx_mimalloc_once = PTHREAD_ONCE_INIT;
static char nx_mimalloc_version_text[64];

/* Plain mi_heap_malloc is used only where every mimalloc configuration
 * aligns it: align 8, and align 16 when the size is a multiple of 16 (blocks
 * of such sizes are 16-byte strides). Tiny blocks are 8-aligned (measured
 * here: sizes 1..8), and whether 24-byte blocks are 16-aligned depends on
 * build options (MI_ALIGN2W), so the rest take mi_heap_malloc_aligned
 * (measured in one run, 64 bytes: about 1.08x the plain path, with mi_free). */
static inline int nx_mimalloc_plain_aligns(size_t size, size_t align) {
  return ((align & (align - 1)) == 0 && align - 1 < 8) || (align == 16 && size % 16 == 0);
}

/* Not the heap's owner thread (or no heap): that thread's default heap. */
static __attribute__((noinline)) void *nx_mimalloc_alloc_generic(size_t size, size_t align) {
  mi_heap_t *heap = mi_heap_get_default();
  if (nx_mimalloc_plain_aligns(size, align)) return mi_heap_malloc(heap, size);
  return mi_heap_malloc_aligned(heap, size, align);
}

/* Alignments that are not powers of two are refused (NULL) by
 * mi_heap_malloc_aligned itself. */
static void *nx_mimalloc_alloc(void *ctx, size_t size, size_t align) {
  if (__builtin_expect(!nx_mimalloc_is_owner, 0)) return nx_mimalloc_alloc_generic(size, align);
  if (nx_mimalloc_plain_aligns(size, align)) return mi_heap_malloc(ctx, size);
  return mi_heap_malloc_aligned(ctx, size, align);
}

static void nx_mimalloc_free(void *ctx, void *ptr, size_t size, size_t align) {
  (void)ctx;
  (void)size;
  (void)align;
  mi_free(ptr);
}

static const char *nx_mimalloc_version(void *ctx) {
  (void)ctx;
  return nx_mimalloc_version_text;
}

static void nx_mimalloc_init(void) {
  /* mi_version() is the running library's: 209 means 2.0.9. */
  int v = mi_version();
  snprintf(nx_mimalloc_version_text, sizeof nx_mimalloc_version_text, "mimalloc %d.%d.%d",
           v / 100, v / 10 % 10, v % 10);
  mi_heap_t *heap = mi_heap_new();
  /* No heap: every thread (this one too) uses its default heap. */
  nx_mimalloc_is_owner = heap != NULL;
  nx_mimalloc_table = (nx_allocator){"mimalloc", nx_mimalloc_alloc, nx_mimalloc_free,
                                     nx_mimalloc_version, heap};
}

const nx_allocator *nx_allocator_mimalloc(void) {
  pthread_once(&nx_mimalloc_once, nx_mimalloc_init);
  return &nx_mimalloc_table;
}

/* The backend entry symbols (nx_backend.h); with -DNXRT_PLUGIN, a plugin. */
NX_DEFINE_BACKEND(nx_allocator_mimalloc());

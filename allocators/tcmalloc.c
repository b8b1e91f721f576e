/*
 * The tcmalloc backend (gperftools, libgoogle-perftools-dev; we link
 * libtcmalloc_minimal: the allocator without the heap profiler/checker).
 * Library: nxrt_backend_tcmalloc.
 *
 * tc_malloc aligns to 8, and to 16 for sizes of at least 16 (gperftools'
 * kMinAlign); other alignments take tc_memalign (measured in one run here,
 * 64 bytes: the same cost as tc_malloc, each with its free). Sized free (tc_free_sized, when the
 * library has it: NX_HAVE_TC_FREE_SIZED, set by CMake) is used only for
 * blocks from tc_malloc: gperftools derives the size class from the size,
 * and an over-aligned block may sit in a larger class than its size says,
 * so those go to tc_free.
 *
 * Licensed under the MIT license (see LICENSE).
 */
#include "nx_backend.h"

#include <gperftools/tcmalloc.h>
#include <pthread.h>
#include <stdio.h>

/* align is a power of two up to 8, or 16 for sizes of at least 16. */
static inline int nx_tcmalloc_plain_aligns(size_t size, size_t align) {
  return ((align & (align - 1)) == 0 && align - 1 < 8) || (align == 16 && size >= 16);
}

static void *nx_tcmalloc_alloc(void *ctx, size_t size, size_t align) {
  (void)ctx;
  if (nx_tcmalloc_plain_aligns(size, align)) return tc_malloc(size);
  if (align == 0 || (align & (align - 1)) != 0) return NULL;
  return tc_memalign(align, size);
}

static void nx_tcmalloc_free(void *ctx, void *ptr, size_t size, size_t align) {
  (void)ctx;
  (void)size;
#ifdef NX_HAVE_TC_FREE_SIZED
  if (nx_tcmalloc_plain_aligns(size, align)) {
    tc_free_sized(ptr, size);
    return;
  }
#else
  (void)align;
#endif
  tc_free(ptr);
}

static char nx_tcmalloc_version_text[96];
static pthread_once_t nx_tcmalloc_version_once = PTHREAD_ONCE_INIT;

static void nx_tcmalloc_version_init(void) {
  int major = 0, minor = 0;
  const char *patch = NULL;
  /* tc_version returns e.g. "gperftools 2.10" from the running library. */
  const char *v = tc_version(&major, &minor, &patch);
  snprintf(nx_tcmalloc_version_text, sizeof nx_tcmalloc_version_text, "tcmalloc (%s)",
           v != NULL ? v : "gperftools, unknown version");
}

static const char *nx_tcmalloc_version(void *ctx) {
  (void)ctx;
  pthread_once(&nx_tcmalloc_version_once, nx_tcmalloc_version_init);
  return nx_tcmalloc_version_text;
}

static const nx_allocator nx_tcmalloc_table = {
    "tcmalloc", nx_tcmalloc_alloc, nx_tcmalloc_free, nx_tcmalloc_version, NULL};

const nx_allocator *nx_allocator_tcmalloc(void) { return &nx_tcmalloc_table; }

/* The backend entry symbols (nx_backend.h); with -DNXRT_PLUGIN, a plugin. */
NX_DEFINE_BACKEND(nx_allocator_tcmalloc());

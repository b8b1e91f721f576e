/*
 * The slab_classes backend (library nxrt_backend_slab_classes): size classes
 * of unbounded slabs (runtime/src/slab.c, part of libnxrt) behind one
 * nx_allocator, used with nx_spawn like any other allocator. (The backend
 * `slab` is the other slab: the executor's own bounded one.)
 *
 * One class per multiple of 64 bytes from 64 to 1152 (18 slabs): 1152 fits
 * the largest future the benchmarks spawn (1024 bytes) plus a 64-byte task
 * header plus 64 bytes of output. Larger sizes and alignments above 64 get
 * NULL. The class is (size + 63) / 64, so alloc and the sized free both find
 * their slab with one shift and one load; each slab then pops or pushes its
 * freelist. A class's first chunk is allocated on its first use; chunks hold
 * 256 KiB of slots and are kept for the life of the process.
 *
 * Process-wide and single-threaded like the slab itself: allocate and free
 * on one thread at a time (the executor's).
 *
 * Licensed under the MIT license (see LICENSE).
 */
#include "nx_backend.h"
#include "slab.h"

#include <pthread.h>
#include <stdio.h>

#define NX_SLAB_CLASS_STEP 64u
#define NX_SLAB_CLASS_COUNT 18u /* 64 .. 1152 */
#define NX_SLAB_CLASS_MAX (NX_SLAB_CLASS_STEP * NX_SLAB_CLASS_COUNT)
#define NX_SLAB_CHUNK_BYTES ((size_t)256 << 10)

typedef struct nx_slab_classes {
  nx_slab *by_index[NX_SLAB_CLASS_COUNT + 1]; /* [0] = [1]: size 0 uses 64 B */
  char version[128];
} nx_slab_classes;

static nx_slab_classes nx_classes;
static nx_allocator nx_classes_table;
static pthread_once_t nx_classes_once = PTHREAD_ONCE_INIT;

static void *nx_classes_alloc(void *ctx, size_t size, size_t align) {
  nx_slab_classes *c = ctx;
  if (size > NX_SLAB_CLASS_MAX || align > NX_SLAB_ALIGN || (align & (align - 1)) != 0)
    return NULL;
  return nx_slab_alloc_inline(c->by_index[(size + NX_SLAB_CLASS_STEP - 1) / NX_SLAB_CLASS_STEP]);
}

static void nx_classes_free(void *ctx, void *ptr, size_t size, size_t align) {
  nx_slab_classes *c = ctx;
  (void)align;
  if (ptr == NULL) return;
  nx_slab_free_inline(c->by_index[(size + NX_SLAB_CLASS_STEP - 1) / NX_SLAB_CLASS_STEP], ptr);
}

static const char *nx_classes_version(void *ctx) { return ((nx_slab_classes *)ctx)->version; }

static void nx_classes_init(void) {
  for (size_t i = 1; i <= NX_SLAB_CLASS_COUNT; i++) {
    nx_slab_config cfg;
    nx_slab_config_init(&cfg);
    cfg.mode = NX_SLAB_UNBOUNDED;
    cfg.slot_size = i * NX_SLAB_CLASS_STEP;
    cfg.capacity = NX_SLAB_CHUNK_BYTES / cfg.slot_size;
    if (nx_slab_create(&cfg, &nx_classes.by_index[i]) != NX_OK) {
      fprintf(stderr, "nxrt: slab backend: cannot create the %zu-byte size class\n",
              cfg.slot_size);
      return; /* the table stays unset: nx_backend_allocator() returns NULL */
    }
  }
  nx_classes.by_index[0] = nx_classes.by_index[1];
  snprintf(nx_classes.version, sizeof nx_classes.version,
           "nxrt %d.%d.%d slab, unbounded, %u size classes %u..%u B",
           NXRT_VERSION_MAJOR, NXRT_VERSION_MINOR, NXRT_VERSION_PATCH, NX_SLAB_CLASS_COUNT,
           NX_SLAB_CLASS_STEP, NX_SLAB_CLASS_MAX);
  nx_classes_table = (nx_allocator){"slab_classes", nx_classes_alloc, nx_classes_free,
                                    nx_classes_version, &nx_classes};
}

static const nx_allocator *nx_slab_classes_allocator(void) {
  pthread_once(&nx_classes_once, nx_classes_init);
  return nx_classes_table.alloc != NULL ? &nx_classes_table : NULL;
}

NX_DEFINE_BACKEND(nx_slab_classes_allocator());

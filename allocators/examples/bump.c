/*
 * A toy allocator backend, the worked example of allocators/README.md:
 * a bump (arena) allocator. alloc moves a cursor forward inside a 1 MiB
 * chunk; free only counts. When the last live block is freed the arena
 * rewinds to the start of its newest chunk and gives the older ones back,
 * so a program whose tasks all finish reuses the same memory.
 *
 * This one file builds both ways (see nx_backend.h):
 *   in the tree:  nx_add_allocator_backend(NAME bump SOURCES examples/bump.c)
 *   as a plugin:  nx_add_allocator_plugin(NAME bump SOURCES examples/bump.c)
 *                 or: cc -shared -fPIC -DNXRT_PLUGIN -I runtime/include \
 *                        -I allocators/include allocators/examples/bump.c -o libbump.so
 *
 * One arena per process, unlocked: every executor that spawns with it must
 * run on the same thread (two executors on two threads would race on it).
 *
 * Licensed under the MIT license (see LICENSE).
 */
#include "nx_backend.h"

#include <stdint.h>
#include <stdlib.h>

#define BUMP_CHUNK_BYTES ((size_t)1 << 20)

typedef struct bump_chunk {
  struct bump_chunk *older;
  size_t bytes;            /* usable bytes after the header */
  unsigned char data[];    /* blocks are aligned by rounding the cursor up */
} bump_chunk;

typedef struct bump_arena {
  bump_chunk *newest;
  uintptr_t cursor, end;   /* free space of the newest chunk */
  size_t live;             /* blocks handed out and not yet freed */
} bump_arena;

static bump_arena bump_the_arena;

static void *bump_alloc_slow(bump_arena *a, size_t size, size_t align) {
  size_t bytes = size + align > BUMP_CHUNK_BYTES ? size + align : BUMP_CHUNK_BYTES;
  bump_chunk *c = malloc(sizeof *c + bytes);
  if (c == NULL) return NULL;
  c->older = a->newest;
  c->bytes = bytes;
  a->newest = c;
  a->cursor = (uintptr_t)c->data;
  a->end = a->cursor + bytes;
  uintptr_t p = (a->cursor + align - 1) & ~(uintptr_t)(align - 1);
  a->cursor = p + size;
  a->live++;
  return (void *)p;
}

static void *bump_alloc(void *ctx, size_t size, size_t align) {
  bump_arena *a = ctx;
  if (align == 0 || (align & (align - 1)) != 0 || size > SIZE_MAX / 2) return NULL;
  uintptr_t p = (a->cursor + align - 1) & ~(uintptr_t)(align - 1);
  if (a->newest == NULL || p > a->end || size > a->end - p) return bump_alloc_slow(a, size, align);
  a->cursor = p + size;
  a->live++;
  return (void *)p;
}

static void bump_free(void *ctx, void *ptr, size_t size, size_t align) {
  bump_arena *a = ctx;
  (void)size;
  (void)align;
  if (ptr == NULL || a->live == 0 || --a->live != 0) return;
  /* Nothing is live: keep the newest chunk, rewind it, release the rest. */
  for (bump_chunk *c = a->newest->older, *next; c != NULL; c = next) {
    next = c->older;
    free(c);
  }
  a->newest->older = NULL;
  a->cursor = (uintptr_t)a->newest->data;
}

static const char *bump_version(void *ctx) {
  (void)ctx;
  return "bump example 1.0 (1 MiB chunks, rewinds when empty)";
}

static const nx_allocator bump_table = {"bump", bump_alloc, bump_free, bump_version,
                                        &bump_the_arena};

NX_DEFINE_BACKEND(&bump_table);

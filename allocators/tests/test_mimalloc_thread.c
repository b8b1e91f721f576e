/* The mimalloc backend's heap belongs to the thread that first asked for the
 * allocator. Another thread's alloc must not use that heap (mimalloc heaps
 * are single-thread); it falls back to its own default heap, and the block
 * can be freed on the owner thread. */
#include "alloc_check.h"
#include "nx_backend.h"

#include <mimalloc.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

static void *other_thread(void *arg) {
  const nx_allocator *a = arg;
  void *p = a->alloc(a->ctx, 200, 64);
  CHECK(p != NULL && (uintptr_t)p % 64 == 0);
  CHECK(!mi_heap_check_owned(a->ctx, p)); /* not from the owner's heap */
  memset(p, 7, 200);
  return p;
}

int main(void) {
  const nx_allocator *a = nx_backend_allocator(); /* this thread owns the heap */
  CHECK(a != NULL && a->ctx != NULL);
  void *mine = a->alloc(a->ctx, 200, 64);
  CHECK(mine != NULL && mi_heap_check_owned(a->ctx, mine));

  pthread_t t;
  void *theirs = NULL;
  CHECK(pthread_create(&t, NULL, other_thread, (void *)a) == 0);
  CHECK(pthread_join(t, &theirs) == 0);
  CHECK(theirs != NULL && ((unsigned char *)theirs)[199] == 7);
  a->free(a->ctx, theirs, 200, 64);
  a->free(a->ctx, mine, 200, 64);
  return 0;
}

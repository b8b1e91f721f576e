/* The slab_classes backend (size classes of 64..1152 bytes): sizes above 1152 and
 * alignments above 64 get NULL; a size is freed into the class it came
 * from, so a slot freed with its size is the next one handed out for a size
 * of the same class, and not for another class. */
#include "alloc_check.h"
#include "nx_backend.h"

#include <stdint.h>

int main(void) {
  const nx_allocator *a = nx_backend_allocator();
  CHECK(a != NULL);
  CHECK(a->alloc(a->ctx, 1153, 8) == NULL);
  CHECK(a->alloc(a->ctx, SIZE_MAX, 8) == NULL);
  CHECK(a->alloc(a->ctx, 64, 128) == NULL);

  void *p = a->alloc(a->ctx, 1152, 64);
  CHECK(p != NULL);
  a->free(a->ctx, p, 1152, 64);
  CHECK(a->alloc(a->ctx, 1100, 16) == p); /* same 1152-byte class, LIFO */
  a->free(a->ctx, p, 1100, 16);

  void *small = a->alloc(a->ctx, 0, 8); /* size 0 uses the 64-byte class */
  CHECK(small != NULL);
  CHECK(small != p);
  void *small2 = a->alloc(a->ctx, 64, 8);
  CHECK(small2 != NULL && small2 != small);
  a->free(a->ctx, small2, 64, 8);
  a->free(a->ctx, small, 0, 8);
  CHECK(a->alloc(a->ctx, 1, 8) == small);
  a->free(a->ctx, small, 1, 8);
  return 0;
}

/* nx_slab_allocator(): the slab as an nx_allocator. Sizes up to the slot and
 * alignments up to 64 succeed; larger ones get NULL and change nothing. */
#include "nx_test.h"
#include "slab.h"

#include <stdint.h>
#include <string.h>

int main(void) {
  nx_slab_config cfg = {192, 4, NX_SLAB_UNBOUNDED};
  nx_slab *slab = NULL;
  NX_CHECK(nx_slab_create(&cfg, &slab) == NX_OK);
  const nx_allocator *a = nx_slab_allocator(slab);
  NX_CHECK(a != NULL && a == nx_slab_allocator(slab));
  NX_CHECK(strcmp(a->name, "slab") == 0);
  NX_CHECK(a->ctx == slab);
  NX_CHECK(a->version != NULL);
  const char *v = a->version(a->ctx);
  NX_CHECK(v != NULL && strstr(v, "slab") != NULL && strstr(v, "192") != NULL);

  NX_CHECK(a->alloc(a->ctx, 193, 8) == NULL);
  NX_CHECK(a->alloc(a->ctx, 16, 128) == NULL);
  NX_CHECK(a->alloc(a->ctx, 16, 24) == NULL); /* not a power of two */
  NX_CHECK(nx_slab_in_use(slab) == 0);
  NX_CHECK(nx_slab_capacity(slab) == 0);

  static const size_t aligns[] = {8, 16, 32, 64};
  void *p[4];
  for (int i = 0; i < 4; i++) {
    p[i] = a->alloc(a->ctx, 192, aligns[i]);
    NX_CHECK(p[i] != NULL);
    NX_CHECK((uintptr_t)p[i] % aligns[i] == 0);
    memset(p[i], i, 192);
  }
  NX_CHECK(nx_slab_in_use(slab) == 4);
  for (int i = 0; i < 4; i++) a->free(a->ctx, p[i], 192, aligns[i]);
  a->free(a->ctx, NULL, 0, 8);
  NX_CHECK(nx_slab_in_use(slab) == 0);
  nx_slab_destroy(slab);
  return 0;
}

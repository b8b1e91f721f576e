/* A bounded slab hands out exactly `capacity` slots, then NULL; a full slab
 * loses nothing: every slot handed out is distinct and intact, and a freed
 * slot is handed out again. */
#include "nx_test.h"
#include "slab.h"

#include <stdint.h>
#include <string.h>

enum { CAP = 100 };

int main(void) {
  nx_slab_config cfg;
  NX_CHECK(nx_slab_config_init(&cfg) == NX_OK);
  cfg.slot_size = 100; /* rounds up to 128 */
  cfg.capacity = CAP;
  cfg.mode = NX_SLAB_BOUNDED;
  nx_slab *slab = NULL;
  NX_CHECK(nx_slab_create(&cfg, &slab) == NX_OK);
  NX_CHECK(nx_slab_slot_size(slab) == 128);
  NX_CHECK(nx_slab_capacity(slab) == CAP);
  NX_CHECK(nx_slab_in_use(slab) == 0);

  unsigned char *slots[CAP];
  for (int i = 0; i < CAP; i++) {
    slots[i] = nx_slab_alloc(slab);
    NX_CHECK(slots[i] != NULL);
    NX_CHECK(nx_slab_owns(slab, slots[i]));
    memset(slots[i], i, 128);
  }
  NX_CHECK(nx_slab_in_use(slab) == CAP);

  /* Full: NULL, repeatedly, through both entry points, and nothing changes. */
  for (int k = 0; k < 3; k++) {
    NX_CHECK(nx_slab_alloc(slab) == NULL);
    NX_CHECK(nx_slab_alloc_inline(slab) == NULL);
    const nx_allocator *a = nx_slab_allocator(slab);
    NX_CHECK(a->alloc(a->ctx, 64, 64) == NULL);
  }
  NX_CHECK(nx_slab_in_use(slab) == CAP);
  NX_CHECK(nx_slab_capacity(slab) == CAP);

  /* Every slot is distinct and still holds what was written. */
  for (int i = 0; i < CAP; i++) {
    for (int j = i + 1; j < CAP; j++) NX_CHECK(slots[i] != slots[j]);
    for (int b = 0; b < 128; b++) NX_CHECK(slots[i][b] == (unsigned char)i);
  }

  /* One free makes exactly one slot available again: the same one (LIFO). */
  nx_slab_free(slab, slots[42]);
  NX_CHECK(nx_slab_in_use(slab) == CAP - 1);
  unsigned char *again = nx_slab_alloc(slab);
  NX_CHECK(again == slots[42]);
  NX_CHECK(nx_slab_alloc(slab) == NULL);

  for (int i = 0; i < CAP; i++) nx_slab_free(slab, slots[i]);
  NX_CHECK(nx_slab_in_use(slab) == 0);
  nx_slab_free(slab, NULL); /* no-op */
  NX_CHECK(nx_slab_in_use(slab) == 0);
  nx_slab_destroy(slab);
  nx_slab_destroy(NULL);
  return 0;
}

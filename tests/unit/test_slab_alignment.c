/* Every slot of every slot size (1..1 MiB after rounding) starts on a 64-byte
 * boundary, in both modes, across chunk boundaries; slot size is rounded up
 * to a multiple of 64. */
#include "nx_test.h"
#include "slab.h"

#include <stdint.h>
#include <string.h>

static void check_mode(nx_slab_mode mode, size_t slot_size, size_t capacity, size_t count) {
  nx_slab_config cfg = {slot_size, capacity, mode};
  nx_slab *slab = NULL;
  NX_CHECK(nx_slab_create(&cfg, &slab) == NX_OK);
  size_t rounded = (slot_size + 63) / 64 * 64;
  NX_CHECK(nx_slab_slot_size(slab) == rounded);
  void *p[64];
  NX_CHECK(count <= 64);
  for (size_t i = 0; i < count; i++) {
    p[i] = nx_slab_alloc(slab);
    NX_CHECK(p[i] != NULL);
    NX_CHECK((uintptr_t)p[i] % 64 == 0);
    memset(p[i], 0xab, rounded); /* the whole slot is usable */
  }
  for (size_t i = 0; i < count; i++) nx_slab_free(slab, p[i]);
  nx_slab_destroy(slab);
}

int main(void) {
  static const size_t sizes[] = {1, 8, 63, 64, 65, 100, 128, 200, 256, 1000, 1152, 4096, 5000,
                                 (size_t)1 << 20};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    size_t n = sizes[i] >= 4096 ? 5 : 64;
    check_mode(NX_SLAB_BOUNDED, sizes[i], n, n);
    check_mode(NX_SLAB_UNBOUNDED, sizes[i], 3, n); /* 3 per chunk: many chunks */
  }
  return 0;
}

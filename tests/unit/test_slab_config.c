/* Bad slab configuration is an error code with nothing created; defaults and
 * NULL handling are as nxrt.h documents. */
#include "nx_test.h"
#include "slab.h"

#include <stdint.h>

int main(void) {
  NX_CHECK(nx_slab_config_init(NULL) == NX_EINVAL);
  nx_slab_config cfg;
  NX_CHECK(nx_slab_config_init(&cfg) == NX_OK);
  NX_CHECK(cfg.slot_size == 256 && cfg.capacity == 1024 && cfg.mode == NX_SLAB_BOUNDED);

  nx_slab *slab = (nx_slab *)&cfg; /* must stay untouched on error */
  nx_slab *const sentinel = slab;
  NX_CHECK(nx_slab_create(NULL, &slab) == NX_EINVAL);
  NX_CHECK(nx_slab_create(&cfg, NULL) == NX_EINVAL);
  nx_slab_config bad = cfg;
  bad.slot_size = 0;
  NX_CHECK(nx_slab_create(&bad, &slab) == NX_EINVAL);
  bad = cfg;
  bad.slot_size = ((size_t)1 << 20) + 1;
  NX_CHECK(nx_slab_create(&bad, &slab) == NX_EINVAL);
  bad = cfg;
  bad.capacity = 0;
  NX_CHECK(nx_slab_create(&bad, &slab) == NX_EINVAL);
  bad = cfg;
  bad.mode = (nx_slab_mode)7;
  NX_CHECK(nx_slab_create(&bad, &slab) == NX_EINVAL);
  bad = cfg;
  bad.capacity = SIZE_MAX / 64; /* slot * capacity overflows */
  NX_CHECK(nx_slab_create(&bad, &slab) == NX_ENOMEM);
#ifndef NX_SLAB_SANITIZER_ABORTS_ON_HUGE_ALLOC
  bad = cfg;
  bad.capacity = (size_t)1 << 40; /* 256 TiB bounded array: the OS says no */
  NX_CHECK(nx_slab_create(&bad, &slab) == NX_ENOMEM);
#endif
  NX_CHECK(slab == sentinel);

  /* NULL slab queries. */
  NX_CHECK(nx_slab_alloc(NULL) == NULL);
  nx_slab_free(NULL, &cfg);
  NX_CHECK(nx_slab_slot_size(NULL) == 0);
  NX_CHECK(nx_slab_in_use(NULL) == 0);
  NX_CHECK(nx_slab_capacity(NULL) == 0);
  NX_CHECK(nx_slab_allocator(NULL) == NULL);
  NX_CHECK(!nx_slab_owns(NULL, &cfg));

  /* A foreign pointer is not owned; slot-interior pointers are not slots. */
  NX_CHECK(nx_slab_create(&cfg, &slab) == NX_OK);
  unsigned char *p = nx_slab_alloc(slab);
  NX_CHECK(nx_slab_owns(slab, p));
  NX_CHECK(!nx_slab_owns(slab, p + 8));
  NX_CHECK(!nx_slab_owns(slab, &cfg));
  nx_slab_free(slab, p);
  nx_slab_destroy(slab);
  return 0;
}

/* An unbounded slab grows to 1,000,000 slots in chunks, every slot aligned
 * and distinct, then all are freed (in an order unrelated to allocation, so
 * frees cross chunks) and reused without growing again. */
#include "nx_test.h"
#include "slab.h"

#include <stdint.h>
#include <stdlib.h>

enum { N = 1000000, CHUNK = 4096 };

static int cmp_ptr(const void *a, const void *b) {
  uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
  return x < y ? -1 : x > y;
}

int main(void) {
  nx_slab_config cfg;
  NX_CHECK(nx_slab_config_init(&cfg) == NX_OK);
  cfg.slot_size = 64;
  cfg.capacity = CHUNK;
  cfg.mode = NX_SLAB_UNBOUNDED;
  nx_slab *slab = NULL;
  NX_CHECK(nx_slab_create(&cfg, &slab) == NX_OK);
  NX_CHECK(nx_slab_capacity(slab) == 0); /* first chunk comes with the first alloc */

  void **p = malloc(sizeof *p * N);
  NX_CHECK(p != NULL);
  for (size_t i = 0; i < N; i++) {
    p[i] = nx_slab_alloc(slab);
    NX_CHECK(p[i] != NULL);
    NX_CHECK((uintptr_t)p[i] % 64 == 0);
    *(size_t *)p[i] = i;
  }
  size_t chunks = (N + CHUNK - 1) / CHUNK;
  NX_CHECK(nx_slab_in_use(slab) == N);
  NX_CHECK(nx_slab_capacity(slab) == chunks * CHUNK);
  for (size_t i = 0; i < N; i++) NX_CHECK(*(size_t *)p[i] == i);

  /* Free in a shuffled order (fixed seed) so consecutive frees hit different chunks. */
  srand(12345);
  for (size_t i = N - 1; i > 0; i--) {
    size_t j = ((size_t)rand() * 31u + (size_t)rand()) % (i + 1);
    void *t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  for (size_t i = 0; i < N; i++) nx_slab_free(slab, p[i]);
  NX_CHECK(nx_slab_in_use(slab) == 0);
  NX_CHECK(nx_slab_capacity(slab) == chunks * CHUNK);

  /* Reuse: the same N slots come back (as a set), with no growth. */
  void **q = malloc(sizeof *q * N);
  NX_CHECK(q != NULL);
  for (size_t i = 0; i < N; i++) {
    q[i] = nx_slab_alloc(slab);
    NX_CHECK(q[i] != NULL);
  }
  NX_CHECK(nx_slab_capacity(slab) == chunks * CHUNK);
  NX_CHECK(nx_slab_in_use(slab) == N);
  qsort(p, N, sizeof *p, cmp_ptr);
  qsort(q, N, sizeof *q, cmp_ptr);
  for (size_t i = 0; i < N; i++) NX_CHECK(p[i] == q[i]);
  for (size_t i = 1; i < N; i++) NX_CHECK(q[i] != q[i - 1]);

  /* Filling the last chunk does not grow; one more slot grows by one chunk. */
  size_t spare = chunks * CHUNK - N;
  for (size_t i = 0; i < spare; i++) NX_CHECK(nx_slab_alloc(slab) != NULL);
  NX_CHECK(nx_slab_capacity(slab) == chunks * CHUNK);
  void *extra = nx_slab_alloc(slab);
  NX_CHECK(extra != NULL);
  NX_CHECK(nx_slab_capacity(slab) == (chunks + 1) * CHUNK);
  NX_CHECK(nx_slab_in_use(slab) == N + spare + 1);
  /* Destroy with slots still in use frees every chunk (checked by ASan/Valgrind). */
  free(p);
  free(q);
  nx_slab_destroy(slab);
  return 0;
}

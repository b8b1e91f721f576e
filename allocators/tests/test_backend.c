/* One backend, linked as a benchmark binary links it (nxrt_backend_<name>):
 * nx_backend_name() is the expected name, the version text names the right
 * library, and blocks aligned to 8/16/32/64 of several sizes are aligned,
 * writable, distinct and freed. Compiled once per backend (jemalloc and
 * mimalloc must not share a process) with:
 *   EXPECT_NAME        "jemalloc"
 *   EXPECT_VERSION     a substring the version text must contain
 *   MAX_SIZE           the largest size to try (the slab backend's limit)
 *   EXPECT_INTERPOSED  1 if this backend replaces malloc for the process, so
 *                      the glibc backend's version must say "interposed".
 *   EXPECT_STORAGE     the backend's nx_backend_storage_kind() */
#include "alloc_check.h"
#include "nx_backend.h"

#include <stdint.h>
#include <string.h>

enum { ROUNDS = 2000 };

int main(void) {
  const nx_allocator *a = nx_backend_allocator();
  CHECK(a != NULL);
  CHECK(a == nx_backend_allocator());
  CHECK(a->alloc != NULL && a->free != NULL);
  printf("backend %s: %s\n", nx_backend_name(), nx_backend_version());
  CHECK(strcmp(nx_backend_name(), EXPECT_NAME) == 0);
  CHECK(a->version != NULL);
  const char *v = a->version(a->ctx);
  CHECK(v != NULL && v[0] != '\0');
  CHECK(strstr(v, EXPECT_VERSION) != NULL);
  CHECK(strcmp(nx_backend_version(), v) == 0);
  CHECK(nx_backend_storage_kind() == EXPECT_STORAGE);

  /* The glibc backend tells whether malloc is really glibc's. */
  const char *glibc = nx_allocator_malloc()->version(NULL);
  printf("glibc backend in this binary: %s\n", glibc);
  CHECK(strncmp(glibc, "glibc ", 6) == 0);
  if (EXPECT_INTERPOSED) CHECK(strstr(glibc, "interposed by") != NULL);

  static const size_t aligns[] = {8, 16, 32, 64};
  static const size_t sizes[] = {1, 8, 16, 24, 40, 48, 64, 88, 100, 256, 1000, 1040, MAX_SIZE};
  enum { NA = sizeof aligns / sizeof aligns[0], NS = sizeof sizes / sizeof sizes[0] };
  static unsigned char *blocks[ROUNDS][NA * NS];

  /* Many blocks alive at once, each filled with its own byte, then checked
   * (an overlap would overwrite a neighbour), then freed in reverse order
   * of allocation on even rounds and forward on odd ones. */
  for (int r = 0; r < ROUNDS; r++) {
    for (size_t i = 0; i < NA; i++)
      for (size_t s = 0; s < NS; s++) {
        unsigned char *p = a->alloc(a->ctx, sizes[s], aligns[i]);
        CHECK(p != NULL);
        CHECK((uintptr_t)p % aligns[i] == 0);
        memset(p, (r + (int)(i * NS + s)) & 0xff, sizes[s]);
        blocks[r][i * NS + s] = p;
      }
  }
  for (int r = 0; r < ROUNDS; r++)
    for (size_t i = 0; i < NA; i++)
      for (size_t s = 0; s < NS; s++) {
        unsigned char *p = blocks[r][i * NS + s];
        unsigned char want = (unsigned char)((r + (int)(i * NS + s)) & 0xff);
        CHECK(p[0] == want && p[sizes[s] - 1] == want);
      }
  for (int r = 0; r < ROUNDS; r++) {
    for (size_t k = 0; k < NA * NS; k++) {
      size_t j = (r % 2) ? k : NA * NS - 1 - k;
      a->free(a->ctx, blocks[r][j], sizes[j % NS], aligns[j / NS]);
    }
  }
  a->free(a->ctx, NULL, 16, 16); /* freeing NULL is a no-op for every backend */

  /* An alignment that is not a power of two is refused, for small and large sizes. */
  CHECK(a->alloc(a->ctx, 64, 24) == NULL);
  CHECK(a->alloc(a->ctx, 8, 3) == NULL);
  CHECK(a->alloc(a->ctx, 1000, 48) == NULL);

  /* Freed memory is usable again. */
  void *p = a->alloc(a->ctx, 64, 64);
  CHECK(p != NULL && (uintptr_t)p % 64 == 0);
  a->free(a->ctx, p, 64, 64);
  return 0;
}

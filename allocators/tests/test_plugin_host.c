/* The plugin host loads the allocator plugin named by $NXRT_BACKEND_PLUGIN
 * (ctest sets it to the bump example's lib<name>.so) and reports its name:
 * $NXRT_BACKEND_NAME when set (ctest sets EXPECT_ENV_NAME then), else the
 * table's name. */
#include "alloc_check.h"
#include "nx_backend.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  const nx_allocator *a = nx_backend_allocator();
  if (a == NULL) fprintf(stderr, "load error: %s\n", nx_backend_plugin_error());
  CHECK(a != NULL);
  CHECK(nx_backend_plugin_error()[0] == '\0');
  CHECK(strcmp(a->name, "bump") == 0);
  const char *want = getenv("EXPECT_BACKEND_NAME");
  CHECK(want != NULL);
  CHECK(strcmp(nx_backend_name(), want) == 0);
  CHECK(strstr(nx_backend_version(), "bump") != NULL);

  static const size_t aligns[] = {8, 16, 32, 64};
  void *p[4];
  for (int i = 0; i < 4; i++) {
    p[i] = a->alloc(a->ctx, 100, aligns[i]);
    CHECK(p[i] != NULL && (uintptr_t)p[i] % aligns[i] == 0);
    memset(p[i], i, 100);
  }
  for (int i = 0; i < 4; i++) CHECK(((unsigned char *)p[i])[99] == i);
  for (int i = 0; i < 4; i++) a->free(a->ctx, p[i], 100, aligns[i]);
  return 0;
}

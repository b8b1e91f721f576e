/* The plugin host fails cleanly: no $NXRT_BACKEND_PLUGIN gives NULL and a
 * reason naming the variable; a path that does not exist, a library without
 * nxrt_plugin_allocator, and bad arguments give NX_EINVAL and a reason, and
 * leave the out pointer NULL. argv[1]: a loadable .so without the symbol. */
#define _POSIX_C_SOURCE 200809L /* unsetenv */
#include "alloc_check.h"
#include "nx_backend.h"

#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  CHECK(argc == 2);
  unsetenv("NXRT_BACKEND_PLUGIN");
  unsetenv("NXRT_BACKEND_NAME");
  CHECK(nx_backend_allocator() == NULL);
  CHECK(strstr(nx_backend_plugin_error(), "NXRT_BACKEND_PLUGIN") != NULL);
  CHECK(strcmp(nx_backend_name(), "plugin") == 0);
  CHECK(strcmp(nx_backend_version(), "(unavailable)") == 0);

  char err[512];
  const nx_allocator *a = (const nx_allocator *)err; /* must become NULL */
  CHECK(nx_backend_plugin_load("/nonexistent/libnothing.so", &a, err, sizeof err) == NX_EINVAL);
  CHECK(a == NULL);
  CHECK(strstr(err, "/nonexistent/libnothing.so") != NULL);
  printf("bad path: %s\n", err);

  a = (const nx_allocator *)err;
  CHECK(nx_backend_plugin_load(argv[1], &a, err, sizeof err) == NX_EINVAL);
  CHECK(a == NULL);
  CHECK(strstr(err, "nxrt_plugin_allocator") != NULL);
  printf("no symbol: %s\n", err);

  CHECK(nx_backend_plugin_load(NULL, &a, err, sizeof err) == NX_EINVAL);
  CHECK(a == NULL && err[0] != '\0');
  CHECK(nx_backend_plugin_load("", &a, NULL, 0) == NX_EINVAL);
  CHECK(nx_backend_plugin_load(argv[1], NULL, err, sizeof err) == NX_EINVAL);
  return 0;
}

/*
 * The plugin host (library nxrt_backend_plugin): the backend of this binary
 * is whatever allocator the shared library named by $NXRT_BACKEND_PLUGIN
 * exports as `nxrt_plugin_allocator` (see NX_DEFINE_BACKEND in nx_backend.h).
 * This is how `nxbench run --backend NAME=PATH/libfoo.so` measures a user's
 * allocator without touching the tree: it runs the plugin-host benchmark
 * binary with NXRT_BACKEND_PLUGIN=PATH and NXRT_BACKEND_NAME=NAME.
 *
 * The plugin is opened RTLD_NOW | RTLD_LOCAL: every symbol it needs is
 * resolved at load time (a missing one is a load error, not a crash later),
 * and its symbols do not leak into the rest of the process.
 *
 * Licensed under the MIT license (see LICENSE).
 */
#define _GNU_SOURCE
#include "nx_backend.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nx_backend_plugin_load(const char *path, const nx_allocator **out, char *err,
                           size_t err_size) {
  char ignored[1];
  if (err == NULL || err_size == 0) {
    err = ignored;
    err_size = sizeof ignored;
  }
  err[0] = '\0';
  if (out == NULL) {
    snprintf(err, err_size, "nx_backend_plugin_load: out is NULL");
    return NX_EINVAL;
  }
  *out = NULL;
  if (path == NULL || path[0] == '\0') {
    snprintf(err, err_size, "no plugin path given");
    return NX_EINVAL;
  }
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    const char *why = dlerror();
    snprintf(err, err_size, "cannot load allocator plugin %s: %s", path,
             why != NULL ? why : "unknown dlopen error");
    return NX_EINVAL;
  }
  /* dlsym returns a data pointer; POSIX guarantees it converts to a function
   * pointer. memcpy keeps ISO C and -Wpedantic quiet about the conversion. */
  void *sym = dlsym(lib, NXRT_PLUGIN_SYMBOL);
  nxrt_plugin_allocator_fn entry = NULL;
  if (sym != NULL) memcpy(&entry, &sym, sizeof entry);
  if (entry == NULL) {
    snprintf(err, err_size,
             "allocator plugin %s does not export %s() (build it with -DNXRT_PLUGIN and "
             "end the file with NX_DEFINE_BACKEND(...))",
             path, NXRT_PLUGIN_SYMBOL);
    dlclose(lib);
    return NX_EINVAL;
  }
  const nx_allocator *a = entry();
  if (a == NULL || a->alloc == NULL || a->free == NULL) {
    snprintf(err, err_size, "allocator plugin %s: %s() returned %s", path, NXRT_PLUGIN_SYMBOL,
             a == NULL ? "NULL" : "a table without alloc/free");
    dlclose(lib);
    return NX_EINVAL;
  }
  *out = a; /* `lib` stays open: the table and its functions live in it. */
  return NX_OK;
}

static const nx_allocator *nx_plugin_table;
static char nx_plugin_error_text[512];
static pthread_once_t nx_plugin_once = PTHREAD_ONCE_INIT;

static void nx_plugin_init(void) {
  const char *path = getenv("NXRT_BACKEND_PLUGIN");
  if (path == NULL || path[0] == '\0') {
    snprintf(nx_plugin_error_text, sizeof nx_plugin_error_text,
             "NXRT_BACKEND_PLUGIN is not set: this binary is the plugin host and needs the "
             "path of an allocator plugin (.so) in it");
  } else {
    nx_backend_plugin_load(path, &nx_plugin_table, nx_plugin_error_text,
                           sizeof nx_plugin_error_text);
  }
  if (nx_plugin_table == NULL) fprintf(stderr, "nxrt: %s\n", nx_plugin_error_text);
}

const nx_allocator *nx_backend_allocator(void) {
  pthread_once(&nx_plugin_once, nx_plugin_init);
  return nx_plugin_table;
}

const char *nx_backend_plugin_error(void) { return nx_plugin_error_text; }

nx_backend_storage nx_backend_storage_kind(void) { return NX_BACKEND_STORAGE_ALLOCATOR; }

const char *nx_backend_name(void) {
  const char *env = getenv("NXRT_BACKEND_NAME");
  if (env != NULL && env[0] != '\0') return env;
  const nx_allocator *a = nx_backend_allocator();
  if (a != NULL && a->name != NULL && a->name[0] != '\0') return a->name;
  return "plugin";
}

/*
 * Allocator backend selection for benchmark binaries (allocators/README.md).
 *
 * A benchmark binary is linked with exactly ONE backend library
 * (nxrt_backend_<name>, made by nx_add_allocator_backend() in
 * allocators/CMakeLists.txt). Every backend library defines the two symbols
 * below, so linking two backends into one binary fails at link time with a
 * "multiple definition of nx_backend_allocator" error. That is on purpose:
 * jemalloc, mimalloc and tcmalloc each replace `malloc` for the whole
 * process, so two of them in one process would measure neither.
 *
 * A user backend is one C file that ends with NX_DEFINE_BACKEND(expr), where
 * `expr` evaluates to a `const nx_allocator *` (or with
 * NX_DEFINE_BACKEND_STORAGE(expr, storage) to choose how the executor keeps
 * its tasks: see nx_backend_storage below). The same file builds two ways:
 *   - in the tree: nx_add_allocator_backend(NAME foo SOURCES foo.c) makes the
 *     static library nxrt_backend_foo; the macro defines the two symbols below.
 *   - as a plugin: nx_add_allocator_plugin(NAME foo SOURCES foo.c) (or any
 *     `cc -shared -fPIC -DNXRT_PLUGIN ...`) makes libfoo.so; the macro then
 *     defines only `nxrt_plugin_allocator`, which the plugin host
 *     (nxrt_backend_plugin) looks up after dlopen-ing NXRT_BACKEND_PLUGIN.
 *
 * Licensed under the MIT license (see LICENSE).
 */
#ifndef NX_BACKEND_H
#define NX_BACKEND_H

#include "nxrt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The allocator this binary was linked with. NULL only for the plugin host
 * when the plugin cannot be loaded (the reason is printed to stderr once and
 * is available from nx_backend_plugin_error()). Any thread; the first call
 * initialises (for mimalloc: call it first on the executor's thread). */
const nx_allocator *nx_backend_allocator(void);
/* The backend's name as results report it: "malloc", "slab", "jemalloc",
 * "mimalloc", "tcmalloc", the NAME given to nx_add_allocator_backend(), or
 * for the plugin host $NXRT_BACKEND_NAME, else the plugin allocator's name,
 * else "plugin". Never NULL. */
const char *nx_backend_name(void);

/* How a binary's executor keeps its tasks with this backend: the one thing
 * besides the allocator a benchmark harness asks a backend, so that no file
 * compares backend names. */
typedef enum nx_backend_storage {
  /* nx_executor_config.allocator = nx_backend_allocator(); tasks by nx_spawn. */
  NX_BACKEND_STORAGE_ALLOCATOR = 0,
  /* The executor owns a bounded slab (nx_executor_config.slab) sized by the
   * harness for the case; tasks by nx_spawn_slab. The allocator serves only
   * what the harness itself allocates. */
  NX_BACKEND_STORAGE_EXECUTOR_SLAB = 1,
} nx_backend_storage;

/* This backend's storage. Never fails. */
nx_backend_storage nx_backend_storage_kind(void);

static inline nx_poll nx_backend_probe_poll_(void *state, nx_cx *cx) {
  (void)state;
  (void)cx;
  return NX_READY;
}

/* For NX_BACKEND_STORAGE_EXECUTOR_SLAB: the smallest slot size (a multiple
 * of 64 bytes) a future of `future_bytes` (no output) fits, found by
 * spawning into a one-slot executor slab, so it does not depend on the task
 * header's size. 0 if none up to 1 MiB fits or an executor cannot be made.
 * The benchmark harnesses size every executor-owned slab with it. */
static inline size_t nx_backend_slab_slot_for(size_t future_bytes) {
  nx_future_desc d = {nx_backend_probe_poll_, NULL, future_bytes, 0, 0};
  static const unsigned char zeros[4096] = {0};
  if (future_bytes > sizeof zeros) return 0;
  for (size_t slot = 64; slot <= ((size_t)1 << 20); slot += 64) {
    nx_slab_config sc;
    nx_executor_config cfg;
    nx_executor *ex = NULL;
    nx_slab_config_init(&sc);
    sc.slot_size = slot;
    sc.capacity = 1;
    nx_executor_config_init(&cfg);
    cfg.slab = &sc;
    if (nx_executor_create(&cfg, &ex) != NX_OK) return 0;
    int rc = nx_spawn_slab(ex, &d, zeros, NULL, NULL);
    nx_executor_destroy(ex);
    if (rc >= 0) return slot;
    if (rc != NX_E2BIG) return 0;
  }
  return 0;
}

/* The running library's version text of the linked backend, "" if it has
 * none, "(unavailable)" if nx_backend_allocator() is NULL. Never NULL. */
static inline const char *nx_backend_version(void) {
  const nx_allocator *a = nx_backend_allocator();
  if (a == NULL) return "(unavailable)";
  if (a->version == NULL) return "";
  const char *v = a->version(a->ctx);
  return v != NULL ? v : "";
}

/* The symbol a plugin .so exports (NX_DEFINE_BACKEND defines it for you). */
#define NXRT_PLUGIN_SYMBOL "nxrt_plugin_allocator"
typedef const nx_allocator *(*nxrt_plugin_allocator_fn)(void);

/* Plugin host only (defined in nxrt_backend_plugin): loads the plugin at
 * `path` and stores its allocator in *out. Returns 0, or NX_EINVAL (null
 * argument, path not loadable, symbol missing, the symbol returned NULL or a
 * table without alloc/free). On error *out is NULL and `err` (if non-NULL)
 * receives a one-line reason. A loaded plugin stays loaded for the process. */
int nx_backend_plugin_load(const char *path, const nx_allocator **out, char *err,
                           size_t err_size);
/* Plugin host only: why nx_backend_allocator() returned NULL ("" if it did
 * not, or was not called yet). */
const char *nx_backend_plugin_error(void);

/* Tables of the built-in external backends; each is defined only in its own
 * library (nxrt_backend_jemalloc, ...). malloc and slab are in nxrt.h. */
const nx_allocator *nx_allocator_jemalloc(void);
const nx_allocator *nx_allocator_mimalloc(void);
const nx_allocator *nx_allocator_tcmalloc(void);

#if defined(__GNUC__)
#define NX_BACKEND_EXPORT __attribute__((visibility("default")))
#else
#define NX_BACKEND_EXPORT
#endif

/* NX_BACKEND_NAME is set by nx_add_allocator_backend() to its NAME, so the
 * reported name always matches the library; without it the table's name. */
#ifdef NX_BACKEND_NAME
#define NX_BACKEND_NAME_OF_(table) ((void)(table), NX_BACKEND_NAME)
#else
#define NX_BACKEND_NAME_OF_(table) ((table) != NULL && (table)->name != NULL ? (table)->name : "?")
#endif

/* A plugin is always an allocator (the plugin host's storage). */
#ifdef NXRT_PLUGIN
#define NX_DEFINE_BACKEND(table_expr)                                      \
  NX_BACKEND_EXPORT const nx_allocator *nxrt_plugin_allocator(void);       \
  NX_BACKEND_EXPORT const nx_allocator *nxrt_plugin_allocator(void) {      \
    return (table_expr);                                                   \
  }                                                                        \
  typedef int nx_backend_defined_as_plugin_
#else
#define NX_DEFINE_BACKEND(table_expr) \
  NX_DEFINE_BACKEND_STORAGE(table_expr, NX_BACKEND_STORAGE_ALLOCATOR)
#define NX_DEFINE_BACKEND_STORAGE(table_expr, storage)                     \
  const nx_allocator *nx_backend_allocator(void) { return (table_expr); }  \
  const char *nx_backend_name(void) {                                      \
    const nx_allocator *nx_table_ = nx_backend_allocator();                \
    return NX_BACKEND_NAME_OF_(nx_table_);                                 \
  }                                                                        \
  nx_backend_storage nx_backend_storage_kind(void) { return (storage); }   \
  typedef int nx_backend_defined_in_tree_
#endif

#ifdef __cplusplus
}
#endif
#endif /* NX_BACKEND_H */

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
 * `expr` evaluates to a `const nx_allocator *`. The same file builds two ways:
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

#ifdef NXRT_PLUGIN
#define NX_DEFINE_BACKEND(table_expr)                                      \
  NX_BACKEND_EXPORT const nx_allocator *nxrt_plugin_allocator(void);       \
  NX_BACKEND_EXPORT const nx_allocator *nxrt_plugin_allocator(void) {      \
    return (table_expr);                                                   \
  }                                                                        \
  typedef int nx_backend_defined_as_plugin_
#else
#define NX_DEFINE_BACKEND(table_expr)                                      \
  const nx_allocator *nx_backend_allocator(void) { return (table_expr); }  \
  const char *nx_backend_name(void) {                                      \
    const nx_allocator *nx_table_ = nx_backend_allocator();                \
    return NX_BACKEND_NAME_OF_(nx_table_);                                 \
  }                                                                        \
  typedef int nx_backend_defined_in_tree_
#endif

#ifdef __cplusplus
}
#endif
#endif /* NX_BACKEND_H */

/*
 * The jemalloc backend (libjemalloc-dev). Library: nxrt_backend_jemalloc.
 *
 * Which calls, measured in one run here (fenced TSC, batches of 100, p50,
 * 64 bytes), as ratios to malloc+free: malloc+sdallocx 1.1-1.3x,
 * mallocx(0)+sdallocx 1.6-1.9x, mallocx(ALIGN 64)+sdallocx 2.4x (with free
 * 2.1x). Sized free does not pay in
 * jemalloc 5.3, and mallocx only for alignment. So blocks that plain malloc
 * already aligns (align <= 8, or 16 for sizes of at least 16: jemalloc's
 * quantum) take malloc+free; the rest mallocx(MALLOCX_ALIGN)+sdallocx. Each
 * pair is resolved the same way, so it stays matched even where `malloc`
 * is not jemalloc's (a sanitizer runtime or LD_PRELOAD interposes it).
 *
 * `malloc` and `free` are jemalloc's here only because libjemalloc exports
 * them and is linked in; version() checks that (the running library's
 * mallctl "version", plus a note if `malloc` resolves to another object).
 *
 * Licensed under the MIT license (see LICENSE).
 */
#define _GNU_SOURCE
#include "nx_backend.h"

#include <dlfcn.h>
#include <jemalloc/jemalloc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* align is a power of two up to 8, or 16 for sizes of at least 16. */
static inline int nx_jemalloc_plain_aligns(size_t size, size_t align) {
  return ((align & (align - 1)) == 0 && align - 1 < 8) || (align == 16 && size >= 16);
}

static __attribute__((noinline)) void *nx_jemalloc_alloc_aligned(size_t size, size_t align) {
  if (align == 0 || (align & (align - 1)) != 0) return NULL;
  /* mallocx(0) is undefined behaviour in jemalloc's contract. */
  return mallocx(size != 0 ? size : 1, MALLOCX_ALIGN(align));
}

static void *nx_jemalloc_alloc(void *ctx, size_t size, size_t align) {
  (void)ctx;
  if (nx_jemalloc_plain_aligns(size, align)) return malloc(size);
  return nx_jemalloc_alloc_aligned(size, align);
}

static void nx_jemalloc_free(void *ctx, void *ptr, size_t size, size_t align) {
  (void)ctx;
  if (nx_jemalloc_plain_aligns(size, align)) {
    free(ptr);
  } else if (ptr != NULL) {
    sdallocx(ptr, size != 0 ? size : 1, MALLOCX_ALIGN(align));
  }
}

static char nx_jemalloc_version_text[256];
static pthread_once_t nx_jemalloc_version_once = PTHREAD_ONCE_INIT;

static const char *nx_jemalloc_object(const char *symbol) {
  Dl_info info;
  void *sym = dlsym(RTLD_DEFAULT, symbol);
  if (sym == NULL || dladdr(sym, &info) == 0 || info.dli_fname == NULL) return NULL;
  const char *slash = strrchr(info.dli_fname, '/');
  return slash != NULL ? slash + 1 : info.dli_fname;
}

static void nx_jemalloc_version_init(void) {
  const char *v = NULL;
  size_t len = sizeof v;
  if (mallctl("version", &v, &len, NULL, 0) != 0 || v == NULL) v = "(mallctl version failed)";
  int n = snprintf(nx_jemalloc_version_text, sizeof nx_jemalloc_version_text, "jemalloc %s", v);
  const char *mallocx_in = nx_jemalloc_object("mallocx");
  const char *malloc_in = nx_jemalloc_object("malloc");
  if (n > 0 && (size_t)n < sizeof nx_jemalloc_version_text && mallocx_in != NULL &&
      (malloc_in == NULL || strcmp(mallocx_in, malloc_in) != 0))
    snprintf(nx_jemalloc_version_text + n, sizeof nx_jemalloc_version_text - (size_t)n,
             " (but malloc is from %s)", malloc_in != NULL ? malloc_in : "an unknown object");
}

static const char *nx_jemalloc_version(void *ctx) {
  (void)ctx;
  pthread_once(&nx_jemalloc_version_once, nx_jemalloc_version_init);
  return nx_jemalloc_version_text;
}

static const nx_allocator nx_jemalloc_table = {
    "jemalloc", nx_jemalloc_alloc, nx_jemalloc_free, nx_jemalloc_version, NULL};

const nx_allocator *nx_allocator_jemalloc(void) { return &nx_jemalloc_table; }

/* The backend entry symbols (nx_backend.h); with -DNXRT_PLUGIN, a plugin. */
NX_DEFINE_BACKEND(nx_allocator_jemalloc());

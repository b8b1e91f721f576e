/*
 * The glibc malloc backend (built into libnxrt).
 *
 * Alignments up to alignof(max_align_t) (16 on x86-64) are what malloc
 * already guarantees, so they take plain malloc; larger ones aligned_alloc.
 *
 * version() names glibc's version and, so a mislinked binary cannot pose as
 * "glibc", says whether `malloc` in this process is really libc's: when
 * another library interposes it (jemalloc, mimalloc or tcmalloc linked in,
 * LD_PRELOAD, a sanitizer runtime, valgrind), the string says
 *   "glibc 2.36 (malloc interposed by libjemalloc.so.2)".
 *
 * Licensed under the MIT license (see LICENSE).
 */
#define _GNU_SOURCE
#include "nxrt.h"

#include <dlfcn.h>
#include <gnu/lib-names.h>
#include <gnu/libc-version.h>
#include <pthread.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *nx_malloc_alloc(void *ctx, size_t size, size_t align) {
  (void)ctx;
  if (align == 0 || (align & (align - 1)) != 0) return NULL;
  if (align <= alignof(max_align_t)) return malloc(size);
  /* aligned_alloc wants a size that is a multiple of the alignment. */
  size_t rounded = (size + align - 1) & ~(align - 1);
  if (rounded < size) return NULL;
  return aligned_alloc(align, rounded == 0 ? align : rounded);
}

static void nx_malloc_free(void *ctx, void *ptr, size_t size, size_t align) {
  (void)ctx;
  (void)size;
  (void)align;
  free(ptr);
}

static char nx_malloc_version_text[256];
static pthread_once_t nx_malloc_version_once = PTHREAD_ONCE_INIT;

/* The basename of the object that defines `sym`, or "an unknown object". */
static const char *nx_object_name(void *sym) {
  Dl_info info;
  if (sym == NULL || dladdr(sym, &info) == 0 || info.dli_fname == NULL) return "an unknown object";
  const char *slash = strrchr(info.dli_fname, '/');
  const char *name = slash != NULL ? slash + 1 : info.dli_fname;
  return name[0] != '\0' ? name : "the main program";
}

static void nx_malloc_version_init(void) {
  char *out = nx_malloc_version_text;
  size_t cap = sizeof nx_malloc_version_text;
  int n = snprintf(out, cap, "glibc %s", gnu_get_libc_version());
  if (n < 0 || (size_t)n >= cap) return;

  void *active = dlsym(RTLD_DEFAULT, "malloc");
  void *libc = dlopen(LIBC_SO, RTLD_LAZY | RTLD_NOLOAD);
  void *own = libc != NULL ? dlsym(libc, "malloc") : NULL;
  if (own == NULL) {
    snprintf(out + n, cap - (size_t)n, " (could not check which malloc is linked)");
  } else if (active != own) {
    snprintf(out + n, cap - (size_t)n, " (malloc interposed by %s)", nx_object_name(active));
  }
  if (libc != NULL) dlclose(libc);
}

static const char *nx_malloc_version(void *ctx) {
  (void)ctx;
  pthread_once(&nx_malloc_version_once, nx_malloc_version_init);
  return nx_malloc_version_text;
}

static const nx_allocator nx_malloc_table = {
    "malloc", nx_malloc_alloc, nx_malloc_free, nx_malloc_version, NULL};

const nx_allocator *nx_allocator_malloc(void) { return &nx_malloc_table; }

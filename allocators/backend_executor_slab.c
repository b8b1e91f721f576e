/*
 * The executor-owned slab (library nxrt_backend_slab): the executor keeps its
 * tasks in a bounded slab it owns (nx_executor_config.slab, nx_spawn_slab),
 * which the benchmark harness sizes for each case (the smallest multiple of
 * 64 bytes the case's largest future fits). Nothing is allocated per task
 * outside the executor. The table below only names this storage and serves,
 * through glibc malloc, what the harness itself allocates.
 *
 * The other slab, size classes of slabs behind an nx_allocator, is the
 * backend slab_classes (backend_slab.c).
 *
 * Licensed under the MIT license (see LICENSE).
 */
#include <pthread.h>
#include <stdio.h>

#include "nx_backend.h"

static nx_allocator nx_executor_slab_table;
static char nx_executor_slab_version_text[96];
static pthread_once_t nx_executor_slab_once = PTHREAD_ONCE_INIT;

static const char *nx_executor_slab_version(void *ctx) {
  (void)ctx;
  return nx_executor_slab_version_text;
}

static void nx_executor_slab_init(void) {
  snprintf(nx_executor_slab_version_text, sizeof nx_executor_slab_version_text,
           "nxrt %s executor-owned bounded slab (nx_spawn_slab)", nx_version());
  nx_executor_slab_table = *nx_allocator_malloc();
  nx_executor_slab_table.name = "slab";
  nx_executor_slab_table.version = nx_executor_slab_version;
}

static const nx_allocator *nx_executor_slab_allocator(void) {
  pthread_once(&nx_executor_slab_once, nx_executor_slab_init);
  return &nx_executor_slab_table;
}

NX_DEFINE_BACKEND_STORAGE(nx_executor_slab_allocator(), NX_BACKEND_STORAGE_EXECUTOR_SLAB);

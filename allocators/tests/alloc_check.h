/* A minimal check macro for the allocator unit tests: print where and why,
 * exit non-zero. Licensed under the MIT license (see LICENSE). */
#ifndef NXRT_ALLOC_CHECK_H
#define NXRT_ALLOC_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      exit(1);                                                               \
    }                                                                        \
  } while (0)

#endif

/*
 * Internal assertions at the invariants the comments state.
 *
 *   NX_ASSERT(cond)            cheap checks; live unless NDEBUG (the default,
 *                              asan and tsan presets keep them, release drops
 *                              them). Not on the paths the callgrind gate
 *                              counts, so the counts do not move with them.
 *   NX_ASSERT_EXPENSIVE(cond)  checks that walk a whole structure; only with
 *                              the CMake option NXRT_EXPENSIVE_CHECKS=ON.
 *
 * Licensed under the MIT license (see LICENSE).
 */
#ifndef NXRT_NX_ASSERT_H
#define NXRT_NX_ASSERT_H

#include <assert.h>

#define NX_ASSERT(cond) assert(cond)

#ifdef NXRT_EXPENSIVE_CHECKS
#define NX_ASSERT_EXPENSIVE(cond) assert(cond)
#else
#define NX_ASSERT_EXPENSIVE(cond) ((void)0)
#endif

#endif /* NXRT_NX_ASSERT_H */

/*
 * Internal assertions at the invariants the comments state.
 *
 *   NX_ASSERT(cond)            cheap checks; live unless NDEBUG (the default,
 *                              asan and tsan presets keep them, release drops
 *                              them). The callgrind gate counts the runtime
 *                              built with NDEBUG (nxrt_ndebug in
 *                              runtime/CMakeLists.txt), so asserts on the hot
 *                              paths do not move its counts.
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

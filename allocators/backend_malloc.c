/*
 * Entry symbols of the glibc malloc backend (library nxrt_backend_malloc).
 * The allocator itself is runtime/src/malloc.c, part of libnxrt.
 *
 * Licensed under the MIT license (see LICENSE).
 */
#include "nx_backend.h"

NX_DEFINE_BACKEND(nx_allocator_malloc());

/* Status code names and texts. */
#include "nxrt.h"

#include <errno.h>
#include <stddef.h>

typedef struct nx_error_info {
  int code;
  const char *name;
  const char *text;
} nx_error_info;

static const nx_error_info nx_errors[] = {
    {NX_OK, "NX_OK", "success"},
    {NX_EINVAL, "NX_EINVAL", "invalid argument (null pointer, bad config or flags)"},
    {NX_ENOMEM, "NX_ENOMEM", "out of memory: the allocator returned NULL"},
    {NX_ESLABFULL, "NX_ESLABFULL", "bounded slab is full: nothing was spawned"},
    {NX_E2BIG, "NX_E2BIG", "future does not fit the slab slot"},
    {NX_EALIGN, "NX_EALIGN", "alignment is not a power of two or is larger than 64"},
    {NX_ESTALE, "NX_ESTALE", "task id is stale: that task no longer exists"},
    {NX_EALREADY, "NX_EALREADY", "task already completed"},
    {NX_ECANCELED, "NX_ECANCELED", "task was cancelled"},
    {NX_ESHUTDOWN, "NX_ESHUTDOWN", "executor was shut down"},
    {NX_EOVERFLOW, "NX_EOVERFLOW", "counter would overflow"},
    {NX_EPERM, "NX_EPERM", "called from a thread that does not own the executor"},
    {NX_EBUSY, "NX_EBUSY", "not allowed from inside a poll"},
    /* nxrt_services.h */
    {-EAGAIN, "NX_EAGAIN", "would block: channel full (send) or empty (receive)"},
    {-EPIPE, "NX_EPIPE", "the other side of the channel is closed"},
    {-ETIMEDOUT, "NX_ETIMEDOUT", "the deadline passed first"},
};

static const nx_error_info *nx_error_find(int code) {
  for (size_t i = 0; i < sizeof nx_errors / sizeof nx_errors[0]; i++)
    if (nx_errors[i].code == code) return &nx_errors[i];
  return NULL;
}

const char *nx_strerror(int code) {
  const nx_error_info *e = nx_error_find(code);
  return e ? e->text : "unknown error";
}

const char *nx_err_name(int code) {
  const nx_error_info *e = nx_error_find(code);
  return e ? e->name : "NX_UNKNOWN";
}

const char *nx_version(void) { return "0.1.0"; }

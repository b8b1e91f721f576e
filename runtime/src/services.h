/* What the runtime services (timer.c, io.c, shutdown.c, the channels) share:
 * finding an executor's service, the checks every service entry point
 * makes, and the cross-thread waker slot (atomic_waker.c). Not public. */
#ifndef NXRT_SERVICES_INTERNAL_H
#define NXRT_SERVICES_INTERNAL_H

#include "executor.h"
#include "nxrt_services.h"
#include "waker_slot.h"

/* The executor's service of the kind `ops`, or NULL. Services are
 * identified by their ops table: each kind has its own, and an executor has
 * at most one of each kind. A handful at most, so a walk is cheap. */
static inline nx_service *nx__service_find(nx_executor *ex, const nx_service_ops *ops) {
  for (nx_service *s = ex->services; s != NULL; s = s->next)
    if (s->ops == ops) return s;
  return NULL;
}

/* Checks before a service touches executor state: 0, NX_ESHUTDOWN (shut
 * down or shutting down: no service may be created or used any more), or
 * NX_EWRONGTHREAD (not the executor's thread). */
static inline int nx__service_check(nx_executor *ex) {
  if (ex->shut || ex->shutting_down) return NX_ESHUTDOWN;
  if (!nx__on_owner(ex)) return NX_EWRONGTHREAD;
  return NX_OK;
}

/* The executor's service of the kind `ops`, made on first use: NX_OK with
 * *out, the error of nx__service_check, or NX_ENOMEM when `create` (which
 * allocates the service and sets its own fields; the kind's `ops` are set
 * here, before the executor counts its hooks) returns NULL. The one
 * find-or-create every service uses. */
static inline int nx__service_get(nx_executor *ex, const nx_service_ops *ops,
                                  nx_service *(*create)(nx_executor *ex), nx_service **out) {
  int rc = nx__service_check(ex);
  if (rc < 0) return rc;
  nx_service *s = nx__service_find(ex, ops);
  if (s == NULL) {
    s = create(ex);
    if (s == NULL) return NX_ENOMEM;
    s->ops = ops;
    nx__executor_add_service(ex, s);
  }
  *out = s;
  return NX_OK;
}

/* A cx passed to a service poll must be the one of the poll running now: the
 * executor reuses one cx, and between polls (in a drop function, a service
 * hook, at top level) it names no task, so a cx kept past its poll would
 * register an empty waker and never be woken. Such calls are NX_EINVAL. */
static inline bool nx__cx_in_poll(const nx_cx *cx) { return cx != NULL && cx->task != NULL; }

/* ------------------------------------------------------------------------ */
/* Atomic waker: one waker slot that one side registers into and any      */
/* thread wakes (the receiver of a cross-thread channel). See atomic_waker.c */
/* ------------------------------------------------------------------------ */
typedef struct nx_atomic_waker {
  _Atomic unsigned state;
  nx_waker waker;
} nx_atomic_waker;

void nx__atomic_waker_init(nx_atomic_waker *aw);
/* Stores a clone of `w` (the borrowed waker of the polling task), unless the
 * same task is already stored. Then the caller MUST re-check its condition:
 * a wake that raced with the registration is never lost (see the file).
 * Returns NX_OK or NX_EINVAL (w empty). */
int nx__atomic_waker_register(nx_atomic_waker *aw, const nx_waker *w);
/* Takes the stored waker out and wakes it (any thread). */
void nx__atomic_waker_wake(nx_atomic_waker *aw);
/* Takes the stored waker out and drops it (unregister). */
void nx__atomic_waker_clear(nx_atomic_waker *aw);

/* ------------------------------------------------------------------------ */
/* IO readiness (io.c)                                                      */
/* ------------------------------------------------------------------------ */
/* A stream read returned fewer bytes than asked (and more than 0): the
 * receive queue was empty, so the read side's mark is cleared and the next
 * read waits for an edge instead of trying a recv that says EAGAIN. Kept
 * when an event already reported the peer's end (FIN, reset, error): that
 * end is still to be read and raises no new edge. Only for streams whose
 * reads drain what is queued (TCP); a datagram, a terminal line or a pipe
 * read that stopped at a boundary proves nothing. */
void nx__io_read_was_short(nx_io *io);
/* Marks a registration whose futures all take a false readiness (they try
 * the transfer and wait again on EAGAIN): the sockets'. */
void nx__io_set_try_first(nx_io *io);

#endif /* NXRT_SERVICES_INTERNAL_H */

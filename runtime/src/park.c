/* Parking: how an idle executor sleeps and how other threads wake it.
 *
 * Mechanism: epoll + an eventfd, not a futex, because the executor must also
 * sleep on IO readiness and timer deadlines (epoll_pwait2 takes a ns timeout);
 * one wait covers all three. The eventfd is registered edge-triggered and
 * never read: each write is a fresh edge, which saves a read() per wake-up.
 *
 * The handshake (a Dekker pattern; all four operations are seq_cst, so they
 * are in one total order S):
 *
 *   executor (nx__park)                 producer (nx__wake_remote)
 *   E1 store parked = 1                 P1 CAS inbox head (the push)
 *   E2 load inbox head                  P2 load parked
 *      empty -> E3 epoll_wait              1 -> P3 exchange parked = 0; write eventfd
 *
 * If E2 precedes P1 in S, then E1 precedes P2 (program order), so P2 reads 1
 * and the producer writes the eventfd: the sleep ends. If P1 precedes E2, the
 * executor sees the pushed node and does not sleep. Either way no wake is
 * lost. The exchange in P3 makes only one of many producers pay the syscall.
 * A write that lands while the executor is awake only causes one spurious
 * return from epoll later, which the run loop tolerates.
 *
 * Busy mode never sets `parked`, so producers never make a syscall there.
 */
#define _GNU_SOURCE
#include "executor.h"

#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

int64_t nx__now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void nx__unpark(nx_executor *ex) {
  if (atomic_exchange_explicit(&ex->inbox.parked, 0, memory_order_seq_cst)) {
    uint64_t one = 1;
    ssize_t n;
    do n = write(ex->evfd, &one, sizeof one);
    while (n < 0 && errno == EINTR);
  }
}

void nx_executor_unpark(nx_executor *ex) {
  if (ex != NULL) nx__unpark(ex);
}

#define NX_EVENTS_PER_WAIT 64

/* Waits for epoll events until `deadline_ns` (absolute; 0 = don't block,
 * -1 = no deadline) and dispatches them. Returns the number of events. */
int nx__poll_events(nx_executor *ex, int64_t deadline_ns) {
  struct epoll_event events[NX_EVENTS_PER_WAIT];
  struct timespec ts, *tsp = NULL;
  if (deadline_ns >= 0) {
    int64_t left = deadline_ns == 0 ? 0 : deadline_ns - nx__now_ns();
    if (left < 0) left = 0;
    ts.tv_sec = left / 1000000000;
    ts.tv_nsec = left % 1000000000;
    tsp = &ts;
  }
  int n = epoll_pwait2(ex->epfd, events, NX_EVENTS_PER_WAIT, tsp, NULL);
  if (n < 0 && errno == ENOSYS) {
    /* Kernel before 5.11: round the timeout up to whole ms, never early. */
    int ms = -1;
    if (tsp) ms = (int)((ts.tv_sec * 1000000000 + ts.tv_nsec + 999999) / 1000000);
    n = epoll_wait(ex->epfd, events, NX_EVENTS_PER_WAIT, ms);
  }
  for (int i = 0; i < n; i++) {
    nx_epoll_source *src = events[i].data.ptr;
    if (src != NULL) src->ready(src, events[i].events);
  }
  return n < 0 ? 0 : n;
}

static int64_t nx_next_deadline(nx_executor *ex) {
  int64_t best = -1;
  for (nx_service *s = ex->services; s != NULL; s = s->next) {
    if (s->next_deadline_ns == NULL) continue;
    int64_t d = s->next_deadline_ns(s);
    if (d >= 0 && (best < 0 || d < best)) best = d;
  }
  return best;
}

void nx__park(nx_executor *ex) {
  int64_t deadline = nx_next_deadline(ex);
  if (deadline > 0 && deadline <= nx__now_ns()) return; /* a timer is due: no sleep */
  atomic_store_explicit(&ex->inbox.parked, 1, memory_order_seq_cst);           /* E1 */
  if (nx__inbox_maybe_nonempty(&ex->inbox)) {                                 /* E2 */
    atomic_store_explicit(&ex->inbox.parked, 0, memory_order_relaxed);
    return;
  }
  nx__poll_events(ex, deadline < 0 ? -1 : (deadline == 0 ? 1 : deadline));   /* E3 */
  atomic_store_explicit(&ex->inbox.parked, 0, memory_order_relaxed);
}

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
 *   executor (nx_park)                  producer (nx__wake_remote)
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
 *
 * Spin-then-park (NX_RUN_SPIN_PARK): before E1 the executor spins for its
 * budget, reading the inbox head (relaxed), IO readiness (epoll, no
 * timeout) and the clock, then optionally yields, then runs E1-E3
 * unchanged. An IO check may consume a late eventfd edge: harmless, as E2
 * re-checks the inbox before any sleep. `parked` stays 0 while it spins, so a
 * producer then makes no syscall; the spin's own reads are only a shortcut,
 * never the reason to sleep: E2 re-checks after E1 whatever the spin saw
 * (tests/model/park_handshake.pml checks both, and that skipping E2 after a
 * spin loses wakeups).
 *
 * Timer precision: a sleep until a deadline is only as precise as the
 * thread's timer slack (50 us by default) plus the time a halted vCPU takes
 * to run again. The executor lowers its thread's slack for the duration of
 * nx_run/nx_block_on (at the first timed sleep, restored at the end), and
 * ends a timed sleep early by the lateness it measured on earlier ones
 * (capped by timer_spin_max_ns), then spins to the deadline. Timers still
 * never fire early: the timer service fires an entry only once now >= its
 * deadline.
 */
#define _GNU_SOURCE
#include "executor.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
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
    if (s->ops->next_deadline_ns == NULL) continue;
    int64_t d = s->ops->next_deadline_ns(s);
    if (d >= 0 && (best < 0 || d < best)) best = d;
  }
  return best;
}

/* Pauses between the spin's IO checks: an epoll_wait costs many pauses, so a
 * check at every pause makes the spin mostly system calls for no earlier
 * answer, while a sparse one leaves arriving data waiting for half the gap
 * (tcp_echo_rtt / udp_echo_rtt run=spin_park in bench/README.md show both). */
#ifndef NX_SPIN_IO_EVERY
#define NX_SPIN_IO_EVERY 8
#endif
static_assert(NX_SPIN_IO_EVERY % 8 == 0 && NX_SPIN_IO_EVERY > 0,
              "the spin checks IO between its rounds of 8 pauses");

/* Spins until the inbox has something or an IO event was dispatched (true),
 * or the clock reaches `until` (false). The inbox is read at every pause, so
 * a wake is seen within one pause; the clock (a vDSO call) every 8 pauses.
 * IO is asked of epoll, never tried first as busy mode does: a speculative
 * wake would end the spin, and the next idle step would start a fresh
 * budget, so a socket waiting for data would keep the executor spinning
 * instead of parking. */
static bool nx_spin_until(nx_executor *ex, int64_t until) {
  for (uint32_t round = 1;; round++) {
    for (int i = 0; i < 8; i++) {
      if (nx__inbox_peek(&ex->inbox)) return true;
      __builtin_ia32_pause();
    }
    if (ex->epoll_sources != 0 && round % (NX_SPIN_IO_EVERY / 8) == 0 &&
        nx__poll_events(ex, 0) > 0)
      return true;
    if (nx__now_ns() >= until) return false;
  }
}

/* Lowers the thread's timer slack until nx__idle_end (once per run: two
 * syscalls, only in runs that sleep until a deadline). */
static void nx_slack_lower(nx_executor *ex) {
  if (ex->timer_slack_ns == 0 || ex->saved_slack_ns >= 0) return;
  int old = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  if (old > 0 && prctl(PR_SET_TIMERSLACK, (unsigned long)ex->timer_slack_ns, 0, 0, 0) == 0)
    ex->saved_slack_ns = old;
}

void nx__idle_end(nx_executor *ex) {
  if (ex->saved_slack_ns < 0) return;
  prctl(PR_SET_TIMERSLACK, (unsigned long)ex->saved_slack_ns, 0, 0, 0);
  ex->saved_slack_ns = -1;
}

/* Learns how late a timed sleep ends (`late`: now - the time asked for).
 * Rises fast and falls slowly, so the margin follows the slow wake-ups
 * rather than the median, which keeps the tail of timer lateness short. */
static void nx_margin_learn(nx_executor *ex, int64_t late) {
  if (late < 0 || ex->timer_spin_max_ns == 0) return;
  int64_t m = ex->timer_margin_ns;
  m += late > m ? (late - m) / 4 : (late - m) / 32;
  if (m > (int64_t)ex->timer_spin_max_ns) m = ex->timer_spin_max_ns;
  ex->timer_margin_ns = m < 0 ? 0 : m;
}

/* Sleeps until a wake, an IO event or the next timer deadline. */
static void nx_park(nx_executor *ex) {
  int64_t deadline = nx_next_deadline(ex), wake_at = -1;
  if (deadline >= 0) {
    int64_t now = nx__now_ns();
    if (deadline <= now) return; /* a timer is due: no sleep */
    nx_slack_lower(ex);
    wake_at = deadline - ex->timer_margin_ns;
    if (wake_at <= now) { /* closer than a wake-up takes: spin to it */
      nx_spin_until(ex, deadline);
      return;
    }
  }
  atomic_store_explicit(&ex->inbox.parked, 1, memory_order_seq_cst);           /* E1 */
  if (nx__inbox_maybe_nonempty(&ex->inbox)) {                                 /* E2 */
    atomic_store_explicit(&ex->inbox.parked, 0, memory_order_relaxed);
    return;
  }
  int n = nx__poll_events(ex, wake_at);                                       /* E3 */
  atomic_store_explicit(&ex->inbox.parked, 0, memory_order_relaxed);
  if (deadline >= 0 && n == 0) {
    int64_t now = nx__now_ns();
    nx_margin_learn(ex, now - wake_at);
    if (now < deadline) nx_spin_until(ex, deadline);
  }
}

void nx__wait_for_work(nx_executor *ex, nx_run_mode mode) {
  if (mode == NX_RUN_BUSY) {
    if (ex->epoll_sources != 0) {
      nx__io_busy_idle(ex);
    } else {
      /* Keep the head line exclusive while idle: a waker's push takes it
       * over, and the next look here fetches it back exclusive in one
       * transaction, so the drain's exchange hits instead of upgrading a
       * shared copy (one coherence transaction less on the wake's path). */
      nx__prefetch_for_write(&ex->inbox.head);
      __builtin_ia32_pause();
    }
    return;
  }
  if (mode == NX_RUN_SPIN_PARK && (ex->idle_spin_ns | ex->idle_yields) != 0) {
    int64_t until = nx__now_ns() + ex->idle_spin_ns;
    int64_t deadline = nx_next_deadline(ex);
    bool timer_first = deadline >= 0 && deadline <= until;
    if (timer_first) until = deadline;
    if (nx_spin_until(ex, until) || timer_first) return;
    for (uint32_t i = 0; i < ex->idle_yields; i++) {
      sched_yield();
      if (nx__inbox_peek(&ex->inbox)) return;
    }
  }
  nx_park(ex);
}

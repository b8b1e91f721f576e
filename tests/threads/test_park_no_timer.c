/* A wake arriving while the executor is parked with no timer is delivered
 * (the seed hung here: its producer could read `parked` before the
 * executor's store became visible, skip the eventfd write, and the executor
 * slept in epoll with no timeout, forever).
 *
 * The executor runs nx_run(NX_RUN_PARKED) with one pending task and nothing
 * else: no timer, no IO, so it sleeps in epoll_wait without a deadline.
 * Another thread sleeps (so the executor is surely asleep by then), then
 * wakes the task. If the wake were lost nx_run would never return; the
 * watchdog turns that into a failure. Repeated with several sleeps, with
 * wake_by_ref and with the consuming wake, and with a sleep of 0 (the wake
 * then races the executor on its way into epoll: the handshake's window).
 */
#include "threads_test.h"

enum { C_ROUND, C_POLLS };

typedef struct sleeper {
  int *polls;
  int wakes_needed; /* ready once this many wakes were seen */
} sleeper;

static _Atomic int have_waker;
static _Atomic int wakes_sent;
static nx_waker waker_for_thread;

static nx_poll sleeper_poll(void *state, nx_cx *cx) {
  sleeper *s = state;
  (*s->polls)++;
  thr_counter_set(C_POLLS, *s->polls);
  if (*s->polls == 1) {
    nx_waker w = nx_cx_waker(cx);
    NX_CHECK_OK(nx_waker_clone(&w, &waker_for_thread));
    atomic_store_explicit(&have_waker, 1, memory_order_release);
    return NX_PENDING;
  }
  return atomic_load_explicit(&wakes_sent, memory_order_acquire) >= s->wakes_needed ? NX_READY
                                                                                     : NX_PENDING;
}

typedef struct waker_plan {
  useconds_t sleep_us;
  int wakes;     /* wake_by_ref this many times (the last is consuming) */
} waker_plan;

static void *waker_main(void *arg) {
  const waker_plan *p = arg;
  while (!atomic_load_explicit(&have_waker, memory_order_acquire)) sched_yield();
  for (int i = 1; i <= p->wakes; i++) {
    if (p->sleep_us) usleep(p->sleep_us);
    atomic_store_explicit(&wakes_sent, i, memory_order_release);
    if (i == p->wakes)
      nx_waker_wake(&waker_for_thread);
    else
      nx_waker_wake_by_ref(&waker_for_thread);
  }
  return NULL;
}

static void run_case(useconds_t sleep_us, int wakes) {
  nx_executor *ex = NULL;
  NX_CHECK_OK(nx_executor_create(NULL, &ex));
  atomic_store(&have_waker, 0);
  atomic_store(&wakes_sent, 0);
  int polls = 0;
  sleeper s = {&polls, wakes};
  nx_future_desc d = NX_FUTURE(sleeper, sleeper_poll, NULL);
  NX_CHECK_OK(nx_spawn(ex, &d, &s, NULL, NULL));

  waker_plan plan = {sleep_us, wakes};
  pthread_t th;
  thr_start_thread(&th, waker_main, &plan);
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED)); /* returns only once the task completed */
  thr_join_thread(th);
  /* One poll to start, then one per wake at most (wakes that find the task
   * already queued merge), and at least the one that saw the last wake. */
  NX_CHECK(polls >= 2);
  NX_CHECK(polls <= 1 + wakes);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
  NX_CHECK(nx_run_once(ex) >= 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  nx_executor_destroy(ex);
  printf("parked, no timer: sleep %u us x %d wakes: delivered (%d polls)\n", (unsigned)sleep_us,
         wakes, polls);
}

int main(void) {
  thr_watchdog_start("test_park_no_timer", 60);
  thr_counter_name(C_ROUND, "case");
  thr_counter_name(C_POLLS, "polls_in_case");
  static const struct { useconds_t sleep_us; int wakes; } cases[] = {
      {50000, 1}, {20000, 3}, {2000, 10}, {200, 50}, {0, 1000},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    thr_counter_set(C_ROUND, (long)i);
    run_case(cases[i].sleep_us, cases[i].wakes);
  }
  return 0;
}

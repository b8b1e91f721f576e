/* A task woken remotely (other threads, through the inbox) and locally (the
 * executor thread's fast path: nx_cx_wake, and wakers woken on the executor
 * thread) at the same time is never polled twice concurrently, never sits in
 * the ready ring twice, and never misses a wake.
 *
 * The executor thread runs nx_run_once() in a loop over 16 tasks; 2 threads
 * wake all of them continuously through clones; the tasks wake themselves
 * and each other locally. Checked:
 *  - a poll never starts while another poll of the same task runs (an
 *    atomic in-poll flag);
 *  - no task is polled twice in one nx_run_once: a cycle polls only what
 *    was in the ring when it started, so a second poll in the same cycle
 *    means the task was in the ring twice;
 *  - polls <= 1 + wakes for every task (each poll after the first consumes
 *    at least one wake; a duplicate entry would break this over time);
 *  - at the end (threads joined, executor run to idle) every task's last
 *    poll saw every remote wake aimed at it.
 * Usage: test_local_remote_wake [remote_wakes]  (default 300000).
 */
#include "threads_test.h"

enum { C_CYCLE, C_REMOTE, C_POLLS };

#define NTASKS 16
#define NTHREADS 2

typedef struct counts {
  _Atomic uint64_t remote_wakes;  /* bumped by threads before each wake */
  _Atomic int in_poll;
  uint64_t local_wakes, polls, seen_remote, last_cycle;
} counts;

static counts cnt[NTASKS];
static nx_waker thread_wakers[NTHREADS][NTASKS]; /* clones owned by each thread */
static nx_waker local_wakers[NTASKS];            /* clones used on the executor thread */
static _Atomic int ready_tasks, stop, threads_started;
static _Atomic uint64_t exec_cycle; /* published by the executor thread */
#define WAKES_PER_CYCLE 4
static uint64_t cycle;
static thr_rng exec_rng;

typedef struct hot_task { uint32_t i; } hot_task;

static nx_poll hot_poll(void *state, nx_cx *cx) {
  hot_task *h = state;
  counts *c = &cnt[h->i];
  if (atomic_exchange_explicit(&c->in_poll, 1, memory_order_acq_rel) != 0)
    nx_test_fail(__FILE__, __LINE__, "task %u polled while its poll was running", h->i);
  if (c->last_cycle == cycle)
    nx_test_fail(__FILE__, __LINE__, "task %u polled twice in cycle %" PRIu64, h->i, cycle);
  c->last_cycle = cycle;
  c->polls++;
  c->seen_remote = atomic_load_explicit(&c->remote_wakes, memory_order_acquire);
  if (c->polls == 1) {
    nx_waker self = nx_cx_waker(cx);
    for (int t = 0; t < NTHREADS; t++) NX_CHECK_OK(nx_waker_clone(&self, &thread_wakers[t][h->i]));
    NX_CHECK_OK(nx_waker_clone(&self, &local_wakers[h->i]));
    atomic_fetch_add_explicit(&ready_tasks, 1, memory_order_release);
  } else {
    switch (thr_rng_below(&exec_rng, 4)) {
      case 0: /* wake myself through the context */
        nx_cx_wake(cx);
        c->local_wakes++;
        break;
      case 1: { /* wake another task through its clone, on the executor thread */
        uint32_t j = thr_rng_below(&exec_rng, NTASKS);
        if (local_wakers[j].task != NULL) {
          nx_waker_wake_by_ref(&local_wakers[j]);
          cnt[j].local_wakes++;
        }
        break;
      }
      default:
        break;
    }
  }
  atomic_store_explicit(&c->in_poll, 0, memory_order_release);
  return NX_PENDING;
}

static void *remote_main(void *arg) {
  uintptr_t t = (uintptr_t)arg;
  thr_rng rng = thr_rng_make(1, 10 + t);
  atomic_fetch_add_explicit(&threads_started, 1, memory_order_release);
  long n = 0;
  while (!atomic_load_explicit(&stop, memory_order_acquire)) {
    /* Stay in step with the executor: a few wakes per cycle. Unpaced, a
     * descheduled executor thread would see a million wakes merge into one
     * while it was away, and the test would test nothing. */
    uint64_t c = atomic_load_explicit(&exec_cycle, memory_order_relaxed);
    for (int k = 0; k < WAKES_PER_CYCLE; k++) {
      uint32_t i = thr_rng_below(&rng, NTASKS);
      atomic_fetch_add_explicit(&cnt[i].remote_wakes, 1, memory_order_acq_rel);
      nx_waker_wake_by_ref(&thread_wakers[t][i]);
      if ((++n & 1023) == 0) thr_counter_add(C_REMOTE, 1024);
    }
    unsigned spins = 0;
    while (atomic_load_explicit(&exec_cycle, memory_order_relaxed) == c &&
           !atomic_load_explicit(&stop, memory_order_relaxed))
      if (++spins % 1024 == 0) sched_yield(); else thr_cpu_relax();
  }
  for (int i = 0; i < NTASKS; i++) nx_waker_drop(&thread_wakers[t][i]);
  return NULL;
}

int main(int argc, char **argv) {
  thr_watchdog_start("test_local_remote_wake", 120);
  thr_counter_name(C_CYCLE, "cycle");
  thr_counter_name(C_REMOTE, "remote_wakes");
  thr_counter_name(C_POLLS, "polls");
  uint64_t rounds = argc > 1 ? strtoull(argv[1], NULL, 0) : 300000;
  NX_CHECK(rounds > 0);
  exec_rng = thr_rng_make(1, 0);

  nx_executor *ex = NULL;
  NX_CHECK_OK(nx_executor_create(NULL, &ex));
  nx_future_desc d = NX_FUTURE(hot_task, hot_poll, NULL);
  for (uint32_t i = 0; i < NTASKS; i++) {
    hot_task h = {i};
    NX_CHECK_OK(nx_spawn(ex, &d, &h, NULL, NULL));
  }
  /* The first cycle polls every task once: each hands out its clones. */
  cycle = 1;
  NX_CHECK_EQ(nx_run_once(ex), NTASKS);
  NX_CHECK_EQ(atomic_load(&ready_tasks), NTASKS);
  pthread_t th[NTHREADS];
  for (uintptr_t t = 0; t < NTHREADS; t++) thr_start_thread(&th[t], remote_main, (void *)t);
  while (atomic_load_explicit(&threads_started, memory_order_acquire) != NTHREADS) sched_yield();

  uint64_t polls = NTASKS, idle = 0;
  /* Cycle until the threads have sent `rounds` remote wakes (a cycle is far
   * cheaper than a wake, so counting cycles would measure the scheduler). */
  for (cycle = 2; atomic_load_explicit(&thr_counters[C_REMOTE], memory_order_relaxed) < (long)rounds;
       cycle++) {
    atomic_store_explicit(&exec_cycle, cycle, memory_order_relaxed);
    int n = nx_run_once(ex);
    NX_CHECK(n >= 0);
    NX_CHECK(n <= NTASKS); /* each task at most once per cycle */
    polls += (uint64_t)n;
    /* Idle: let the wakers run (2 cores, maybe shared with another test). */
    if (n == 0 && ++idle % 64 == 0) sched_yield();
    if ((cycle & 1023) == 0) {
      thr_counter_set(C_CYCLE, (long)cycle);
      thr_counter_set(C_POLLS, (long)polls);
    }
  }
  atomic_store_explicit(&stop, 1, memory_order_release);
  for (int t = 0; t < NTHREADS; t++) thr_join_thread(th[t]);
  /* Drain: stop waking locally, run until a cycle polls nothing. */
  for (int i = 0; i < NTASKS; i++) nx_waker_drop(&local_wakers[i]);
  for (;; cycle++) {
    int n = nx_run_once(ex);
    NX_CHECK(n >= 0);
    polls += (uint64_t)n;
    if (n == 0) break;
  }

  uint64_t remote = 0, local = 0, sum_polls = 0;
  for (int i = 0; i < NTASKS; i++) {
    counts *c = &cnt[i];
    uint64_t rw = atomic_load(&c->remote_wakes);
    if (c->seen_remote != rw)
      nx_test_fail(__FILE__, __LINE__, "task %d: last poll saw %" PRIu64 " of %" PRIu64
                   " remote wakes: a wake was lost", i, c->seen_remote, rw);
    if (c->polls > 1 + rw + c->local_wakes)
      nx_test_fail(__FILE__, __LINE__, "task %d: %" PRIu64 " polls for %" PRIu64
                   " wakes: polled without a wake (a duplicate ring entry?)",
                   i, c->polls, rw + c->local_wakes);
    remote += rw;
    local += c->local_wakes;
    sum_polls += c->polls;
  }
  NX_CHECK_EQ_U(sum_polls, polls);
  nx_executor_destroy(ex);
  printf("test_local_remote_wake: %" PRIu64 " cycles, %" PRIu64 " remote + %" PRIu64
         " local wakes -> %" PRIu64 " polls (merged: %.1f%%), no double poll, no lost wake\n",
         cycle, remote, local, polls, 100.0 * (1.0 - (double)polls / (double)(remote + local + NTASKS)));
  return 0;
}

/* A thread that wakes tasks from outside keeps a hint: the executor it last
 * woke, whose inbox line it starts fetching before it has read the task's
 * header. The hint only steers a prefetch, so whatever it holds, every wake
 * must arrive exactly once, and a hint naming a freed executor must not be
 * an access to freed memory (ASan would report one). Cases:
 *  1. alternate: one thread wakes tasks of two executors in turn (the hint
 *     is wrong on every wake), each wake polls its task once;
 *  2. stale: the thread's last remote wake was to an executor that is then
 *     destroyed and freed; its next wakes go to the other executor;
 *  3. owner: a thread that owns an executor wakes its own task (a local
 *     wake, which drops the hint) and another executor's task, interleaved.
 * The main thread owns executors E1 and E2 and runs them; the waking thread
 * does one wake per command and acknowledges it.
 */
#include "threads_test.h"

enum { C_STEP };

typedef struct command {
  _Atomic uint32_t seq;  /* bumped by main: a new command */
  _Atomic uint32_t done; /* set to seq by the waking thread once done */
  nx_waker *wake;        /* remote wake of this waker (NULL: none) */
  nx_waker *local;       /* then a wake of this one (owner case: local) */
  int quit;
} command;

static command cmd;
static uint32_t seq;

/* Runs one command on the waking thread and waits for its acknowledgement. */
static void order(nx_waker *wake, nx_waker *local, int quit) {
  cmd.wake = wake;
  cmd.local = local;
  cmd.quit = quit;
  atomic_store_explicit(&cmd.seq, ++seq, memory_order_release);
  while (atomic_load_explicit(&cmd.done, memory_order_acquire) != seq) thr_cpu_relax();
  thr_counter_set(C_STEP, (long)seq);
}

/* The waking thread of cases 1 and 2. */
static void *waking_main(void *arg) {
  (void)arg;
  for (uint32_t last = 0;;) {
    last = thr_spin_until_ne(&cmd.seq, last);
    int quit = cmd.quit;
    if (cmd.wake != NULL) nx_waker_wake_by_ref(cmd.wake);
    atomic_store_explicit(&cmd.done, last, memory_order_release);
    if (quit) return NULL;
  }
}

/* Case 3's thread: owns E3 with one task, and per command wakes the remote
 * waker, then its own task locally, and runs E3, which must poll it once. */
typedef struct owner_plan {
  nx_probe probe;
  nx_waker *own; /* published once the task cloned its waker */
  _Atomic int ready;
} owner_plan;

static void *owner_main(void *arg) {
  owner_plan *p = arg;
  nx_executor *e3 = nx_test_executor(0, 0, NULL, NULL);
  NX_CHECK_OK(nx_probe_spawn(e3, 0, &p->probe, 0, 0, 1, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(e3), 1);
  p->own = &p->probe.waker;
  uint32_t last = atomic_load_explicit(&cmd.seq, memory_order_acquire); /* done before */
  atomic_store_explicit(&p->ready, 1, memory_order_release);
  for (;;) {
    last = thr_spin_until_ne(&cmd.seq, last);
    int quit = cmd.quit;
    if (cmd.wake != NULL) nx_waker_wake_by_ref(cmd.wake);
    if (cmd.local != NULL) {
      int before = p->probe.polls;
      nx_waker_wake_by_ref(cmd.local);
      NX_CHECK_EQ(nx_run_once(e3), 1);
      NX_CHECK_EQ(p->probe.polls, before + 1);
    }
    atomic_store_explicit(&cmd.done, last, memory_order_release);
    if (quit) break;
  }
  nx_waker_drop(&p->probe.waker);
  nx_executor_destroy(e3);
  return NULL;
}

/* One poll of `probe` on `ex` (and nothing else), after the wake landed. */
static void expect_one_poll(nx_executor *ex, nx_probe *probe, int before) {
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(probe->polls, before + 1);
}

int main(int argc, char **argv) {
  thr_watchdog_start("test_remote_hint", 60);
  thr_counter_name(C_STEP, "command");
  int rounds = argc > 1 ? atoi(argv[1]) : 2000;
  NX_CHECK(rounds > 0);

  nx_executor *e1 = nx_test_executor(0, 0, NULL, NULL);
  nx_executor *e2 = nx_test_executor(0, 0, NULL, NULL);
  nx_probe a1 = {0}, a2 = {0};
  NX_CHECK_OK(nx_probe_spawn(e1, 0, &a1, 0, 0, 1, NULL, NULL));
  NX_CHECK_OK(nx_probe_spawn(e2, 0, &a2, 0, 0, 1, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(e1), 1);
  NX_CHECK_EQ(nx_run_once(e2), 1);

  /* 1. alternate */
  pthread_t th;
  thr_start_thread(&th, waking_main, NULL);
  for (int i = 0; i < rounds; i++) {
    int p1 = a1.polls, p2 = a2.polls;
    order(&a1.waker, NULL, 0);
    expect_one_poll(e1, &a1, p1);
    order(&a2.waker, NULL, 0);
    expect_one_poll(e2, &a2, p2);
    NX_CHECK_EQ(nx_run_once(e1), 0); /* nothing else arrived */
  }

  /* 2. stale: the last remote wake goes to E1, which is then freed (no
   * waker left, so destroy frees it at once). */
  int p1 = a1.polls;
  order(&a1.waker, NULL, 0);
  expect_one_poll(e1, &a1, p1);
  nx_waker_drop(&a1.waker);
  nx_executor_destroy(e1);
  for (int i = 0; i < 3; i++) {
    int p2 = a2.polls;
    order(&a2.waker, NULL, 0);
    expect_one_poll(e2, &a2, p2);
  }
  order(NULL, NULL, 1);
  thr_join_thread(th);

  /* 3. owner: remote wake of A2, then a local wake on the thread's own E3. */
  owner_plan plan = {0};
  thr_start_thread(&th, owner_main, &plan);
  while (!atomic_load_explicit(&plan.ready, memory_order_acquire)) sched_yield();
  for (int i = 0; i < rounds; i++) {
    int p2 = a2.polls;
    order(&a2.waker, plan.own, 0);
    expect_one_poll(e2, &a2, p2);
  }
  order(NULL, NULL, 1);
  thr_join_thread(th);
  NX_CHECK_EQ(plan.probe.polls, 1 + rounds);

  nx_waker_drop(&a2.waker);
  nx_executor_destroy(e2);
  printf("test_remote_hint: %d alternating rounds, wakes after a freed executor, %d "
         "owner rounds: every wake polled its task once\n", rounds, rounds);
  return 0;
}

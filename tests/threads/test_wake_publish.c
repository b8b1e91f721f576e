/* A wake that is deduplicated ("the task is already in the inbox") must still
 * guarantee a poll that sees what the waking thread wrote before waking.
 *
 * This is what every cross-thread producer relies on: write a message
 * (release), wake the consumer task; the task's next poll reads the message
 * (acquire). If the wake finds INBOX already set it returns without pushing,
 * trusting the pending drain. That is only correct if the executor's drain
 * (which clears INBOX, then polls) is ordered after the producer's write.
 *
 * The test: one producer, one task. Each round the producer publishes
 * msg = 2r-1 and wakes, waits a random few spins, publishes msg = 2r and
 * wakes again (the second wake often finds INBOX still set), then announces
 * the round (seq_cst store of `round_done`). The executor thread runs
 * nx_run_once() in a loop; the task records the newest msg its poll saw.
 *
 * Deterministic detection, no timing: the executor thread reads round_done
 * (seq_cst) BEFORE a cycle. Both wakes of that round returned before that
 * read, so each either left the task linked in the inbox (fully: the link
 * store precedes the announcement) — then this cycle polls it — or found
 * INBOX set, in which case the drain that clears INBOX must come after the
 * wake and the following poll must see msg = 2r. So a cycle that polls
 * nothing while the task has seen less than 2r is a lost wakeup: the task
 * would sleep forever with an unread message.
 *
 * History: nx__wake_remote first returned on INBOX after a relaxed load;
 * this test caught the lost wakeup within ~100-1000 rounds on x86 (the
 * producer's store of msg = 2r sat in its store buffer while its load of the
 * state word already saw INBOX; the executor's clear and poll then read the
 * old msg). The fix makes the deduplicated path a read-modify-write too.
 * ThreadSanitizer cannot find this (it does not reorder), so the normal
 * build runs the most rounds.
 *
 * Usage: test_wake_publish [rounds] (default 1000000; seed: NXRT_SEED).
 */
#include "threads_test.h"

enum { C_ROUNDS, C_SEEN, C_CYCLES };

static _Atomic uint64_t msg;         /* what the producer published last */
static _Atomic uint64_t round_done;  /* last round whose two wakes returned */
static _Atomic uint64_t seen;        /* newest msg a poll read (executor thread) */
static _Atomic int have_waker;
static nx_waker shared_waker;        /* the task's clone, handed to the producer */
static uint64_t rounds = 1000000;
static uint64_t seed;

typedef struct consumer { uint64_t polls; } consumer;

static nx_poll consumer_poll(void *state, nx_cx *cx) {
  consumer *c = state;
  if (c->polls++ == 0) {
    nx_waker w = nx_cx_waker(cx);
    NX_CHECK_OK(nx_waker_clone(&w, &shared_waker));
    atomic_store_explicit(&have_waker, 1, memory_order_release);
  }
  uint64_t v = atomic_load_explicit(&msg, memory_order_acquire);
  atomic_store_explicit(&seen, v, memory_order_release);
  thr_counter_set(C_SEEN, (long)v);
  return v == 2 * rounds ? NX_READY : NX_PENDING;
}

static void *producer_main(void *arg) {
  (void)arg;
  thr_rng rng = thr_rng_make(seed, 1);
  while (!atomic_load_explicit(&have_waker, memory_order_acquire)) thr_cpu_relax();
  for (uint64_t r = 1; r <= rounds; r++) {
    atomic_store_explicit(&msg, 2 * r - 1, memory_order_release);
    nx_waker_wake_by_ref(&shared_waker);
    /* Sweep the gap so the executor's drain lands at every point of the
     * second publish + wake. */
    for (uint32_t i = thr_rng_below(&rng, 64); i > 0; i--) thr_cpu_relax();
    atomic_store_explicit(&msg, 2 * r, memory_order_release);
    nx_waker_wake_by_ref(&shared_waker);
    atomic_store_explicit(&round_done, r, memory_order_seq_cst);
    thr_counter_set(C_ROUNDS, (long)r);
    /* Next round only once this one was seen, so each round is one chance
     * for the race (and the test's check stays exact). */
    unsigned spins = 0;
    while (atomic_load_explicit(&seen, memory_order_acquire) < 2 * r)
      if (++spins % 1024 == 0) sched_yield(); else thr_cpu_relax();
  }
  nx_waker_drop(&shared_waker);
  return NULL;
}

int main(int argc, char **argv) {
  thr_watchdog_start("test_wake_publish", 240);
  thr_counter_name(C_ROUNDS, "rounds_announced");
  thr_counter_name(C_SEEN, "msg_seen_by_poll");
  thr_counter_name(C_CYCLES, "cycles");
  if (argc > 1) rounds = strtoull(argv[1], NULL, 0);
  NX_CHECK(rounds > 0);
  seed = thr_seed(0, argv, 1, 12345);

  nx_executor *ex = NULL;
  NX_CHECK_OK(nx_executor_create(NULL, &ex));
  nx_future_desc d = NX_FUTURE(consumer, consumer_poll, NULL);
  NX_CHECK_OK(nx_spawn(ex, &d, NULL, NULL, NULL));

  pthread_t th;
  thr_start_thread(&th, producer_main, NULL);
  uint64_t cycles = 0, idle = 0;
  while (nx_executor_live_tasks(ex) != 0) {
    uint64_t r = atomic_load_explicit(&round_done, memory_order_seq_cst);
    int n = nx_run_once(ex);
    NX_CHECK(n >= 0);
    uint64_t v = atomic_load_explicit(&seen, memory_order_relaxed);
    if (n == 0 && v < 2 * r)
      nx_test_fail(__FILE__, __LINE__,
                   "lost wakeup in round %" PRIu64 ": both wakes returned, the cycle polled "
                   "nothing, but the task last saw msg %" PRIu64 " (want %" PRIu64
                   "); the deduplicated wake did not order the producer's write before the "
                   "poll",
                   r, v, 2 * r);
    if ((++cycles & 0xffff) == 0) thr_counter_set(C_CYCLES, (long)cycles);
    /* Long idle (~1 ms): let the producer run, it may share our core. Not
     * sooner: tight spinning is what lines the drain up with the race. */
    idle = n == 0 ? idle + 1 : 0;
    if (idle % 65536 == 65535) sched_yield();
  }
  thr_join_thread(th);
  printf("test_wake_publish: %" PRIu64 " rounds (%" PRIu64 " wakes), %" PRIu64
         " cycles, no lost wakeup\n",
         rounds, 2 * rounds, cycles);
  nx_executor_destroy(ex);
  return 0;
}

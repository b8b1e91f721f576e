/* Many threads wake, clone and drop the wakers of a few hundred tasks while
 * the tasks complete, are cancelled, and the executor is destroyed mid-stream.
 *
 * Cast: the main thread owns the executor; 4 worker threads. Every task owns
 * a record (outside the task) with K waker slots. A slot holds one waker
 * clone (the task pointer) or 0; whoever exchanges it out owns that clone,
 * so every clone has exactly one owner at a time. Workers (and, now and
 * then, the main thread: the executor-thread fast path) pick random slots
 * and wake_by_ref / wake (consume) / clone / drop. Tasks, when polled, clone
 * their own waker into free slots, wake themselves, or complete; the main
 * thread spawns (malloc storage and slab storage, some joinable), cancels
 * random task ids, polls and detaches join handles, and at a seeded cycle
 * calls nx_executor_destroy() while the workers keep going. Afterwards the
 * workers keep waking and dropping for a while (wakes must be no-ops, drops
 * must free), then the main thread drops whatever is left in the slots: the
 * last drop frees the executor's memory.
 *
 * Checked:
 *  - every spawned future is dropped exactly once (drop_fn count);
 *  - no task is polled twice in one cycle (it is never in the ready ring
 *    twice, whatever mix of local and remote wakes hit it), no poll after
 *    destroy;
 *  - no lost wake: a few times before the teardown the workers pause, the
 *    executor runs until idle, and every live task's last poll must have
 *    seen every wake aimed at it (wakers bump a per-task sequence before
 *    waking);
 *  - the task allocator got back everything it handed out (a counting
 *    allocator with deliberately plain counters: under TSan that also proves
 *    it is never called from two threads without ordering);
 *  - no leak (ASan/LSan), no race (TSan), no use after free (ASan).
 *
 * Reproducible: the seed (argv[1] or NXRT_SEED) fixes every random choice of
 * every thread; the interleaving of course still varies from run to run.
 * Usage: test_waker_storm [seed] [cycles]   (defaults 1, 60000).
 */
#include "threads_test.h"

enum { C_CYCLE, C_OPS, C_PHASE, C_SPAWNED };

#define NWORKERS 4
#define SLOTS_PER_TASK 4
#define MAX_LIVE 300
#define MAX_RECORDS 20000
#define QUIESCE_POINTS 4
#define OPS_PER_CYCLE 8 /* worker slot ops per executor cycle, at least */

typedef struct record {
  _Atomic(uintptr_t) slot[SLOTS_PER_TASK]; /* waker clones (nx_task *) or 0 */
  _Atomic uint64_t wake_seq; /* bumped before every wake aimed at this task */
  /* executor thread only: */
  uint64_t seen_seq;         /* wake_seq as read by the task's last poll */
  uint64_t last_cycle;       /* cycle of the last poll */
  nx_task_id id;
  nx_join join;
  uint32_t polls, drops;
  int spawned;
} record;

typedef struct task_state {
  uint32_t rec;
  uint32_t polls_to_ready; /* 0: wait to be cancelled or torn down */
} task_state;

static record records[MAX_RECORDS];
static _Atomic uint32_t nrecords;      /* records [0, nrecords) were spawned */
static _Atomic int stop_workers;
static _Atomic int executor_gone;      /* set right after nx_executor_destroy */
static _Atomic int pause_request;
static _Atomic int workers_paused;
static uint64_t seed;
static uint64_t cycle;                 /* executor thread */
static thr_rng exec_rng;               /* executor thread */

/* ------------------------------------------------------------------------ */
/* Slots                                                                    */
/* ------------------------------------------------------------------------ */

static inline nx_waker slot_take(record *r, uint32_t k) {
  nx_waker w = {(nx_task *)atomic_exchange_explicit(&r->slot[k], 0, memory_order_acq_rel)};
  return w;
}

/* Puts an owned waker into a free slot of `r`, or drops it if all are full. */
static void slot_put_or_drop(record *r, nx_waker *w) {
  for (uint32_t k = 0; k < SLOTS_PER_TASK; k++) {
    uintptr_t expect = 0;
    if (atomic_compare_exchange_strong_explicit(&r->slot[k], &expect, (uintptr_t)w->task,
                                                memory_order_acq_rel, memory_order_relaxed)) {
      w->task = NULL;
      return;
    }
  }
  nx_waker_drop(w);
}

/* One random operation on one random slot. Any thread. */
static _Atomic long wakes_sent, slot_hits;

static void slot_op(thr_rng *rng) {
  uint32_t n = atomic_load_explicit(&nrecords, memory_order_acquire);
  if (n == 0) return;
  /* Mostly recent records (live tasks), sometimes old ones (zombies). */
  uint32_t window = n < 2 * MAX_LIVE ? n : 2 * MAX_LIVE;
  record *r = NULL;
  nx_waker w = {NULL};
  for (int tries = 0; tries < 4 && w.task == NULL; tries++) {
    uint32_t i = thr_rng_below(rng, 8) == 0 ? thr_rng_below(rng, n) : n - 1 - thr_rng_below(rng, window);
    r = &records[i];
    w = slot_take(r, thr_rng_below(rng, SLOTS_PER_TASK));
  }
  if (w.task == NULL) return;
  atomic_fetch_add_explicit(&slot_hits, 1, memory_order_relaxed);
  nx_waker c;
  switch (thr_rng_below(rng, 8)) {
    case 0:
    case 1:
    case 2: /* wake_by_ref, keep the clone */
      atomic_fetch_add_explicit(&r->wake_seq, 1, memory_order_acq_rel);
      atomic_fetch_add_explicit(&wakes_sent, 1, memory_order_relaxed);
      nx_waker_wake_by_ref(&w);
      slot_put_or_drop(r, &w);
      break;
    case 3: /* wake, consuming the clone */
      atomic_fetch_add_explicit(&r->wake_seq, 1, memory_order_acq_rel);
      atomic_fetch_add_explicit(&wakes_sent, 1, memory_order_relaxed);
      nx_waker_wake(&w);
      NX_CHECK(w.task == NULL);
      break;
    case 4:
    case 5: /* clone: both go back (or get dropped when the slots are full) */
      NX_CHECK_OK(nx_waker_clone(&w, &c));
      NX_CHECK(nx_waker_will_wake(&w, &c));
      slot_put_or_drop(r, &c);
      slot_put_or_drop(r, &w);
      break;
    case 6: /* drop */
      nx_waker_drop(&w);
      NX_CHECK(w.task == NULL);
      break;
    default: /* just hand it back */
      slot_put_or_drop(r, &w);
      break;
  }
}

static void *worker_main(void *arg) {
  thr_rng rng = thr_rng_make(seed, 100 + (uintptr_t)arg);
  while (!atomic_load_explicit(&stop_workers, memory_order_acquire)) {
    if (atomic_load_explicit(&pause_request, memory_order_acquire)) {
      /* Holds no waker here: every op hands its clone back before returning. */
      atomic_fetch_add_explicit(&workers_paused, 1, memory_order_acq_rel);
      while (atomic_load_explicit(&pause_request, memory_order_acquire)) sched_yield();
      atomic_fetch_sub_explicit(&workers_paused, 1, memory_order_acq_rel);
    }
    for (int i = 0; i < 16; i++) slot_op(&rng);
    thr_counter_add(C_OPS, 16);
    if (thr_rng_below(&rng, 64) == 0) sched_yield();
  }
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Tasks (executor thread)                                                  */
/* ------------------------------------------------------------------------ */

static nx_poll storm_poll(void *state, nx_cx *cx) {
  task_state *s = state;
  record *r = &records[s->rec];
  if (atomic_load_explicit(&executor_gone, memory_order_relaxed))
    nx_test_fail(__FILE__, __LINE__, "task %u polled after nx_executor_destroy", s->rec);
  if (r->last_cycle == cycle)
    nx_test_fail(__FILE__, __LINE__,
                 "task %u polled twice in cycle %" PRIu64 ": it was in the ready ring twice",
                 s->rec, cycle);
  r->last_cycle = cycle;
  r->polls++;
  r->seen_seq = atomic_load_explicit(&r->wake_seq, memory_order_acquire);

  /* Hand out clones of our own waker: fill the slots on the first poll,
   * top them up later (wakes and drops consume them). */
  uint32_t clones = r->polls == 1 ? SLOTS_PER_TASK : thr_rng_below(&exec_rng, 3);
  for (uint32_t i = 0; i < clones; i++) {
    nx_waker self = nx_cx_waker(cx), c;
    NX_CHECK_OK(nx_waker_clone(&self, &c));
    slot_put_or_drop(r, &c);
  }
  if (s->polls_to_ready != 0 && r->polls >= s->polls_to_ready) return NX_READY;
  if (thr_rng_below(&exec_rng, 8) == 0) nx_cx_wake(cx);
  return NX_PENDING;
}

static void storm_drop(void *state) {
  task_state *s = state;
  records[s->rec].drops++;
}

static void spawn_one(nx_executor *ex) {
  uint32_t i = atomic_load_explicit(&nrecords, memory_order_relaxed);
  if (i >= MAX_RECORDS) return;
  record *r = &records[i];
  task_state init = {i, thr_rng_below(&exec_rng, 8) == 0 ? 0 : 1 + thr_rng_below(&exec_rng, 12)};
  nx_future_desc d = NX_FUTURE(task_state, storm_poll, storm_drop);
  int joinable = thr_rng_below(&exec_rng, 5) == 0;
  int slab = thr_rng_below(&exec_rng, 2);
  int rc = slab ? nx_spawn_slab(ex, &d, &init, &r->id, joinable ? &r->join : NULL)
                : nx_spawn(ex, &d, &init, &r->id, joinable ? &r->join : NULL);
  NX_CHECK_OK(rc);
  r->spawned = 1;
  atomic_store_explicit(&nrecords, i + 1, memory_order_release);
  thr_counter_set(C_SPAWNED, (long)(i + 1));
}

static void cancel_random(nx_executor *ex) {
  uint32_t n = atomic_load_explicit(&nrecords, memory_order_relaxed);
  if (n == 0) return;
  record *r = &records[n - 1 - thr_rng_below(&exec_rng, n < 600 ? n : 600)];
  int live = r->drops == 0;
  int rc = nx_cancel(ex, r->id);
  if (live) {
    NX_CHECK_RC(rc, NX_OK);
    NX_CHECK_EQ(r->drops, 1);
  } else if (rc != NX_ESTALE && rc != NX_EALREADY) {
    nx_test_fail(__FILE__, __LINE__, "nx_cancel of a finished task returned %s",
                 nx_err_name(rc));
  }
}

static void join_random(void) {
  uint32_t n = atomic_load_explicit(&nrecords, memory_order_relaxed);
  if (n == 0) return;
  record *r = &records[thr_rng_below(&exec_rng, n)];
  if (r->join.task == NULL) return;
  if (thr_rng_below(&exec_rng, 4) == 0) {
    nx_join_detach(&r->join);
    return;
  }
  int rc = nx_join_try(&r->join, NULL, 0);
  if (r->drops == 0) {
    NX_CHECK_RC(rc, NX_PENDING);
  } else if (rc != NX_READY && rc != NX_ECANCELED) {
    nx_test_fail(__FILE__, __LINE__, "nx_join_try on a finished task returned %d", rc);
  }
}

/* Workers stop; the executor runs until a cycle polls nothing; every live
 * task must have been polled after the last wake aimed at it. */
static void quiesce_and_check(nx_executor *ex, int phase) {
  atomic_store_explicit(&pause_request, 1, memory_order_release);
  while (atomic_load_explicit(&workers_paused, memory_order_acquire) != NWORKERS) sched_yield();
  long polls = 0;
  for (;;) {
    cycle++;
    int n = nx_run_once(ex);
    NX_CHECK(n >= 0);
    if (n == 0) break;
    polls += n;
  }
  uint32_t n = atomic_load_explicit(&nrecords, memory_order_relaxed), live = 0;
  for (uint32_t i = 0; i < n; i++) {
    record *r = &records[i];
    if (r->drops != 0) continue;
    live++;
    uint64_t want = atomic_load_explicit(&r->wake_seq, memory_order_acquire);
    if (r->seen_seq != want)
      nx_test_fail(__FILE__, __LINE__,
                   "lost wake: task %u last polled seeing wake #%" PRIu64 " but %" PRIu64
                   " wakes were sent (quiesce point %d, executor idle)",
                   i, r->seen_seq, want, phase);
  }
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), live);
  printf("quiesce point %d: cycle %" PRIu64 ", %u tasks spawned, %u live, %ld polls to idle,"
         " every wake seen\n",
         phase, cycle, n, live, polls);
  atomic_store_explicit(&pause_request, 0, memory_order_release);
}

int main(int argc, char **argv) {
  thr_watchdog_start("test_waker_storm", 240);
  thr_counter_name(C_CYCLE, "cycle");
  thr_counter_name(C_OPS, "worker_ops");
  thr_counter_name(C_PHASE, "phase(0 run,1 destroyed,2 draining)");
  thr_counter_name(C_SPAWNED, "spawned");
  seed = thr_seed(argc, argv, 1, 1);
  uint64_t cycles = 60000;
  if (argc > 2) cycles = strtoull(argv[2], NULL, 0);
  NX_CHECK(cycles >= 100);
  exec_rng = thr_rng_make(seed, 0);
  uint64_t destroy_at = cycles / 2 + thr_rng_below(&exec_rng, (uint32_t)(cycles / 2));

  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_slab_config slab_cfg;
  NX_CHECK_OK(nx_slab_config_init(&slab_cfg));
  slab_cfg.slot_size = 256;
  slab_cfg.capacity = 128;
  slab_cfg.mode = NX_SLAB_UNBOUNDED;
  nx_executor *ex = nx_test_executor(0, 0, &counting, &slab_cfg);

  pthread_t workers[NWORKERS];
  for (uintptr_t i = 0; i < NWORKERS; i++) thr_start_thread(&workers[i], worker_main, (void *)i);

  int next_quiesce = 1;
  for (cycle = 1; cycle <= destroy_at; cycle++) {
    thr_counter_set(C_CYCLE, (long)cycle);
    while (nx_executor_live_tasks(ex) < MAX_LIVE &&
           atomic_load_explicit(&nrecords, memory_order_relaxed) < MAX_RECORDS &&
           thr_rng_below(&exec_rng, 4) != 0)
      spawn_one(ex);
    NX_CHECK(nx_run_once(ex) >= 0);
    /* Pace the cycles to the workers (a cycle is much cheaper than an op),
     * so the storm is a storm and not a trickle, whatever the scheduler. */
    while (atomic_load_explicit(&thr_counters[C_OPS], memory_order_relaxed) <
           (long)(cycle * OPS_PER_CYCLE))
      sched_yield();
    if (thr_rng_below(&exec_rng, 2) == 0) cancel_random(ex);
    if (thr_rng_below(&exec_rng, 4) == 0) join_random();
    for (uint32_t i = thr_rng_below(&exec_rng, 4); i > 0; i--) slot_op(&exec_rng);
    if (next_quiesce < QUIESCE_POINTS && cycle == next_quiesce * destroy_at / QUIESCE_POINTS)
      quiesce_and_check(ex, next_quiesce++);
  }

  /* Tear down mid-stream: workers are still waking, cloning and dropping.
   * Half the join handles are let go before, half after. */
  uint32_t n = atomic_load_explicit(&nrecords, memory_order_relaxed);
  for (uint32_t i = 0; i < n; i += 2) nx_join_detach(&records[i].join);
  size_t live_before = nx_executor_live_tasks(ex);
  nx_executor_destroy(ex);
  ex = NULL;
  atomic_store_explicit(&executor_gone, 1, memory_order_relaxed);
  thr_counter_set(C_PHASE, 1);
  for (uint32_t i = 1; i < n; i += 2) nx_join_detach(&records[i].join);

  /* Keep the workers at it for a while after the executor is gone; the main
   * thread joins in (its wakes are now ordinary remote no-ops). */
  long ops_at_destroy = atomic_load(&thr_counters[C_OPS]);
  thr_rng post_rng = thr_rng_make(seed, 50);
  while (atomic_load(&thr_counters[C_OPS]) < ops_at_destroy + 20000) {
    for (int i = 0; i < 16; i++) slot_op(&post_rng);
    sched_yield();
  }
  atomic_store_explicit(&stop_workers, 1, memory_order_release);
  for (int i = 0; i < NWORKERS; i++) thr_join_thread(workers[i]);
  thr_counter_set(C_PHASE, 2);

  /* Drop every clone still parked in a slot; the last one frees the executor. */
  for (uint32_t i = 0; i < n; i++) {
    for (uint32_t k = 0; k < SLOTS_PER_TASK; k++) {
      nx_waker w = slot_take(&records[i], k);
      nx_waker_drop(&w);
    }
  }

  uint64_t polls = 0;
  for (uint32_t i = 0; i < n; i++) {
    record *r = &records[i];
    NX_CHECK(r->spawned);
    if (r->drops != 1)
      nx_test_fail(__FILE__, __LINE__, "task %u: drop_fn ran %u times (want exactly 1)", i,
                   r->drops);
    polls += r->polls;
  }
  /* Every task storage from the counting allocator came back. */
  NX_CHECK_EQ_U(st.frees, st.allocs);
  NX_CHECK_EQ_U(st.live_bytes, 0);
  NX_CHECK_EQ_U(st.bad_free_args, 0);
  printf("test_waker_storm: seed %" PRIu64 ": %u tasks, %" PRIu64 " polls, destroyed at cycle %"
         PRIu64 " with %zu live, %ld slot ops (%ld found a waker, %ld wakes), %zu malloc'd slots"
         " all freed\n",
         seed, n, polls, destroy_at, live_before, atomic_load(&thr_counters[C_OPS]),
         atomic_load(&slot_hits), atomic_load(&wakes_sent), st.allocs);
  return 0;
}

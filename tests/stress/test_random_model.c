/* Randomized stress test: random sequences of spawn (malloc and bounded
 * slab, with and without join handles, every other one through a prepared
 * future), run cycles, waker clone / wake /
 * wake_by_ref / drop, cancel (of live, completed and stale ids), join try /
 * detach, and, inside polls, self-wakes, wakes of other tasks, cancels of
 * others and of itself, and spawns. Every step is checked against a simple
 * model of the executor:
 *  - which task each poll must be (FIFO ready queue, tasks woken during a
 *    cycle behind those waiting, at most tasks_per_cycle entries a cycle,
 *    a completed task's stale entry discarded without a poll);
 *  - live, allocated and slab-in-use counts after every operation;
 *  - every future dropped exactly once, never polled after completion;
 *  - nx_cancel / nx_join_try results (NX_ESTALE for reused slots: seed
 *    defect 13; NX_EALREADY; NX_ECANCELED);
 *  - teardown with wakers and join handles still held (seed defect 8).
 *
 * Reproducible: the seed comes from argv[1], else env NXRT_SEED, else 1, and
 * is printed first. argv[2] (optional) is the number of operations. */
#include "nx_test.h"

#include <inttypes.h>

enum { MAX_TASKS = 2048, POOL_MAX = 1024, DEFAULT_OPS = 20000, MAX_STEPS = 8 };

/* ------------------------------------------------------------------------ */
/* Deterministic RNG (splitmix64)                                           */
/* ------------------------------------------------------------------------ */

static uint64_t rng_state;
static uint64_t rng_next(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static uint32_t rng_below(uint32_t n) { return (uint32_t)(rng_next() % n); }

/* ------------------------------------------------------------------------ */
/* The model                                                                */
/* ------------------------------------------------------------------------ */

enum status { ST_LIVE, ST_DONE, ST_CANCELLED };
enum step { S_READY, S_SELF_WAKE, S_CLONE, S_WAIT, S_WAKE_OTHER, S_CANCEL_OTHER, S_CANCEL_SELF,
            S_SPAWN };

typedef struct model_task {
  enum status status;
  int queued;        /* has an entry in the ready queue (live or stale) */
  int freed;
  int clones;        /* clones in the pool that refer to it */
  int join_held;
  int slab;
  int polls, drops;  /* what the poll / drop functions saw */
  int nsteps;
  uint8_t steps[MAX_STEPS];
  nx_task_id id;
  nx_join join;
} model_task;

static model_task tasks[MAX_TASKS];
static int n_tasks;      /* model slots ever used */
static long n_spawned;

/* Model slots of freed tasks, reused by later spawns (the executor's slots
 * are reused too), and the ids those tasks had: cancelling one must be
 * NX_ESTALE however often its table slot was reused since. */
static int free_slots[MAX_TASKS];
static int n_free_slots;
enum { STALE_MAX = 256 };
static nx_task_id stale_ids[STALE_MAX];
static long n_stale;

/* What happened, printed at the end so a run shows what it covered. */
static long seen_slab_full, seen_estale, seen_ealready, seen_cancel_ok, seen_self_cancel,
    seen_stale_entries, seen_join_ready, seen_join_canceled;

/* The model's ready queue: task indices, FIFO. A task is in it at most once. */
static int ring[MAX_TASKS];
static unsigned ring_head, ring_tail;
static void ring_push(int i) { ring[ring_tail++ % MAX_TASKS] = i; }
static int ring_pop(void) { return ring[ring_head++ % MAX_TASKS]; }
static unsigned ring_len(void) { return ring_tail - ring_head; }
static void model_reap_front(void); /* after model_maybe_free is defined */

typedef struct { nx_waker w; int target; } pool_entry;
static pool_entry pool[POOL_MAX];
static int pool_n;

static nx_executor *ex;
static nx_test_alloc_stats st;
static uint32_t tasks_per_cycle;
static size_t slab_capacity;
static int in_shutdown;
static unsigned cycle_left; /* queue entries the running cycle still takes */
static long op_no;

#define FAIL(...) nx_test_fail(__FILE__, __LINE__, __VA_ARGS__)

static size_t model_slab_in_use(void) {
  size_t n = 0;
  for (int i = 0; i < n_tasks; i++) n += tasks[i].slab && !tasks[i].freed;
  return n;
}

/* Frees the model task when nothing keeps it: complete, no clone, no join
 * handle, no queue entry. */
static void model_maybe_free(int i) {
  model_task *m = &tasks[i];
  if (!m->freed && m->status != ST_LIVE && m->clones == 0 && !m->join_held && !m->queued) {
    m->freed = 1;
    free_slots[n_free_slots++] = i;
    stale_ids[n_stale++ % STALE_MAX] = m->id;
  }
}

static void model_wake(int i) {
  model_task *m = &tasks[i];
  if (m->status == ST_LIVE && !m->queued) {
    m->queued = 1;
    ring_push(i);
  }
}

/* The result nx_cancel must give for task i (called before the cancel). */
static int model_cancel_expect(int i) {
  if (tasks[i].freed) return NX_ESTALE;
  if (tasks[i].status != ST_LIVE) return NX_EALREADY;
  return NX_OK;
}

static void count_cancel(int rc) {
  seen_estale += rc == NX_ESTALE;
  seen_ealready += rc == NX_EALREADY;
  seen_cancel_ok += rc == NX_OK;
}

/* ------------------------------------------------------------------------ */
/* The futures                                                              */
/* ------------------------------------------------------------------------ */

typedef struct { int index; } rnd_fut;
static int current = -1;

static int spawn_task(int from_poll);

/* Called from a poll: the task at the head of this cycle's queue must be
 * `i`, after any stale entries (completed tasks), which are discarded. */
static void model_expect_poll(int i) {
  for (;;) {
    if (cycle_left == 0) FAIL("op %ld: task %d polled beyond this cycle's entries", op_no, i);
    int j = ring_pop();
    cycle_left--;
    tasks[j].queued = 0;
    if (tasks[j].status != ST_LIVE) {
      seen_stale_entries++;
      model_maybe_free(j);
      continue;
    }
    if (j != i) FAIL("op %ld: polled task %d, the queue says task %d", op_no, i, j);
    return;
  }
}

static long total_polls; /* every poll, whatever model slot it used */

static nx_poll rnd_poll(void *s, nx_cx *cx) {
  int i = ((rnd_fut *)s)->index;
  total_polls++;
  model_task *m = &tasks[i];
  model_expect_poll(i);
  if (m->status != ST_LIVE || m->freed) FAIL("op %ld: task %d polled after completion", op_no, i);
  if (nx_cx_task_id(cx) != m->id) FAIL("op %ld: nx_cx_task_id of task %d", op_no, i);
  int step = m->polls < m->nsteps ? m->steps[m->polls] : S_WAIT;
  m->polls++;
  current = i;
  nx_poll result = NX_PENDING;
  switch (step) {
    case S_READY: {
      int64_t *out = nx_cx_output(cx);
      if (m->join_held && out == NULL) FAIL("task %d: no output buffer", i);
      if (out != NULL) *out = (int64_t)i * 3 + 1;
      m->status = ST_DONE;
      result = NX_READY;
      break;
    }
    case S_SELF_WAKE:
      nx_cx_wake(cx);
      model_wake(i);
      break;
    case S_CLONE:
      if (pool_n < POOL_MAX) {
        nx_waker self = nx_cx_waker(cx);
        NX_CHECK_OK(nx_waker_clone(&self, &pool[pool_n].w));
        pool[pool_n++].target = i;
        m->clones++;
      }
      break;
    case S_WAKE_OTHER:
      if (pool_n > 0) {
        pool_entry *e = &pool[rng_below((uint32_t)pool_n)];
        nx_waker_wake_by_ref(&e->w);
        model_wake(e->target);
      }
      break;
    case S_CANCEL_OTHER:
    case S_CANCEL_SELF: {
      int j = step == S_CANCEL_SELF ? i : (int)rng_below((uint32_t)n_tasks);
      int want = model_cancel_expect(j);
      if (want == NX_OK) tasks[j].status = ST_CANCELLED; /* before its drop_fn runs */
      int rc = nx_cancel(ex, tasks[j].id);
      if (rc != want)
        FAIL("op %ld: task %d cancelling task %d: %s, expected %s", op_no, i, j, nx_err_name(rc),
             nx_err_name(want));
      count_cancel(rc);
      seen_self_cancel += rc == NX_OK && j == i;
      if (rc == NX_OK) {
        /* Another task: dropped now. Itself: right after this poll. */
        if (j != i) {
          if (tasks[j].drops != 1) FAIL("op %ld: cancelled task %d not dropped", op_no, j);
          model_maybe_free(j);
        }
      }
      break;
    }
    case S_SPAWN:
      spawn_task(1);
      break;
    default:
      break;
  }
  current = -1;
  if (m->status != ST_LIVE) model_maybe_free(i); /* completes as this returns */
  return result;
}

static void rnd_drop(void *s) {
  int i = ((rnd_fut *)s)->index;
  model_task *m = &tasks[i];
  if (++m->drops != 1) FAIL("op %ld: task %d dropped %d times", op_no, i, m->drops);
  if (!in_shutdown && m->status == ST_LIVE) FAIL("op %ld: live task %d dropped", op_no, i);
}

/* Returns the new task's index, or -1 (slab full, or the model is full). */
static int spawn_task(int from_poll) {
  int i;
  if (n_free_slots > 0)
    i = free_slots[n_free_slots - 1];
  else if (n_tasks < MAX_TASKS)
    i = n_tasks;
  else
    return -1; /* the model is full */
  size_t slab_used = model_slab_in_use();
  model_task *m = &tasks[i];
  model_task old = *m;
  memset(m, 0, sizeof *m);
  m->slab = rng_below(2);
  int joinable = rng_below(3) != 0;
  m->nsteps = 1 + (int)rng_below(MAX_STEPS - 1);
  for (int k = 0; k < m->nsteps; k++) {
    uint32_t r = rng_below(100);
    m->steps[k] = r < 30 ? S_SELF_WAKE : r < 55 ? S_CLONE : r < 60 ? S_WAIT
                : r < 80 ? S_WAKE_OTHER : r < 87 ? S_CANCEL_OTHER : r < 90 ? S_CANCEL_SELF
                : S_SPAWN;
  }
  /* Most tasks complete on their last step; the rest wait forever. */
  if (rng_below(10) != 0) m->steps[m->nsteps - 1] = S_READY;

  nx_future_desc d = {rnd_poll, rnd_drop, sizeof(rnd_fut), _Alignof(rnd_fut),
                      joinable ? sizeof(int64_t) : 0};
  rnd_fut f = {i};
  nx_task_id id = 1;
  nx_join j = {NULL};
  int want = NX_OK;
  if (m->slab && slab_used == slab_capacity) want = NX_ESLABFULL;
  /* Every other spawn goes through a prepared future (no random draw, so
   * a seed's sequence is the same as before). */
  int prepared = (int)(n_spawned & 1);
  nx_prepared_future pf;
  if (prepared && nx_future_prepare(&d, &pf) != NX_OK) FAIL("op %ld: nx_future_prepare", op_no);
  int rc = prepared ? (m->slab ? nx_spawn_slab_prepared(ex, &pf, &f, &id, joinable ? &j : NULL)
                               : nx_spawn_prepared(ex, &pf, &f, &id, joinable ? &j : NULL))
                    : (m->slab ? nx_spawn_slab(ex, &d, &f, &id, joinable ? &j : NULL)
                               : nx_spawn(ex, &d, &f, &id, joinable ? &j : NULL));
  if (rc != want)
    FAIL("op %ld: spawn (slab %d, prepared %d, from poll %d): %s, expected %s", op_no, m->slab,
         prepared, from_poll, nx_err_name(rc), nx_err_name(want));
  if (rc != NX_OK) {
    if (id != 1 || j.task != NULL) FAIL("op %ld: failed spawn wrote its outputs", op_no);
    seen_slab_full++;
    *m = old;
    return -1;
  }
  if (i < n_tasks)
    n_free_slots--;
  else
    n_tasks++;
  n_spawned++;
  for (int k = 0; k < n_tasks; k++)
    if (!tasks[k].freed && tasks[k].id == id) FAIL("op %ld: id reused while task %d holds it", op_no, k);
  m->id = id;
  m->join = j;
  m->join_held = joinable;
  m->status = ST_LIVE;
  m->queued = 1;
  ring_push(i);
  return i;
}

/* ------------------------------------------------------------------------ */
/* Operations from outside                                                  */
/* ------------------------------------------------------------------------ */

/* nxrt reaps completed tasks' entries at the front of the ready queue at the
 * end of every cycle and after a cancel from outside a poll (nx_reap_front
 * in executor.c), so their slots are freed at once. */
static void model_reap_front(void) {
  while (ring_len() > 0) {
    int j = ring[ring_head % MAX_TASKS];
    if (tasks[j].status == ST_LIVE) return;
    ring_pop();
    tasks[j].queued = 0;
    seen_stale_entries++;
    model_maybe_free(j);
  }
}

static void op_run_once(void) {
  unsigned n = ring_len() < tasks_per_cycle ? ring_len() : tasks_per_cycle;
  long polls_before = total_polls;
  cycle_left = n;
  int rc = nx_run_once(ex);
  /* Entries this cycle took but did not poll must all be stale. */
  while (cycle_left > 0) {
    int j = ring_pop();
    cycle_left--;
    tasks[j].queued = 0;
    if (tasks[j].status == ST_LIVE) FAIL("op %ld: queued task %d was not polled", op_no, j);
    seen_stale_entries++;
    model_maybe_free(j);
  }
  model_reap_front();
  long polls = total_polls - polls_before;
  /* nxrt.h: "the number of polls made"; discarded stale entries are not. */
  if (rc != polls)
    FAIL("op %ld: nx_run_once returned %d, %ld polls made, %u entries taken", op_no, rc, polls, n);
}

static void pool_remove(int k) {
  tasks[pool[k].target].clones--;
  model_maybe_free(pool[k].target);
  pool[k] = pool[--pool_n];
}

static void op_pool_wake(void) {
  if (pool_n == 0) return;
  int k = (int)rng_below((uint32_t)pool_n);
  int target = pool[k].target;
  nx_waker_wake(&pool[k].w);
  if (pool[k].w.task != NULL) FAIL("wake did not consume");
  model_wake(target);
  pool_remove(k);
}

static void op_pool_wake_by_ref(void) {
  if (pool_n == 0) return;
  int k = (int)rng_below((uint32_t)pool_n);
  nx_waker_wake_by_ref(&pool[k].w);
  model_wake(pool[k].target);
}

static void op_pool_clone(void) {
  if (pool_n == 0 || pool_n == POOL_MAX) return;
  int k = (int)rng_below((uint32_t)pool_n);
  NX_CHECK_OK(nx_waker_clone(&pool[k].w, &pool[pool_n].w));
  if (!nx_waker_will_wake(&pool[k].w, &pool[pool_n].w)) FAIL("clone wakes another task");
  pool[pool_n].target = pool[k].target;
  tasks[pool[k].target].clones++;
  pool_n++;
}

static void op_pool_drop(void) {
  if (pool_n == 0) return;
  int k = (int)rng_below((uint32_t)pool_n);
  nx_waker_drop(&pool[k].w);
  pool_remove(k);
}

static void op_cancel(void) {
  if (n_stale > 0 && rng_below(4) == 0) {
    long lo = n_stale > STALE_MAX ? n_stale - STALE_MAX : 0;
    nx_task_id id = stale_ids[(lo + (long)rng_below((uint32_t)(n_stale - lo))) % STALE_MAX];
    int rc = nx_cancel(ex, id);
    if (rc != NX_ESTALE) FAIL("op %ld: cancel of stale id %#" PRIx64 ": %s", op_no, id, nx_err_name(rc));
    count_cancel(rc);
    return;
  }
  if (n_tasks == 0) return;
  int j = (int)rng_below((uint32_t)n_tasks);
  int want = model_cancel_expect(j);
  if (want == NX_OK) tasks[j].status = ST_CANCELLED; /* before its drop_fn runs */
  int rc = nx_cancel(ex, tasks[j].id);
  if (rc != want)
    FAIL("op %ld: cancel task %d: %s, expected %s", op_no, j, nx_err_name(rc), nx_err_name(want));
  count_cancel(rc);
  if (rc == NX_OK) {
    if (tasks[j].drops != 1) FAIL("op %ld: cancelled task %d not dropped", op_no, j);
    model_maybe_free(j);
    model_reap_front();
  }
}

static int pick_join(void) {
  if (n_tasks == 0) return -1;
  int start = (int)rng_below((uint32_t)n_tasks);
  for (int k = 0; k < n_tasks; k++) {
    int j = (start + k) % n_tasks;
    if (tasks[j].join_held) return j;
  }
  return -1;
}

static void op_join_try(void) {
  int j = pick_join();
  if (j < 0) return;
  model_task *m = &tasks[j];
  if (nx_join_id(&m->join) != m->id) FAIL("op %ld: nx_join_id of task %d", op_no, j);
  int want = m->status == ST_LIVE ? NX_PENDING : m->status == ST_DONE ? NX_READY : NX_ECANCELED;
  int64_t out = -1;
  int rc = nx_join_try(&m->join, &out, sizeof out);
  if (rc != want)
    FAIL("op %ld: join task %d: %s, expected %s", op_no, j, nx_err_name(rc), nx_err_name(want));
  if (rc == NX_READY && out != (int64_t)j * 3 + 1) FAIL("op %ld: task %d output %" PRId64, op_no, j, out);
  if (rc != NX_READY && out != -1) FAIL("op %ld: output written for %s", op_no, nx_err_name(rc));
  seen_join_ready += rc == NX_READY;
  seen_join_canceled += rc == NX_ECANCELED;
  if (rc != NX_PENDING) {
    if (m->join.task != NULL) FAIL("join handle not consumed");
    m->join_held = 0;
    model_maybe_free(j);
  }
}

static void op_join_detach(void) {
  int j = pick_join();
  if (j < 0) return;
  nx_join_detach(&tasks[j].join);
  tasks[j].join_held = 0;
  model_maybe_free(j);
}

/* ------------------------------------------------------------------------ */
/* Invariants                                                               */
/* ------------------------------------------------------------------------ */

static void check_invariants(void) {
  size_t live = 0, allocated = 0, heap = 0;
  for (int i = 0; i < n_tasks; i++) {
    model_task *m = &tasks[i];
    live += m->status == ST_LIVE;
    allocated += !m->freed;
    heap += !m->freed && !m->slab;
    int want_drops = m->status == ST_LIVE ? 0 : 1;
    if (m->drops != want_drops)
      FAIL("op %ld: task %d (status %d) dropped %d times", op_no, i, m->status, m->drops);
  }
  if (nx_executor_live_tasks(ex) != live)
    FAIL("op %ld: live tasks %zu, model %zu", op_no, nx_executor_live_tasks(ex), live);
  if (nx_executor_allocated_tasks(ex) != allocated)
    FAIL("op %ld: allocated tasks %zu, model %zu", op_no, nx_executor_allocated_tasks(ex), allocated);
  if (nx_slab_in_use(nx_executor_slab(ex)) != model_slab_in_use())
    FAIL("op %ld: slab in use %zu, model %zu", op_no, nx_slab_in_use(nx_executor_slab(ex)),
         model_slab_in_use());
  if (st.allocs - st.frees != heap)
    FAIL("op %ld: allocator holds %zu tasks, model %zu", op_no, st.allocs - st.frees, heap);
}

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv) {
  nx_test_start();
  uint64_t seed = 1;
  const char *env = getenv("NXRT_SEED");
  if (argc > 1)
    seed = strtoull(argv[1], NULL, 0);
  else if (env != NULL && *env != '\0')
    seed = strtoull(env, NULL, 0);
  long ops = argc > 2 ? strtol(argv[2], NULL, 0) : DEFAULT_OPS;
  rng_state = seed;

  static const uint32_t tpcs[] = {1, 2, 7, 64, 1u << 20};
  static const uint32_t caps[] = {1, 4, 1024};
  tasks_per_cycle = tpcs[rng_below(5)];
  uint32_t ready_capacity = caps[rng_below(3)];
  slab_capacity = 1 + rng_below(256);
  printf("seed=%" PRIu64 " ops=%ld tasks_per_cycle=%u ready_capacity=%u slab_capacity=%zu "
         "(rerun: %s %" PRIu64 ")\n",
         seed, ops, tasks_per_cycle, ready_capacity, slab_capacity, argv[0], seed);

  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  sc.capacity = slab_capacity;
  ex = nx_test_executor(tasks_per_cycle, ready_capacity, &counting, &sc);

  long counts[10] = {0};
  for (op_no = 0; op_no < ops; op_no++) {
    uint32_t r = rng_below(100);
    int kind = r < 18 ? 0 : r < 45 ? 1 : r < 55 ? 2 : r < 63 ? 3 : r < 69 ? 4 : r < 74 ? 5
             : r < 81 ? 6 : r < 92 ? 7 : 8;
    counts[kind]++;
    switch (kind) {
      case 0: spawn_task(0); break;
      case 1: op_run_once(); break;
      case 2: op_pool_wake(); break;
      case 3: op_pool_wake_by_ref(); break;
      case 4: op_pool_clone(); break;
      case 5: op_pool_drop(); break;
      case 6: op_cancel(); break;
      case 7: op_join_try(); break;
      default: op_join_detach(); break;
    }
    check_invariants();
  }

  /* Teardown: either release everything first, or destroy with wakers and
   * join handles still held and release them afterwards. */
  int release_first = (int)rng_below(2);
  size_t live = nx_executor_live_tasks(ex);
  printf("tasks spawned %ld, live at the end %zu, clones held %d, teardown %s\n", n_spawned, live,
         pool_n, release_first ? "after releasing" : "with references held");
  printf("seen: slab full %ld, cancel ok %ld (self %ld), EALREADY %ld, ESTALE %ld, stale queue "
         "entries %ld, join READY %ld, ECANCELED %ld\n",
         seen_slab_full, seen_cancel_ok, seen_self_cancel, seen_ealready, seen_estale,
         seen_stale_entries, seen_join_ready, seen_join_canceled);
  if (release_first) {
    while (pool_n > 0) op_pool_drop();
    for (int i = 0; i < n_tasks; i++)
      if (tasks[i].join_held) {
        nx_join_detach(&tasks[i].join);
        tasks[i].join_held = 0;
        model_maybe_free(i);
      }
    check_invariants();
  }
  in_shutdown = 1;
  nx_executor_destroy(ex);
  for (int i = 0; i < n_tasks; i++)
    if (tasks[i].drops != 1) FAIL("after destroy: task %d dropped %d times", i, tasks[i].drops);
  /* Late wakes are no-ops; the last release frees everything. */
  for (int k = 0; k < pool_n; k++) nx_waker_wake_by_ref(&pool[k].w);
  while (pool_n > 0) {
    int k = pool_n - 1;
    if (k % 2)
      nx_waker_wake(&pool[k].w);
    else
      nx_waker_drop(&pool[k].w);
    pool_n--;
  }
  for (int i = 0; i < n_tasks; i++)
    if (tasks[i].join_held) {
      int rc = nx_join_try(&tasks[i].join, NULL, 0);
      if (rc != NX_READY && rc != NX_ECANCELED) FAIL("join after destroy: %s", nx_err_name(rc));
      if (tasks[i].status == ST_LIVE && rc != NX_ECANCELED) FAIL("live task %d joined READY", i);
    }
  if (st.allocs != st.frees) FAIL("allocator: %zu allocs, %zu frees", st.allocs, st.frees);
  if (st.live_bytes != 0 || st.bad_free_args != 0) FAIL("allocator: bad sized frees");
  printf("ops: spawn %ld, run %ld, wake %ld, wake_by_ref %ld, clone %ld, drop %ld, cancel %ld, "
         "join %ld, detach %ld: ok\n",
         counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6], counts[7],
         counts[8]);
  return 0;
}

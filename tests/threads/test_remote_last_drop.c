/* The last reference to a completed task dropped on another thread hands the
 * slot back to the executor through the inbox; the executor thread frees it
 * (nxrt.h: only the executor's thread frees into the allocator while the
 * executor lives).
 *
 * 1. run_once: a zombie's last waker is dropped on a thread; until the
 *    executor's next cycle the slot stays allocated and the allocator saw no
 *    free; after one nx_run_once it is freed, on the executor's thread.
 * 2. parked: the executor sleeps in nx_run(PARKED) (another task is still
 *    pending) when the thread drops the zombie's last waker. The hand-off
 *    must wake it (the allocator's free, on the executor thread, is what the
 *    thread waits for: a lost unpark hangs here and the watchdog fails).
 * 3. many: 4 threads drop the last wakers of 400 zombies at once while the
 *    executor cycles; every slot is freed, each exactly once, on the
 *    executor's thread.
 */
#include "threads_test.h"

enum { C_CASE, C_FREES };

/* An allocator that records who frees, and lets a thread wait for frees. */
static pthread_t executor_thread;
static _Atomic uint32_t frees;          /* futex word: count of frees */
static _Atomic long allocs, off_thread_frees;

static void *rec_alloc(void *ctx, size_t size, size_t align) {
  (void)ctx;
  void *p = aligned_alloc(align, (size + align - 1) & ~(align - 1));
  if (p) atomic_fetch_add(&allocs, 1);
  return p;
}

static void rec_free(void *ctx, void *ptr, size_t size, size_t align) {
  (void)ctx;
  (void)size;
  (void)align;
  if (!pthread_equal(pthread_self(), executor_thread)) atomic_fetch_add(&off_thread_frees, 1);
  free(ptr);
  atomic_fetch_add_explicit(&frees, 1, memory_order_release);
  thr_counter_set(C_FREES, (long)atomic_load(&frees));
  thr_futex_wake_all(&frees);
}

static const nx_allocator recording = {"recording", rec_alloc, rec_free, NULL, NULL};

/* A task that clones its waker into *out on its first poll and completes on
 * poll number `ready_at` (0: never on its own). */
typedef struct cloner {
  nx_waker *out;
  int ready_at;
  int polls;
} cloner;

static nx_poll cloner_poll(void *state, nx_cx *cx) {
  cloner *c = state;
  if (++c->polls == 1 && c->out) {
    nx_waker w = nx_cx_waker(cx);
    NX_CHECK_OK(nx_waker_clone(&w, c->out));
  }
  return c->ready_at != 0 && c->polls >= c->ready_at ? NX_READY : NX_PENDING;
}

static nx_executor *make_executor(void) {
  nx_executor_config cfg;
  nx_executor *ex = NULL;
  NX_CHECK_OK(nx_executor_config_init(&cfg));
  cfg.allocator = &recording;
  NX_CHECK_OK(nx_executor_create(&cfg, &ex));
  return ex;
}

static void *drop_one(void *arg) {
  nx_waker_drop((nx_waker *)arg);
  return NULL;
}

static void case_run_once(void) {
  nx_executor *ex = make_executor();
  nx_waker w = {NULL};
  cloner c = {&w, 1, 0};
  nx_future_desc d = NX_FUTURE(cloner, cloner_poll, NULL);
  NX_CHECK_OK(nx_spawn(ex, &d, &c, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 1); /* polled once: cloned, completed */
  NX_CHECK(w.task != NULL);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1); /* a zombie, kept by the clone */
  uint32_t frees0 = atomic_load(&frees);

  pthread_t th;
  thr_start_thread(&th, drop_one, &w);
  thr_join_thread(th);
  NX_CHECK(w.task == NULL);
  /* Handed back, not freed: the other thread never touches the allocator. */
  NX_CHECK_EQ_U(atomic_load(&frees), frees0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);
  NX_CHECK_EQ(nx_run_once(ex), 0); /* the hand-off is no poll */
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  NX_CHECK_EQ_U(atomic_load(&frees), frees0 + 1);
  NX_CHECK_EQ(atomic_load(&off_thread_frees), 0);
  nx_executor_destroy(ex);
  printf("run_once: zombie handed back by another thread, freed by the next cycle\n");
}

/* Case 2: the dropping thread waits for the free, then wakes the pending
 * task so nx_run can return. */
typedef struct parked_plan {
  nx_waker zombie, pending;
  uint32_t frees_before;
} parked_plan;

static void *parked_dropper(void *arg) {
  parked_plan *p = arg;
  usleep(20000); /* let the executor fall asleep (correct either way) */
  nx_waker_drop(&p->zombie);
  /* Wait for the executor thread to free the zombie: it must wake for it. */
  uint32_t f;
  while ((f = atomic_load_explicit(&frees, memory_order_acquire)) == p->frees_before)
    thr_futex_wait_ne(&frees, f);
  nx_waker_wake(&p->pending);
  return NULL;
}

static void case_parked(void) {
  nx_executor *ex = make_executor();
  parked_plan plan = {{NULL}, {NULL}, 0};
  cloner z = {&plan.zombie, 1, 0};  /* completes at once, leaves a clone */
  cloner p = {&plan.pending, 2, 0}; /* waits for one wake */
  nx_future_desc d = NX_FUTURE(cloner, cloner_poll, NULL);
  NX_CHECK_OK(nx_spawn(ex, &d, &z, NULL, NULL));
  NX_CHECK_OK(nx_spawn(ex, &d, &p, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 2);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 1);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 2);
  plan.frees_before = atomic_load(&frees);

  pthread_t th;
  thr_start_thread(&th, parked_dropper, &plan);
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  thr_join_thread(th);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
  /* nx_run returns as soon as no task is live; the thread's consuming wake
   * may have dropped its reference after the task completed, handing the
   * slot back once more: one more cycle reaps it. */
  NX_CHECK_EQ(nx_run_once(ex), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  NX_CHECK_EQ(atomic_load(&off_thread_frees), 0);
  nx_executor_destroy(ex);
  printf("parked: the hand-off woke the sleeping executor, which freed the zombie\n");
}

#define MANY 400
#define DROPPERS 4
static nx_waker many_wakers[MANY];

static void *drop_share(void *arg) {
  uintptr_t k = (uintptr_t)arg;
  for (uintptr_t i = k; i < MANY; i += DROPPERS) nx_waker_drop(&many_wakers[i]);
  return NULL;
}

static void case_many(void) {
  nx_executor *ex = make_executor();
  static cloner cs[MANY];
  nx_future_desc d = NX_FUTURE(cloner, cloner_poll, NULL);
  for (int i = 0; i < MANY; i++) {
    cs[i] = (cloner){&many_wakers[i], 1, 0};
    NX_CHECK_OK(nx_spawn(ex, &d, &cs[i], NULL, NULL));
  }
  nx_test_run_idle(ex);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), MANY);
  uint32_t frees0 = atomic_load(&frees);
  pthread_t th[DROPPERS];
  for (uintptr_t k = 0; k < DROPPERS; k++) thr_start_thread(&th[k], drop_share, (void *)k);
  /* Cycle while they drop: hand-offs are drained as they arrive. */
  while (nx_executor_allocated_tasks(ex) != 0) NX_CHECK(nx_run_once(ex) >= 0);
  for (int k = 0; k < DROPPERS; k++) thr_join_thread(th[k]);
  NX_CHECK_EQ(nx_run_once(ex), 0);
  NX_CHECK_EQ_U(atomic_load(&frees), frees0 + MANY);
  NX_CHECK_EQ(atomic_load(&off_thread_frees), 0);
  nx_executor_destroy(ex);
  printf("many: %d zombies dropped by %d threads at once, all freed by the executor\n", MANY,
         DROPPERS);
}

int main(void) {
  thr_watchdog_start("test_remote_last_drop", 60);
  thr_counter_name(C_CASE, "case");
  thr_counter_name(C_FREES, "frees");
  executor_thread = pthread_self();
  thr_counter_set(C_CASE, 1);
  case_run_once();
  thr_counter_set(C_CASE, 2);
  case_parked();
  thr_counter_set(C_CASE, 3);
  case_many();
  NX_CHECK_EQ(atomic_load(&allocs), (long)atomic_load(&frees));
  return 0;
}

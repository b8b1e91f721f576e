/* Wakers woken and dropped on other threads after nx_executor_destroy: no
 * use after free (ASan), and the memory is freed when the last one goes
 * (LSan; and a counting allocator here, which must get every slot back).
 *
 * nxrt.h: after destroy, waking is a no-op and the executor's memory stays
 * until the last outstanding waker is dropped, on whatever thread; that drop
 * frees everything.
 *
 * 1. zombie: a completed task's clone is held by a thread; the executor is
 *    destroyed; the thread wakes it (no-op) and drops it.
 * 2. live: a pending task's clone is held by a thread; destroy drops the
 *    future (drop_fn runs once, on the destroying thread); the thread's
 *    later wakes are no-ops (no poll), its drop frees the slot.
 * 3. crowd: 4 threads each hold clones of 50 tasks (malloc and slab
 *    storage, some completed, some pending) and keep waking them while the
 *    executor is destroyed, then drop them all at once: the last drop, on
 *    whichever thread, frees the slab, the executor and the rest.
 */
#include "threads_test.h"

enum { C_CASE, C_STEP };

typedef struct holder_task {
  nx_waker *out;   /* first poll clones the waker here */
  int ready_at;    /* 0: stays pending */
  int *polls, *drops;
} holder_task;

static nx_poll holder_poll(void *state, nx_cx *cx) {
  holder_task *h = state;
  if (++*h->polls == 1) {
    nx_waker w = nx_cx_waker(cx);
    NX_CHECK_OK(nx_waker_clone(&w, h->out));
  }
  return h->ready_at && *h->polls >= h->ready_at ? NX_READY : NX_PENDING;
}

static void holder_drop(void *state) {
  holder_task *h = state;
  ++*h->drops;
}

static nx_executor *make_executor(nx_test_alloc_stats *st, nx_allocator *a) {
  nx_slab_config slab;
  NX_CHECK_OK(nx_slab_config_init(&slab));
  slab.slot_size = 128;
  slab.capacity = 64;
  slab.mode = NX_SLAB_UNBOUNDED;
  *a = nx_test_counting_allocator(st);
  return nx_test_executor(0, 0, a, &slab);
}

/* Thread bodies for cases 1 and 2: wait for the go, wake twice, drop. */
typedef struct late_plan {
  nx_waker w;
  _Atomic int go;
} late_plan;

static void *late_waker(void *arg) {
  late_plan *p = arg;
  while (!atomic_load_explicit(&p->go, memory_order_acquire)) sched_yield();
  nx_waker_wake_by_ref(&p->w); /* the executor is gone: a no-op */
  nx_waker c;
  NX_CHECK_OK(nx_waker_clone(&p->w, &c)); /* cloning an orphan is still fine */
  nx_waker_wake(&c);                      /* consumes c: no-op wake + drop */
  nx_waker_drop(&p->w);                   /* the last reference: frees */
  return NULL;
}

static void case_one(int ready_at, const char *what) {
  nx_test_alloc_stats st = {0};
  nx_allocator a;
  nx_executor *ex = make_executor(&st, &a);
  late_plan plan = {{NULL}, 0};
  int polls = 0, drops = 0;
  holder_task h = {&plan.w, ready_at, &polls, &drops};
  nx_future_desc d = NX_FUTURE(holder_task, holder_poll, holder_drop);
  NX_CHECK_OK(nx_spawn(ex, &d, &h, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK(plan.w.task != NULL);
  NX_CHECK_EQ(drops, ready_at ? 1 : 0);

  pthread_t th;
  thr_start_thread(&th, late_waker, &plan);
  nx_executor_destroy(ex); /* the thread still holds a clone */
  NX_CHECK_EQ(drops, 1);   /* the future is dropped now, once */
  NX_CHECK_EQ_U(st.frees, 0); /* the slot is kept for the clone */
  atomic_store_explicit(&plan.go, 1, memory_order_release);
  thr_join_thread(th);
  NX_CHECK_EQ(polls, 1); /* the late wakes polled nothing */
  NX_CHECK_EQ(drops, 1);
  NX_CHECK_EQ_U(st.allocs, 1);
  NX_CHECK_EQ_U(st.frees, 1); /* freed by the thread's last drop */
  NX_CHECK_EQ_U(st.live_bytes, 0);
  NX_CHECK_EQ_U(st.bad_free_args, 0);
  printf("%s: woken and dropped after destroy on another thread: freed there\n", what);
}

/* Case 3 */
#define CROWD_THREADS 4
#define CROWD_TASKS 50

typedef struct crowd_member {
  nx_waker w[CROWD_TASKS];
  _Atomic int *stop;
  long wakes;
} crowd_member;

static void *crowd_main(void *arg) {
  crowd_member *m = arg;
  while (!atomic_load_explicit(m->stop, memory_order_acquire)) {
    for (int i = 0; i < CROWD_TASKS; i++) {
      nx_waker_wake_by_ref(&m->w[i]);
      nx_waker c;
      NX_CHECK_OK(nx_waker_clone(&m->w[i], &c));
      nx_waker_drop(&c);
      m->wakes++;
    }
  }
  for (int i = 0; i < CROWD_TASKS; i++) nx_waker_drop(&m->w[i]);
  return NULL;
}

static void case_crowd(void) {
  nx_test_alloc_stats st = {0};
  nx_allocator a;
  nx_executor *ex = make_executor(&st, &a);
  static crowd_member members[CROWD_THREADS];
  static int polls[CROWD_THREADS][CROWD_TASKS], drops[CROWD_THREADS][CROWD_TASKS];
  _Atomic int stop = 0;
  nx_future_desc d = NX_FUTURE(holder_task, holder_poll, holder_drop);
  for (int t = 0; t < CROWD_THREADS; t++) {
    members[t].stop = &stop;
    for (int i = 0; i < CROWD_TASKS; i++) {
      /* A third complete at once, a third after 3 polls, a third never. */
      holder_task h = {&members[t].w[i], i % 3 == 0 ? 1 : (i % 3 == 1 ? 3 : 0), &polls[t][i],
                       &drops[t][i]};
      NX_CHECK_OK(i % 2 ? nx_spawn_slab(ex, &d, &h, NULL, NULL) : nx_spawn(ex, &d, &h, NULL, NULL));
    }
  }
  /* Every task's first poll hands out its clone (several cycles: a cycle
   * polls at most tasks_per_cycle tasks), before any thread looks. */
  NX_CHECK_EQ(nx_test_run_idle(ex), CROWD_THREADS * CROWD_TASKS);
  for (int t = 0; t < CROWD_THREADS; t++)
    for (int i = 0; i < CROWD_TASKS; i++) NX_CHECK(members[t].w[i].task != NULL);
  pthread_t th[CROWD_THREADS];
  for (int t = 0; t < CROWD_THREADS; t++) thr_start_thread(&th[t], crowd_main, &members[t]);
  /* Run a while with the crowd waking (the executor is alive: real wakes). */
  for (int i = 0; i < 2000; i++) NX_CHECK(nx_run_once(ex) >= 0);
  thr_counter_set(C_STEP, 1);
  nx_executor_destroy(ex); /* mid-stream */
  thr_counter_set(C_STEP, 2);
  usleep(2000);            /* they keep waking a dead executor's tasks */
  atomic_store_explicit(&stop, 1, memory_order_release);
  long wakes = 0;
  for (int t = 0; t < CROWD_THREADS; t++) {
    thr_join_thread(th[t]);
    wakes += members[t].wakes;
  }
  for (int t = 0; t < CROWD_THREADS; t++)
    for (int i = 0; i < CROWD_TASKS; i++) NX_CHECK_EQ(drops[t][i], 1);
  NX_CHECK_EQ_U(st.frees, st.allocs);
  NX_CHECK_EQ_U(st.live_bytes, 0);
  NX_CHECK_EQ_U(st.bad_free_args, 0);
  printf("crowd: %d threads x %d tasks, %ld wakes around a destroy, everything freed by the "
         "last drop\n",
         CROWD_THREADS, CROWD_TASKS, wakes);
}

int main(void) {
  thr_watchdog_start("test_drop_after_destroy", 60);
  thr_counter_name(C_CASE, "case");
  thr_counter_name(C_STEP, "step");
  thr_counter_set(C_CASE, 1);
  case_one(1, "zombie");
  thr_counter_set(C_CASE, 2);
  case_one(0, "live");
  thr_counter_set(C_CASE, 3);
  case_crowd();
  return 0;
}

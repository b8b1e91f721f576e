/* After nx_executor_shutdown (before destroy) the executor's own thread may
 * still ask how many slots are allocated, while other threads drop the last
 * wakers of orphaned tasks (each such drop frees its slot there and then,
 * under the executor's lock). The count must be readable without a data
 * race and must reach 0 once every orphan's last waker is gone.
 *
 * The main thread shuts the executor down with 64 zombies (completed tasks
 * whose clones are held by a thread), 32 of them slab-backed, then reads
 * nx_executor_allocated_tasks() while the thread drops the clones, until it
 * reads 0. Under ThreadSanitizer an unsynchronized counter is reported (the
 * test fails); in the other builds the count must still reach exactly 0
 * and the allocator must get every slot back.
 */
#include "threads_test.h"

enum { C_LEFT, C_DROPPED };

#define ORPHANS 64

typedef struct zombie { nx_waker *out; } zombie;

static nx_waker clones[ORPHANS];
static _Atomic int go;

static nx_poll zombie_poll(void *state, nx_cx *cx) {
  zombie *z = state;
  nx_waker w = nx_cx_waker(cx);
  NX_CHECK_OK(nx_waker_clone(&w, z->out));
  return NX_READY;
}

static void *dropper(void *arg) {
  (void)arg;
  while (!atomic_load_explicit(&go, memory_order_acquire)) sched_yield();
  for (int i = 0; i < ORPHANS; i++) {
    nx_waker_wake_by_ref(&clones[i]); /* shut down: a no-op */
    nx_waker_drop(&clones[i]);
    thr_counter_set(C_DROPPED, i + 1);
    if (i % 8 == 0) sched_yield();
  }
  return NULL;
}

int main(void) {
  thr_watchdog_start("test_shutdown_orphans", 60);
  thr_counter_name(C_LEFT, "allocated_seen");
  thr_counter_name(C_DROPPED, "dropped");
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_slab_config slab;
  NX_CHECK_OK(nx_slab_config_init(&slab));
  slab.slot_size = 128;
  slab.capacity = ORPHANS;
  nx_executor *ex = nx_test_executor(0, 0, &counting, &slab);
  nx_future_desc d = NX_FUTURE(zombie, zombie_poll, NULL);
  for (int i = 0; i < ORPHANS; i++) {
    zombie z = {&clones[i]};
    NX_CHECK_OK(i % 2 ? nx_spawn_slab(ex, &d, &z, NULL, NULL) : nx_spawn(ex, &d, &z, NULL, NULL));
  }
  nx_test_run_idle(ex);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), ORPHANS);

  NX_CHECK_OK(nx_executor_shutdown(ex));
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), ORPHANS); /* all still referenced */
  pthread_t th;
  thr_start_thread(&th, dropper, NULL);
  atomic_store_explicit(&go, 1, memory_order_release);
  size_t left, reads = 0;
  while ((left = nx_executor_allocated_tasks(ex)) != 0) {
    NX_CHECK(left <= ORPHANS);
    thr_counter_set(C_LEFT, (long)left);
    reads++;
    sched_yield();
  }
  thr_join_thread(th);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  nx_executor_destroy(ex);
  NX_CHECK_EQ_U(st.allocs, ORPHANS / 2);
  NX_CHECK_EQ_U(st.frees, st.allocs);
  NX_CHECK_EQ_U(st.live_bytes, 0);
  printf("test_shutdown_orphans: %d orphans dropped on another thread after shutdown; the "
         "count reached 0 (%zu reads while they went)\n",
         ORPHANS, reads);
  return 0;
}

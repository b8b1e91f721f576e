/* An executor belongs to the thread that created it: spawn, reserve, run,
 * block_on and cancel from another thread are NX_EWRONGTHREAD and change nothing.
 * (Waker operations from other threads are allowed: tests/threads/.) */
#include "nx_test.h"

#include <pthread.h>

static nx_executor *ex;
static nx_task_id live_id;
static int rc_spawn, rc_spawn_slab, rc_spawn_prepared, rc_spawn_slab_prepared, rc_reserve, rc_run_once, rc_run, rc_block_on, rc_cancel;
static nx_task_id id_out = 55;

static nx_poll ready_poll(void *s, nx_cx *cx) {
  (void)s;
  (void)cx;
  return NX_READY;
}

static void *other_thread(void *arg) {
  (void)arg;
  nx_future_desc d = {ready_poll, NULL, 0, 0, 0};
  nx_reservation r;
  rc_spawn = nx_spawn(ex, &d, NULL, &id_out, NULL);
  rc_spawn_slab = nx_spawn_slab(ex, &d, NULL, &id_out, NULL);
  nx_prepared_future pf;
  if (nx_future_prepare(&d, &pf) != NX_OK) return NULL;
  rc_spawn_prepared = nx_spawn_prepared(ex, &pf, NULL, &id_out, NULL);
  rc_spawn_slab_prepared = nx_spawn_slab_prepared(ex, &pf, NULL, &id_out, NULL);
  rc_reserve = nx_reserve(ex, 0, &d, &r);
  rc_run_once = nx_run_once(ex);
  rc_run = nx_run(ex, NX_RUN_BUSY);
  rc_block_on = nx_block_on(ex, NX_RUN_BUSY, &d, NULL, NULL, 0);
  rc_cancel = nx_cancel(ex, live_id);
  return NULL;
}

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  ex = nx_test_executor(0, 0, &counting, &sc);
  nx_probe p = {0};
  NX_CHECK_OK(nx_probe_spawn(ex, 0, &p, 0, 0, 0, &live_id, NULL));
  size_t allocs = st.allocs;

  pthread_t t;
  NX_CHECK_EQ(pthread_create(&t, NULL, other_thread, NULL), 0);
  NX_CHECK_EQ(pthread_join(t, NULL), 0);
  NX_CHECK_RC(rc_spawn, NX_EWRONGTHREAD);
  NX_CHECK_RC(rc_spawn_slab, NX_EWRONGTHREAD);
  NX_CHECK_RC(rc_spawn_prepared, NX_EWRONGTHREAD);
  NX_CHECK_RC(rc_spawn_slab_prepared, NX_EWRONGTHREAD);
  NX_CHECK_RC(rc_reserve, NX_EWRONGTHREAD);
  NX_CHECK_RC(rc_run_once, NX_EWRONGTHREAD);
  NX_CHECK_RC(rc_run, NX_EWRONGTHREAD);
  NX_CHECK_RC(rc_block_on, NX_EWRONGTHREAD);
  NX_CHECK_RC(rc_cancel, NX_EWRONGTHREAD);
  NX_CHECK_EQ_U(id_out, 55);
  NX_CHECK_EQ_U(st.allocs, allocs);
  NX_CHECK_EQ_U(nx_slab_in_use(nx_executor_slab(ex)), 0);
  NX_CHECK_EQ(p.drops, 0);
  NX_CHECK_EQ(p.polls, 0);
  /* The owner still runs it. */
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(p.polls, 1);
  NX_CHECK_OK(nx_cancel(ex, live_id));
  NX_CHECK_EQ(p.drops, 1);
  nx_executor_destroy(ex);
  NX_CHECK_EQ_U(st.allocs, st.frees);
  return 0;
}

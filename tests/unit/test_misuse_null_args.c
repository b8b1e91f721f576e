/* Every public function given NULL (or an empty handle) does what nxrt.h
 * says it does: NX_EINVAL where it returns a status, a no-op where it says
 * so, 0 / NULL / NX_TASK_ID_NONE for the queries; and on error nothing is
 * allocated and the out-parameters are left unset. Functions whose NULL
 * behaviour nxrt.h does not document are not called with NULL here. */
#include "nx_test.h"

static nx_poll ready_poll(void *s, nx_cx *cx) {
  (void)s;
  (void)cx;
  return NX_READY;
}

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_slab_config sc;
  nx_executor_config cfg;
  nx_slab *slab = (nx_slab *)&slab;
  nx_executor *ex;

  /* Status texts never NULL. */
  NX_CHECK(nx_strerror(NX_EINVAL) != NULL);
  NX_CHECK(nx_version() != NULL);

  /* Slab. */
  NX_CHECK_RC(nx_slab_config_init(NULL), NX_EINVAL);
  NX_CHECK_OK(nx_slab_config_init(&sc));
  NX_CHECK_RC(nx_slab_create(NULL, &slab), NX_EINVAL);
  NX_CHECK_RC(nx_slab_create(&sc, NULL), NX_EINVAL);
  nx_slab_destroy(NULL);
  NX_CHECK_EQ_U(nx_slab_slot_size(NULL), 0);
  NX_CHECK_OK(nx_slab_create(&sc, &slab));
  nx_slab_free(slab, NULL);
  NX_CHECK_EQ_U(nx_slab_in_use(slab), 0);
  nx_slab_destroy(slab);

  /* Executor config and lifetime. */
  NX_CHECK_RC(nx_executor_config_init(NULL), NX_EINVAL);
  NX_CHECK_RC(nx_executor_create(NULL, NULL), NX_EINVAL);
  NX_CHECK_OK(nx_executor_config_init(&cfg));
  NX_CHECK_RC(nx_executor_create(&cfg, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_executor_shutdown(NULL), NX_EINVAL);
  nx_executor_destroy(NULL);
  NX_CHECK_OK(nx_executor_create(NULL, &ex)); /* cfg NULL = defaults */
  NX_CHECK(nx_executor_slab(ex) == NULL);
  nx_executor_destroy(ex);

  ex = nx_test_executor(0, 0, &counting, NULL);
  NX_CHECK(nx_executor_slab(NULL) == NULL);

  /* Spawn. */
  nx_future_desc good = {ready_poll, NULL, 8, 8, 4};
  nx_future_desc nopoll = {NULL, NULL, 8, 8, 0};
  nx_future_desc bigout = {ready_poll, NULL, 8, 8, 65536};
  nx_task_id id = 77;
  nx_join j = {(nx_task *)&j};
  NX_CHECK_RC(nx_spawn(NULL, &good, NULL, &id, &j), NX_EINVAL);
  NX_CHECK_RC(nx_spawn(ex, NULL, NULL, &id, &j), NX_EINVAL);
  NX_CHECK_RC(nx_spawn(ex, &nopoll, NULL, &id, &j), NX_EINVAL);
  NX_CHECK_RC(nx_spawn(ex, &bigout, NULL, &id, &j), NX_EINVAL);
  NX_CHECK_RC(nx_spawn_slab(NULL, &good, NULL, &id, &j), NX_EINVAL);
  NX_CHECK_RC(nx_spawn_slab(ex, NULL, NULL, &id, &j), NX_EINVAL);
  NX_CHECK_RC(nx_spawn_slab(ex, &nopoll, NULL, &id, &j), NX_EINVAL);
  NX_CHECK_EQ_U(id, 77);
  NX_CHECK(j.task == (nx_task *)&j);
  /* The largest allowed output size is fine. */
  nx_future_desc maxout = {ready_poll, NULL, 8, 8, 65535};
  nx_join jm;
  NX_CHECK_OK(nx_spawn(ex, &maxout, NULL, NULL, &jm));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_RC(nx_join_try(&jm, NULL, 0), NX_READY);
  size_t allocs = st.allocs;

  /* Reserve / commit / abort. */
  nx_reservation r = {(nx_task *)&r, &r};
  NX_CHECK_RC(nx_reserve(NULL, 0, &good, &r), NX_EINVAL);
  NX_CHECK(r.task == NULL && r.state == NULL);
  NX_CHECK_RC(nx_reserve(ex, 0, NULL, &r), NX_EINVAL);
  NX_CHECK_RC(nx_reserve(ex, 0, &nopoll, &r), NX_EINVAL);
  NX_CHECK_RC(nx_reserve(ex, 0, &good, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_reserve(ex, 4, &good, &r), NX_EINVAL); /* unknown flag */
  NX_CHECK_RC(nx_reserve_commit(NULL, &id, &j), NX_EINVAL);
  NX_CHECK_RC(nx_reserve_commit(&r, &id, &j), NX_EINVAL); /* empty */
  NX_CHECK_EQ_U(id, 77);
  nx_reserve_abort(NULL);
  nx_reserve_abort(&r);

  /* Run, cancel, queries. */
  NX_CHECK_RC(nx_run_once(NULL), NX_EINVAL);
  NX_CHECK_RC(nx_run(NULL, NX_RUN_BUSY), NX_EINVAL);
  NX_CHECK_RC(nx_block_on(NULL, NX_RUN_BUSY, &good, NULL, NULL, 0), NX_EINVAL);
  NX_CHECK_RC(nx_block_on(ex, NX_RUN_BUSY, NULL, NULL, NULL, 0), NX_EINVAL);
  NX_CHECK_RC(nx_block_on(ex, NX_RUN_BUSY, &nopoll, NULL, NULL, 0), NX_EINVAL);
  NX_CHECK_RC(nx_cancel(NULL, 1), NX_EINVAL);
  NX_CHECK_EQ_U(nx_executor_live_tasks(NULL), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(NULL), 0);
  NX_CHECK_EQ_U(st.allocs, allocs);

  /* Join handles. */
  nx_join empty = {NULL};
  NX_CHECK_RC(nx_join_poll(NULL, NULL, NULL, 0), NX_EINVAL);
  NX_CHECK_RC(nx_join_poll(&empty, NULL, NULL, 0), NX_EINVAL);
  NX_CHECK_RC(nx_join_try(NULL, NULL, 0), NX_EINVAL);
  NX_CHECK_RC(nx_join_try(&empty, NULL, 0), NX_EINVAL);
  nx_join_detach(NULL);
  nx_join_detach(&empty);
  NX_CHECK_EQ_U(nx_join_id(NULL), NX_TASK_ID_NONE);
  NX_CHECK_EQ_U(nx_join_id(&empty), NX_TASK_ID_NONE);
  /* nx_join_poll with a live handle but no cx: NX_EINVAL, handle kept. */
  nx_join live;
  NX_CHECK_OK(nx_spawn(ex, &good, NULL, NULL, &live));
  NX_CHECK_RC(nx_join_poll(&live, NULL, NULL, 0), NX_EINVAL);
  NX_CHECK(live.task != NULL);
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_RC(nx_join_try(&live, NULL, 0), NX_READY);

  /* Wakers (see also test_waker_null_empty.c). */
  nx_waker_wake(NULL);
  nx_waker_wake_by_ref(NULL);
  nx_waker_drop(NULL);
  NX_CHECK_RC(nx_waker_clone(NULL, NULL), NX_EINVAL);

  nx_executor_destroy(ex);
  NX_CHECK_EQ_U(st.allocs, st.frees);
  return 0;
}

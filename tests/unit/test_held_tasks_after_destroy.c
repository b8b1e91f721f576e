/* A join handle never tried or detached, or a waker clone never dropped,
 * keeps its completed task's slot, and after shutdown the executor's memory,
 * past nx_executor_destroy. nx_executor_held_tasks makes that visible: it
 * counts exactly those tasks, before and after shutdown, and falls as they
 * are released; once it is 0 the destroyed executor's memory is freed (the
 * counting allocator gets every task back). */
#include "nx_test.h"

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_executor *ex = nx_test_executor(0, 0, &counting, NULL);
  NX_CHECK_EQ_U(nx_executor_held_tasks(NULL), 0);

  nx_probe done = {0}, waker_kept = {0}, live = {0};
  nx_join j_done, j_live;
  NX_CHECK_OK(nx_probe_spawn(ex, 0, &done, 1, 0, 0, NULL, &j_done));
  NX_CHECK_OK(nx_probe_spawn(ex, 0, &waker_kept, 1, 0, 1, NULL, NULL));
  NX_CHECK_OK(nx_probe_spawn(ex, 0, &live, 0, 0, 0, NULL, &j_live));
  NX_CHECK_EQ_U(nx_executor_held_tasks(ex), 0); /* nothing completed yet */
  NX_CHECK_EQ(nx_run_once(ex), 3);
  /* `done` (join handle) and `waker_kept` (a clone) completed but held. */
  NX_CHECK_EQ_U(nx_executor_held_tasks(ex), 2);

  NX_CHECK_OK(nx_executor_shutdown(ex));
  /* `live` was dropped by shutdown; its join handle holds it too. */
  NX_CHECK_EQ_U(nx_executor_held_tasks(ex), 3);
  NX_CHECK_RC(nx_join_try(&j_live, NULL, 0), NX_ECANCELED);
  NX_CHECK_EQ_U(nx_executor_held_tasks(ex), 2);
  size_t frees = st.frees;
  nx_executor_destroy(ex); /* warns on stderr (builds without NDEBUG): 2 held */
  NX_CHECK_EQ_U(st.frees, frees);
  NX_CHECK_RC(nx_join_try(&j_done, NULL, 0), NX_READY);
  nx_waker_drop(&waker_kept.waker); /* the last: frees everything */
  NX_CHECK_EQ_U(st.allocs, st.frees);
  return 0;
}

/* Which error wins when several apply (nxrt.h, "Which error wins"):
 * NX_EINVAL for arguments wrong in any state, then NX_ESHUTDOWN (any thread;
 * nx_executor_shutdown answers NX_OK, idempotent from any thread), then
 * NX_EWRONGTHREAD, then NX_EBUSY (re-entry from a callback), then the
 * function's own errors. Each row sets up one combination and names the
 * winner; rows run on the executor's thread, on another thread, inside a
 * poll and inside a drop function run by shutdown. */
#include "nx_test.h"

#include <pthread.h>

static nx_executor *ex;
static nx_task_id live_id;

static nx_poll ready_poll(void *s, nx_cx *cx) {
  (void)s;
  (void)cx;
  return NX_READY;
}
static const nx_future_desc good = {ready_poll, NULL, 0, 0, 0};
static const nx_future_desc bad_align = {ready_poll, NULL, 8, 3, 0};
static const nx_future_desc no_poll = {NULL, NULL, 0, 0, 0};
/* Prepared in main; `unprepared` never is (zeroed). */
static nx_prepared_future good_pf, unprepared;
#define STALE_ID (((nx_task_id)999 << 32) | 5)

/* X(name, expression, expected) per situation. */
#define ANY_STATE(X)                                                                    \
  X(null_ex_spawn, nx_spawn(NULL, &good, NULL, NULL, NULL), NX_EINVAL)                  \
  X(null_ex_spawn_prepared, nx_spawn_prepared(NULL, &good_pf, NULL, NULL, NULL), NX_EINVAL) \
  X(unprepared_spawn, nx_spawn_prepared(ex, &unprepared, NULL, NULL, NULL), NX_EINVAL)  \
  X(null_ex_cancel, nx_cancel(NULL, live_id), NX_EINVAL)                                \
  X(null_ex_shutdown, nx_executor_shutdown(NULL), NX_EINVAL)                            \
  X(no_poll_spawn, nx_spawn(ex, &no_poll, NULL, NULL, NULL), NX_EINVAL)                 \
  X(bad_mode_run, nx_run(ex, (nx_run_mode)7), NX_EINVAL)                                \
  X(null_desc_block_on, nx_block_on(ex, NX_RUN_BUSY, NULL, NULL, NULL, 0), NX_EINVAL)

#define WRONG_THREAD_LIVE(X)                                                            \
  X(wrong_thread_shutdown, nx_executor_shutdown(ex), NX_EWRONGTHREAD)                   \
  X(wrong_thread_bad_align, nx_spawn(ex, &bad_align, NULL, NULL, NULL), NX_EWRONGTHREAD) \
  X(wrong_thread_spawn_slab_prepared, nx_spawn_slab_prepared(ex, &good_pf, NULL, NULL, NULL), \
    NX_EWRONGTHREAD)                                                                    \
  X(wrong_thread_unprepared, nx_spawn_prepared(ex, &unprepared, NULL, NULL, NULL), NX_EINVAL) \
  X(wrong_thread_stale_cancel, nx_cancel(ex, STALE_ID), NX_EWRONGTHREAD)                \
  X(wrong_thread_run_once, nx_run_once(ex), NX_EWRONGTHREAD)

#define IN_POLL(X)                                                                      \
  X(poll_run_once, nx_run_once(ex), NX_EBUSY)                                           \
  X(poll_bad_mode_run, nx_run(ex, (nx_run_mode)7), NX_EINVAL)                           \
  X(poll_shutdown, nx_executor_shutdown(ex), NX_EBUSY)                                  \
  X(poll_bad_align, nx_spawn(ex, &bad_align, NULL, NULL, NULL), NX_EALIGN)              \
  X(poll_stale_cancel, nx_cancel(ex, STALE_ID), NX_ESTALE)

#define IN_SHUTDOWN_DROP(X)                                                             \
  X(shutting_cancel_live, nx_cancel(ex, live_id), NX_ESHUTDOWN)                         \
  X(shutting_cancel_stale, nx_cancel(ex, STALE_ID), NX_ESHUTDOWN)                       \
  X(shutting_run_once, nx_run_once(ex), NX_ESHUTDOWN)                                   \
  X(shutting_shutdown, nx_executor_shutdown(ex), NX_EBUSY)                              \
  X(shutting_bad_align, nx_spawn(ex, &bad_align, NULL, NULL, NULL), NX_ESHUTDOWN)       \
  X(shutting_no_poll, nx_spawn(ex, &no_poll, NULL, NULL, NULL), NX_EINVAL)             \
  X(shutting_spawn_prepared, nx_spawn_prepared(ex, &good_pf, NULL, NULL, NULL), NX_ESHUTDOWN) \
  X(shutting_unprepared, nx_spawn_slab_prepared(ex, &unprepared, NULL, NULL, NULL), NX_EINVAL)

#define AFTER_SHUTDOWN(X)                                                               \
  X(shut_shutdown, nx_executor_shutdown(ex), NX_OK)                                     \
  X(shut_bad_align, nx_spawn(ex, &bad_align, NULL, NULL, NULL), NX_ESHUTDOWN)           \
  X(shut_stale_cancel, nx_cancel(ex, STALE_ID), NX_ESHUTDOWN)                           \
  X(shut_run_once, nx_run_once(ex), NX_ESHUTDOWN)                                       \
  X(shut_no_poll, nx_spawn(ex, &no_poll, NULL, NULL, NULL), NX_EINVAL)                 \
  X(shut_spawn_slab_prepared, nx_spawn_slab_prepared(ex, &good_pf, NULL, NULL, NULL), NX_ESHUTDOWN) \
  X(shut_unprepared, nx_spawn_prepared(ex, &unprepared, NULL, NULL, NULL), NX_EINVAL)

#define WRONG_THREAD_SHUT(X)                                                            \
  X(wrong_thread_shut_shutdown, nx_executor_shutdown(ex), NX_OK)                        \
  X(wrong_thread_shut_spawn, nx_spawn(ex, &good, NULL, NULL, NULL), NX_ESHUTDOWN)       \
  X(wrong_thread_shut_spawn_prepared, nx_spawn_prepared(ex, &good_pf, NULL, NULL, NULL), \
    NX_ESHUTDOWN)                                                                       \
  X(wrong_thread_shut_cancel, nx_cancel(ex, live_id), NX_ESHUTDOWN)                     \
  X(wrong_thread_shut_run_once, nx_run_once(ex), NX_ESHUTDOWN)

#define CHECK_ROW(name, expr, want) NX_CHECK_RC(expr, want);
#define DEFINE_ROWS(fn, LIST) \
  static void fn(void) { LIST(CHECK_ROW) }
DEFINE_ROWS(any_state, ANY_STATE)
DEFINE_ROWS(wrong_thread_live, WRONG_THREAD_LIVE)
DEFINE_ROWS(in_poll, IN_POLL)
DEFINE_ROWS(in_shutdown_drop, IN_SHUTDOWN_DROP)
DEFINE_ROWS(after_shutdown, AFTER_SHUTDOWN)
DEFINE_ROWS(wrong_thread_shut, WRONG_THREAD_SHUT)

static void *on_thread(void *fn) {
  ((void (*)(void))fn)();
  return NULL;
}
static void on_other_thread(void (*fn)(void)) {
  pthread_t t;
  NX_CHECK_EQ(pthread_create(&t, NULL, on_thread, (void *)fn), 0);
  NX_CHECK_EQ(pthread_join(t, NULL), 0);
}

static int poll_rows_ran, drop_rows_ran;
static nx_poll rows_poll(void *s, nx_cx *cx) {
  (void)s;
  (void)cx;
  in_poll();
  any_state();
  poll_rows_ran = 1;
  return NX_PENDING;
}
static void rows_drop(void *s) {
  (void)s;
  in_shutdown_drop();
  any_state();
  drop_rows_ran = 1;
}

int main(void) {
  nx_test_start();
  NX_CHECK_OK(nx_future_prepare(&good, &good_pf));
  ex = nx_test_executor(0, 0, NULL, NULL);
  nx_probe p = {0};
  NX_CHECK_OK(nx_probe_spawn(ex, 0, &p, 0, 0, 0, &live_id, NULL));
  any_state();
  on_other_thread(any_state);
  on_other_thread(wrong_thread_live);
  nx_future_desc rd = {rows_poll, rows_drop, 0, 0, 0};
  NX_CHECK_OK(nx_spawn(ex, &rd, NULL, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 2);
  NX_CHECK_EQ(poll_rows_ran, 1);
  NX_CHECK_OK(nx_executor_shutdown(ex));
  NX_CHECK_EQ(drop_rows_ran, 1);
  after_shutdown();
  any_state();
  on_other_thread(wrong_thread_shut);
  nx_executor_destroy(ex);
  return 0;
}

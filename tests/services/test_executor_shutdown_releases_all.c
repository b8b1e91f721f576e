/* Shutting an executor down while tasks wait on timers, IO, channels, a
 * cancel token and a shutdown handle: every service lets go of the wakers it
 * holds, the tasks' drop functions (which call the services' drops after the
 * services are gone) touch nothing freed, all task storage is freed, and
 * ASan/valgrind find no leak. A waker held by a structure outside every
 * task (an mpsc receiver here) keeps its task's storage until released. */
#include "nx_test.h"
#include "svc_test.h"

static int pfd[2], rfd[3], next_rfd;
static nx_cancel_token *tok;
static nx_shutdown *sh;
static nx_local_rx lrx;
static nx_local_tx ltx;
static nx_mpsc_tx mtx;
static nx_mpsc_rx mrx;
static int drops;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_sleep sl;
  nx_interval iv;
  nx_io io;
  nx_cancel_wait cw;
  nx_shutdown_wait sw;
  nx_local_send ls;
  int v, started;
} st;

static nx_poll st_poll(void *p, nx_cx *cx) {
  st *s = p;
  nx_executor *ex = nx_cx_executor(cx);
  if (!s->started) {
    s->started = 1;
    NX_CHECK_OK(nx_sleep_init(&s->sl, ex, 3600LL * 1000000000));
    NX_CHECK_OK(nx_interval_init(&s->iv, ex, 3600LL * 1000000000));
    NX_CHECK_OK(nx_io_register(&s->io, ex, rfd[next_rfd++], NX_IO_READ));
    NX_CHECK_OK(nx_cancel_wait_init(&s->cw, tok));
    NX_CHECK_OK(nx_shutdown_wait_init(&s->sw, sh));
    s->v = 5;
    NX_CHECK_OK(nx_local_send_init(&s->ls, &ltx, &s->v));
  }
  NX_CHECK_RC(nx_sleep_poll(&s->sl, cx), NX_PENDING);
  NX_CHECK_RC(nx_interval_tick_poll(&s->iv, cx), NX_PENDING);
  nx_io_clear_readable(&s->io);
  NX_CHECK_RC(nx_io_poll_readable(&s->io, cx), NX_PENDING);
  NX_CHECK_RC(nx_cancel_wait_poll(&s->cw, cx), NX_PENDING);
  NX_CHECK_RC(nx_shutdown_wait_poll(&s->sw, cx), NX_PENDING);
  NX_CHECK_RC(nx_local_send_poll(&s->ls, cx), NX_PENDING); /* channel full */
  NX_CHECK_RC(nx_mpsc_recv_poll(&mrx, cx, &s->v), NX_PENDING);
  return NX_PENDING;
}

static void st_drop(void *p) {
  st *s = p;
  drops++;
  nx_sleep_drop(&s->sl);
  nx_interval_drop(&s->iv);
  nx_io_drop(&s->io);
  nx_cancel_wait_drop(&s->cw);
  nx_shutdown_wait_drop(&s->sw);
  nx_local_send_drop(&s->ls);
}

int main(void) {
  nx_test_start();
  nx_test_alloc_stats stats = {0};
  nx_allocator al = nx_test_counting_allocator(&stats);
  nx_executor *ex = nx_test_executor(0, 0, &al, NULL);
  NX_CHECK(pipe(pfd) == 0);
  svc_set_nonblocking(pfd[0]);
  /* One epoll registration per descriptor: each task gets its own dup. */
  for (int i = 0; i < 3; i++) NX_CHECK((rfd[i] = dup(pfd[0])) >= 0);
  NX_CHECK_OK(nx_cancel_token_create(&tok));
  NX_CHECK_OK(nx_shutdown_handle(ex, &sh));
  NX_CHECK_OK(nx_local_chan_create(1, sizeof(int), NULL, &ltx, &lrx));
  NX_CHECK_OK(nx_local_try_send(&ltx, &(int){1})); /* now full */
  NX_CHECK_OK(nx_mpsc_create(4, sizeof(int), NULL, &mtx, &mrx));
  nx_future_desc d = NX_FUTURE(st, st_poll, st_drop);
  for (int i = 0; i < 3; i++) NX_CHECK_OK(nx_spawn(ex, &d, NULL, NULL, NULL));
  NX_CHECK_EQ(nx_test_run_idle(ex), 3);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 3);
  NX_CHECK_OK(nx_executor_shutdown(ex));
  NX_CHECK_EQ(drops, 3);
  /* The mpsc receiver slot (not owned by any task here) still holds the
   * last poller's waker: that one task's storage waits for it. */
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);
  nx_mpsc_rx_close(&mrx);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  NX_CHECK_EQ_U(stats.frees, stats.allocs);
  /* After shutdown: services are gone, handles still behave. */
  NX_CHECK_RC(nx_shutdown_handle(ex, &(nx_shutdown *){NULL}), NX_ESHUTDOWN);
  nx_shutdown_trigger(sh);
  NX_CHECK_EQ(nx_shutdown_is_triggered(sh), 1);
  nx_shutdown_release(sh);
  nx_cancel_token_cancel(tok);
  nx_cancel_token_release(tok);
  nx_local_tx_close(&ltx);
  nx_local_rx_close(&lrx);
  nx_mpsc_tx_close(&mtx);
  nx_executor_destroy(ex);
  for (int i = 0; i < 3; i++) close(rfd[i]);
  close(pfd[0]);
  close(pfd[1]);
  return 0;
}

/* A cx is valid only inside the poll it was passed to. Every service poll
 * function called with a cx kept past its poll (from the task's drop
 * function, and from top level between cycles) returns NX_EINVAL and
 * registers nothing; it used to register an empty waker and report
 * NX_PENDING forever (a task that would never be woken). One list of calls,
 * run from both places. */
#include "svc_test.h"

static nx_cx *kept;
static nx_executor *ex;
static int rows_run;

typedef struct {
  nx_yield y;
  nx_sleep s;
  nx_timeout to;
  nx_interval iv;
  nx_io io;
  nx_local_tx ltx;
  nx_local_rx lrx;
  nx_local_send lsend;
  nx_mpsc_tx mtx;
  nx_mpsc_rx mrx;
  nx_mpsc_send msend;
  nx_spsc_tx stx;
  nx_spsc_rx srx;
  nx_spsc_send ssend;
  nx_cancel_token *tok;
  nx_cancel_wait cw;
  nx_join join;
  int pfd[2], v, out;
  size_t n;
  char buf[8];
} futs;
static futs F;

#define STALE_CX_CALLS(X)                                                   \
  X(yield, nx_yield_poll(&F.y, kept))                                       \
  X(sleep, nx_sleep_poll(&F.s, kept))                                       \
  X(timeout, nx_timeout_poll(&F.to, kept, NX_PENDING))                      \
  X(interval, nx_interval_tick_poll(&F.iv, kept))                           \
  X(io_readable, nx_io_poll_readable(&F.io, kept))                          \
  X(io_read, nx_io_read_poll(&F.io, kept, F.buf, sizeof F.buf, &F.n))      \
  X(local_recv, nx_local_recv_poll(&F.lrx, kept, &F.out))                   \
  X(local_send, nx_local_send_poll(&F.lsend, kept))                         \
  X(mpsc_recv, nx_mpsc_recv_poll(&F.mrx, kept, &F.out))                     \
  X(mpsc_send, nx_mpsc_send_poll(&F.msend, kept))                           \
  X(spsc_recv, nx_spsc_recv_poll(&F.srx, kept, &F.out))                     \
  X(spsc_send, nx_spsc_send_poll(&F.ssend, kept))                           \
  X(cancel_wait, nx_cancel_wait_poll(&F.cw, kept))                          \
  X(join, nx_join_poll(&F.join, kept, NULL, 0))

static void run_rows(void) {
#define ROW(name, expr)                                                                 \
  {                                                                                     \
    int rc_ = (expr);                                                                   \
    if (rc_ != NX_EINVAL)                                                               \
      nx_test_fail(__FILE__, __LINE__, "%s with a kept cx returned %s, expected NX_EINVAL", \
                   #name, nx_poll_name(rc_));                                           \
  }
  STALE_CX_CALLS(ROW)
#undef ROW
  rows_run++;
}

static nx_poll keeper_poll(void *s, nx_cx *cx) {
  (void)s;
  kept = cx;
  return NX_PENDING;
}
static void keeper_drop(void *s) {
  (void)s;
  run_rows();
}

int main(void) {
  nx_test_start();
  ex = svc_executor();
  /* Every future initialized and usable (empty channels: a poll would wait). */
  NX_CHECK_OK(nx_yield_init(&F.y));
  NX_CHECK_OK(nx_sleep_init(&F.s, ex, 1000000000));
  NX_CHECK_OK(nx_timeout_init(&F.to, ex, 1000000000));
  NX_CHECK_OK(nx_interval_init(&F.iv, ex, 1000000000));
  NX_CHECK(pipe(F.pfd) == 0);
  svc_set_nonblocking(F.pfd[0]);
  NX_CHECK_OK(nx_io_register(&F.io, ex, F.pfd[0], NX_IO_READ));
  nx_io_clear_readable(&F.io);
  NX_CHECK_OK(nx_local_chan_create(1, sizeof(int), NULL, &F.ltx, &F.lrx));
  NX_CHECK_OK(nx_local_try_send(&F.ltx, &F.v)); /* full: a send would wait */
  NX_CHECK_OK(nx_local_send_init(&F.lsend, &F.ltx, &F.v));
  NX_CHECK_OK(nx_mpsc_create(1, sizeof(int), NULL, &F.mtx, &F.mrx));
  NX_CHECK_OK(nx_mpsc_send_init(&F.msend, &F.mtx, &F.v));
  NX_CHECK_OK(nx_spsc_create(1, sizeof(int), NULL, &F.stx, &F.srx));
  NX_CHECK_OK(nx_spsc_send_init(&F.ssend, &F.stx, &F.v));
  NX_CHECK_OK(nx_cancel_token_create(&F.tok));
  NX_CHECK_OK(nx_cancel_wait_init(&F.cw, F.tok));
  nx_probe pending = {0};
  NX_CHECK_OK(nx_probe_spawn(ex, 0, &pending, 0, 0, 0, NULL, &F.join));

  nx_task_id id;
  nx_future_desc d = {keeper_poll, keeper_drop, 0, 0, 0};
  NX_CHECK_OK(nx_spawn(ex, &d, NULL, &id, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 2);
  NX_CHECK(kept != NULL);
  run_rows();                    /* top level, between cycles */
  NX_CHECK_OK(nx_cancel(ex, id)); /* its drop function */
  NX_CHECK_EQ(rows_run, 2);

  nx_sleep_drop(&F.s);
  nx_timeout_drop(&F.to);
  nx_interval_drop(&F.iv);
  nx_io_drop(&F.io);
  close(F.pfd[0]);
  close(F.pfd[1]);
  nx_local_send_drop(&F.lsend);
  nx_local_tx_close(&F.ltx);
  nx_local_rx_close(&F.lrx);
  nx_mpsc_send_drop(&F.msend);
  nx_mpsc_tx_close(&F.mtx);
  nx_mpsc_rx_close(&F.mrx);
  nx_spsc_send_drop(&F.ssend);
  nx_spsc_tx_close(&F.stx);
  nx_spsc_rx_close(&F.srx);
  nx_cancel_wait_drop(&F.cw);
  nx_cancel_token_release(F.tok);
  nx_join_detach(&F.join);
  nx_executor_destroy(ex);
  return 0;
}

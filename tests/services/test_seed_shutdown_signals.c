/* Opt-in signal handling: after nx_shutdown_signals_install, SIGTERM (and
 * SIGINT) trigger the executor's shutdown instead of killing the process,
 * and the tasks awaiting it finish. Only one executor may own the signals.
 * SPEC 9.16 (seed: signal handlers are never unregistered): removal, and
 * executor shutdown, restore the handlers that were there before. */
#include "nx_test.h"
#include "svc_test.h"

static int finished;
static nx_shutdown *sh;
static volatile sig_atomic_t prev_handler_ran;

static void prev_handler(int sig) {
  (void)sig;
  prev_handler_ran++;
}

typedef struct {
  nx_shutdown_wait w;
  int inited;
} waiter;

static nx_poll waiter_poll(void *p, nx_cx *cx) {
  waiter *s = p;
  if (!s->inited) {
    s->inited = 1;
    NX_CHECK_OK(nx_shutdown_wait_init(&s->w, sh));
    /* Registered with the executor now: deliver the signal. */
    raise(SIGTERM);
  }
  if (nx_shutdown_wait_poll(&s->w, cx) == NX_PENDING) return NX_PENDING;
  finished++;
  return NX_READY;
}

static void waiter_drop(void *p) { nx_shutdown_wait_drop(&((waiter *)p)->w); }

static void check_handler_is_prev(int sig) {
  struct sigaction cur;
  NX_CHECK(sigaction(sig, NULL, &cur) == 0);
  NX_CHECK(cur.sa_handler == prev_handler);
}

int main(void) {
  nx_test_start();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = prev_handler;
  NX_CHECK(sigaction(SIGTERM, &sa, NULL) == 0);
  NX_CHECK(sigaction(SIGINT, &sa, NULL) == 0);

  nx_executor *ex = svc_executor(), *other = svc_executor();
  NX_CHECK_RC(nx_shutdown_signals_remove(ex), NX_EINVAL); /* not installed */
  NX_CHECK_OK(nx_shutdown_signals_install(ex));
  NX_CHECK_RC(nx_shutdown_signals_install(other), NX_EBUSY);
  NX_CHECK_OK(nx_shutdown_handle(ex, &sh));
  nx_future_desc d = NX_FUTURE(waiter, waiter_poll, waiter_drop);
  NX_CHECK_OK(nx_spawn(ex, &d, NULL, NULL, NULL));
  NX_CHECK_OK(nx_spawn(ex, &d, NULL, NULL, NULL));
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  NX_CHECK_EQ(finished, 2);
  NX_CHECK_EQ(nx_shutdown_is_triggered(sh), 1);
  NX_CHECK_EQ(prev_handler_ran, 0);

  /* Removal restores the previous handlers; the other executor may now own
   * the signals; its shutdown restores them too. */
  NX_CHECK_OK(nx_shutdown_signals_remove(ex));
  check_handler_is_prev(SIGTERM);
  check_handler_is_prev(SIGINT);
  raise(SIGINT);
  NX_CHECK_EQ(prev_handler_ran, 1);
  NX_CHECK_OK(nx_shutdown_signals_install(other));
  NX_CHECK_OK(nx_executor_shutdown(other));
  check_handler_is_prev(SIGTERM);
  check_handler_is_prev(SIGINT);
  NX_CHECK_RC(nx_shutdown_signals_install(other), NX_ESHUTDOWN);
  NX_CHECK_RC(nx_shutdown_signals_install(NULL), NX_EINVAL);
  nx_executor_destroy(other);
  nx_shutdown_release(sh);
  nx_executor_destroy(ex);
  return 0;
}

/* SPEC 9.11 (seed: ShutdownSignal registers no waker; only the root future
 * is re-polled once shutdown is triggered, so spawned tasks awaiting it
 * hang). Here ten spawned tasks (none of them a root) await the executor's
 * shutdown handle; another thread triggers it; all ten wake and finish, and
 * nx_run returns. A task that starts waiting after the trigger is ready at
 * once. */
#include "nx_test.h"
#include "svc_test.h"

#define TASKS 10

static nx_shutdown *sh;
static int finished;
static atomic_int waiting;

typedef struct {
  nx_shutdown_wait w;
  int inited;
} waiter;

static nx_poll waiter_poll(void *p, nx_cx *cx) {
  waiter *s = p;
  if (!s->inited) {
    s->inited = 1;
    NX_CHECK_OK(nx_shutdown_wait_init(&s->w, sh));
  }
  int rc = nx_shutdown_wait_poll(&s->w, cx);
  if (rc == NX_PENDING) {
    atomic_fetch_add(&waiting, 1);
    return NX_PENDING;
  }
  NX_CHECK_RC(rc, NX_READY);
  finished++;
  return NX_READY;
}

static void waiter_drop(void *p) { nx_shutdown_wait_drop(&((waiter *)p)->w); }

static void *trigger_thread(void *arg) {
  nx_shutdown *h = arg; /* this thread's own reference */
  while (atomic_load(&waiting) < TASKS) sched_yield();
  nx_shutdown_trigger(h);
  nx_shutdown_release(h);
  return NULL;
}

int main(void) {
  nx_test_start();
  nx_executor *ex = svc_executor();
  NX_CHECK_OK(nx_shutdown_handle(ex, &sh));
  nx_shutdown *h2;
  NX_CHECK_OK(nx_shutdown_handle(ex, &h2));
  NX_CHECK_PTR_EQ(h2, sh); /* one per executor */
  NX_CHECK_EQ(nx_shutdown_is_triggered(sh), 0);
  nx_future_desc d = NX_FUTURE(waiter, waiter_poll, waiter_drop);
  for (int i = 0; i < TASKS; i++) NX_CHECK_OK(nx_spawn(ex, &d, NULL, NULL, NULL));
  pthread_t th;
  NX_CHECK(pthread_create(&th, NULL, trigger_thread, h2) == 0);
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  pthread_join(th, NULL);
  NX_CHECK_EQ(finished, TASKS);
  NX_CHECK_EQ(nx_shutdown_is_triggered(sh), 1);
  NX_CHECK_OK(nx_spawn(ex, &d, NULL, NULL, NULL));
  NX_CHECK_EQ(nx_test_run_idle(ex), 1);
  NX_CHECK_EQ(finished, TASKS + 1);

  nx_shutdown_wait w;
  NX_CHECK_RC(nx_shutdown_handle(NULL, &h2), NX_EINVAL);
  NX_CHECK_RC(nx_shutdown_handle(ex, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_shutdown_wait_init(&w, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_shutdown_wait_poll(NULL, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_shutdown_retain(NULL), NX_EINVAL);
  NX_CHECK_EQ(nx_shutdown_is_triggered(NULL), 0);
  nx_shutdown_trigger(NULL);
  nx_shutdown_release(NULL);
  nx_shutdown_wait_drop(NULL);
  nx_shutdown_release(sh);
  nx_executor_destroy(ex);
  return 0;
}

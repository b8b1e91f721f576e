/* NULL and empty wakers: wake, wake_by_ref and drop are no-ops; clone is
 * NX_EINVAL (nothing written on error); will_wake with a NULL is 0. The
 * borrowed waker from nx_cx_waker names the polled task. */
#include "nx_test.h"

static nx_waker seen;
static nx_poll peek_poll(void *s, nx_cx *cx) {
  (void)s;
  seen = nx_cx_waker(cx);
  return NX_READY;
}

int main(void) {
  nx_test_start();
  nx_waker empty = {NULL};
  nx_waker out = {(nx_task *)&out};
  nx_waker_wake(NULL);
  nx_waker_wake(&empty);
  nx_waker_wake_by_ref(NULL);
  nx_waker_wake_by_ref(&empty);
  nx_waker_drop(NULL);
  nx_waker_drop(&empty);
  NX_CHECK(empty.task == NULL);
  NX_CHECK_RC(nx_waker_clone(NULL, &out), NX_EINVAL);
  NX_CHECK_RC(nx_waker_clone(&empty, &out), NX_EINVAL);
  NX_CHECK(out.task == (nx_task *)&out);
  NX_CHECK_EQ(nx_waker_will_wake(NULL, NULL), 0);
  NX_CHECK_EQ(nx_waker_will_wake(NULL, &empty), 0);

  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_future_desc d = {peek_poll, NULL, 0, 0, 0};
  NX_CHECK_OK(nx_spawn(ex, &d, NULL, NULL, NULL));
  nx_waker w = {NULL};
  NX_CHECK_RC(nx_waker_clone(&w, NULL), NX_EINVAL);
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK(seen.task != NULL);
  nx_executor_destroy(ex);
  return 0;
}

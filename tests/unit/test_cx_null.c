/* The poll-context accessors answer a NULL cx as nxrt.h documents: an empty
 * waker, a no-op wake, NULL output and executor, NX_TASK_ID_NONE; and
 * nx_waker_will_wake compares empty wakers equal and NULL pointers unequal. */
#include "nx_test.h"

int main(void) {
  nx_test_start();
  nx_waker w = nx_cx_waker(NULL);
  NX_CHECK(w.task == NULL);
  nx_cx_wake(NULL); /* no-op, no crash */
  NX_CHECK(nx_cx_output(NULL) == NULL);
  NX_CHECK(nx_cx_executor(NULL) == NULL);
  NX_CHECK(nx_cx_task_id(NULL) == NX_TASK_ID_NONE);
  nx_waker a = {NULL}, b = {NULL};
  NX_CHECK_EQ(nx_waker_will_wake(&a, &b), 1);
  NX_CHECK_EQ(nx_waker_will_wake(NULL, &b), 0);
  NX_CHECK_EQ(nx_waker_will_wake(&a, NULL), 0);
  NX_CHECK(nx_executor_live_tasks(NULL) == 0);
  NX_CHECK(nx_executor_allocated_tasks(NULL) == 0);
  NX_CHECK(nx_executor_slab(NULL) == NULL);
  nx_executor_unpark(NULL);
  NX_CHECK(nx_slab_alloc(NULL) == NULL);
  NX_CHECK(nx_slab_in_use(NULL) == 0 && nx_slab_capacity(NULL) == 0);
  NX_CHECK(nx_slab_allocator(NULL) == NULL);
  return 0;
}

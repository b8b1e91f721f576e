/* Seed defect 6 (SPEC §9.6): the seed's 16-bit refcount panicked at 65,535
 * clones. Here 100,000 clones of one waker (more than 2^16) are held at
 * once, each woken or dropped; the task is polled once per cycle however
 * many wakes, and its storage goes exactly when the last clone goes. */
#include "nx_test.h"

enum { N = 100000 };

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_executor *ex = nx_test_executor(0, 0, &counting, NULL);
  nx_waker *clones = calloc(N, sizeof *clones);
  NX_CHECK(clones != NULL);

  nx_probe p = {0};
  NX_CHECK_OK(nx_probe_spawn(ex, 0, &p, 3, 0, 1, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  for (int i = 0; i < N; i++) NX_CHECK_OK(nx_waker_clone(i ? &clones[i - 1] : &p.waker, &clones[i]));

  /* Half of them woken (consumed): one poll. */
  for (int i = 0; i < N / 2; i++) nx_waker_wake(&clones[i]);
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(p.polls, 2);
  /* The other half by reference: one more poll, which completes it. */
  for (int i = N / 2; i < N; i++) nx_waker_wake_by_ref(&clones[i]);
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(p.polls, 3);
  NX_CHECK_EQ(p.readies, 1);
  NX_CHECK_EQ(p.drops, 1);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);
  for (int i = N / 2; i < N; i++) {
    nx_waker_drop(&clones[i]);
    if (st.frees != 0) nx_test_fail(__FILE__, __LINE__, "freed after dropping clone %d", i);
  }
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);
  nx_waker_drop(&p.waker);
  NX_CHECK_EQ_U(st.frees, 1);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  free(clones);
  nx_executor_destroy(ex);
  return 0;
}

/* Seed defect 8c (SPEC §9.8c): the seed's slab tasks freed through a
 * thread-local slab that was gone by teardown (panic). Here: slab tasks live
 * at destroy are dropped once each and their slots returned; a slab zombie
 * whose waker outlives nx_executor_destroy keeps the slab alive until that
 * waker is dropped (no use-after-free under ASan, no leak under valgrind). */
#include "nx_test.h"

enum { N = 16 };

int main(void) {
  nx_test_start();
  for (int mode = NX_SLAB_BOUNDED; mode <= NX_SLAB_UNBOUNDED; mode++) {
    nx_slab_config sc;
    NX_CHECK_OK(nx_slab_config_init(&sc));
    sc.capacity = 8; /* unbounded: grows past the first chunk */
    sc.mode = (nx_slab_mode)mode;
    if (mode == NX_SLAB_BOUNDED) sc.capacity = 2 * N + 4;
    nx_executor *ex = nx_test_executor(0, 0, NULL, &sc);
    nx_slab *slab = nx_executor_slab(ex);
    nx_probe pending[N] = {{0}}, queued[N] = {{0}}, zombie = {0}, live_held = {0};

    for (int i = 0; i < N; i++) NX_CHECK_OK(nx_probe_spawn(ex, 1, &pending[i], 0, 0, 0, NULL, NULL));
    NX_CHECK_OK(nx_probe_spawn(ex, 1, &zombie, 1, 0, 1, NULL, NULL));
    NX_CHECK_OK(nx_probe_spawn(ex, 1, &live_held, 0, 0, 1, NULL, NULL));
    NX_CHECK_EQ(nx_run_once(ex), N + 2);
    for (int i = 0; i < N; i++) NX_CHECK_OK(nx_probe_spawn(ex, 1, &queued[i], 0, 0, 0, NULL, NULL));
    NX_CHECK_EQ_U(nx_slab_in_use(slab), 2 * N + 2);

    /* Shutdown first, to look at the slab before destroy. */
    NX_CHECK_OK(nx_executor_shutdown(ex));
    for (int i = 0; i < N; i++) {
      NX_CHECK_EQ(pending[i].drops, 1);
      NX_CHECK_EQ(queued[i].drops, 1);
      NX_CHECK_EQ(queued[i].polls, 0);
    }
    NX_CHECK_EQ(live_held.drops, 1);
    NX_CHECK_EQ(zombie.drops, 1);
    NX_CHECK_EQ_U(nx_slab_in_use(slab), 2); /* only the two slots wakers hold */
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 2);
    nx_executor_destroy(ex);

    nx_waker_wake_by_ref(&zombie.waker);
    nx_waker_drop(&zombie.waker);
    nx_waker_wake(&live_held.waker); /* the last reference: frees slot, slab, executor */
    NX_CHECK_EQ(zombie.polls, 1);
    NX_CHECK_EQ(live_held.polls, 1);
  }
  return 0;
}

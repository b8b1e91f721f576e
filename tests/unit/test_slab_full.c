/* A bounded slab that is full makes nx_spawn_slab / nx_reserve return
 * NX_ESLABFULL and lose nothing: no id or join written, the tasks already
 * there keep running, and once one of them completes the slot is spawnable
 * again. nx_spawn (the allocator) is unaffected by the slab being full. */
#include "nx_test.h"

enum { CAP = 4 };

int main(void) {
  nx_test_start();
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  sc.capacity = CAP;
  sc.mode = NX_SLAB_BOUNDED;
  nx_executor *ex = nx_test_executor(0, 0, NULL, &sc);
  nx_slab *slab = nx_executor_slab(ex);
  NX_CHECK_EQ_U(nx_slab_capacity(slab), CAP);

  nx_probe p[CAP] = {{0}};
  for (int i = 0; i < CAP; i++) NX_CHECK_OK(nx_probe_spawn(ex, 1, &p[i], 2, 0, 1, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(ex), CAP);
  NX_CHECK_EQ_U(nx_slab_in_use(slab), CAP);

  nx_probe extra = {0};
  nx_task_id id = 4242;
  nx_join j = {(nx_task *)&j};
  for (int attempt = 0; attempt < 3; attempt++) {
    NX_CHECK_RC(nx_probe_spawn(ex, 1, &extra, 1, 0, 0, &id, &j), NX_ESLABFULL);
    NX_CHECK_EQ_U(id, 4242);
    NX_CHECK(j.task == (nx_task *)&j);
    nx_future_desc d = nx_probe_desc();
    nx_reservation r;
    NX_CHECK_RC(nx_reserve(ex, NX_RESERVE_SLAB, &d, &r), NX_ESLABFULL);
    NX_CHECK(r.task == NULL && r.state == NULL);
  }
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), CAP);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), CAP);
  NX_CHECK_EQ_U(nx_slab_in_use(slab), CAP);
  /* The allocator path still works while the slab is full. */
  nx_probe heap = {0};
  NX_CHECK_OK(nx_probe_spawn(ex, 0, &heap, 1, 0, 0, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(heap.readies, 1);
  NX_CHECK_EQ(extra.polls, 0);

  /* Nothing was lost: the existing tasks all run to completion. */
  nx_waker_wake(&p[0].waker);
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(p[0].readies, 1);
  NX_CHECK_EQ_U(nx_slab_in_use(slab), CAP - 1);
  /* One slot free again: exactly one spawn fits. */
  NX_CHECK_OK(nx_probe_spawn(ex, 1, &extra, 1, 0, 0, &id, NULL));
  NX_CHECK(id != 4242);
  nx_probe extra2 = {0};
  NX_CHECK_RC(nx_probe_spawn(ex, 1, &extra2, 1, 0, 0, NULL, NULL), NX_ESLABFULL);
  for (int i = 1; i < CAP; i++) nx_waker_wake(&p[i].waker);
  NX_CHECK_EQ(nx_run_once(ex), CAP);
  for (int i = 0; i < CAP; i++) {
    NX_CHECK_EQ(p[i].polls, 2);
    NX_CHECK_EQ(p[i].readies, 1);
    NX_CHECK_EQ(p[i].drops, 1);
  }
  NX_CHECK_EQ(extra.readies, 1);
  NX_CHECK_EQ(extra2.polls, 0);
  NX_CHECK_EQ_U(nx_slab_in_use(slab), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  nx_executor_destroy(ex);
  return 0;
}

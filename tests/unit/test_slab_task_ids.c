/* A task in the executor's bounded slab has the id entry of its slot:
 * ids name slots 0..capacity-1 (for any slot size, a power of two or not),
 * an id goes stale when its task is freed, also when the same slot is
 * reused at once; cancel, join handles, reservations, slots the user takes
 * through nx_executor_slab(), tasks outside the slab (ids above the slab's,
 * the table growing) and shutdown all work beside them; the counts agree.
 * An unbounded slab's tasks take ids like any other task. */
#include "nx_test.h"

enum { CAP = 6 };

static nx_executor *slab_executor(size_t slot_size, uint32_t capacity, nx_slab_mode mode) {
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  sc.slot_size = slot_size;
  sc.capacity = capacity;
  sc.mode = mode;
  return nx_test_executor(0, 0, NULL, &sc);
}

static uint32_t id_slot(nx_task_id id) { return (uint32_t)id; }

/* Every slot once, in order (a fresh slab hands out slots in address
 * order); then a freed slot reused at once gets the same index and a new
 * generation, and the old id is stale. */
static void ids_are_slots(size_t slot_size) {
  nx_executor *ex = slab_executor(slot_size, CAP, NX_SLAB_BOUNDED);
  nx_probe p[CAP] = {{0}};
  nx_task_id id[CAP];
  for (int i = 0; i < CAP; i++) {
    NX_CHECK_OK(nx_probe_spawn(ex, 1, &p[i], 0, 0, 0, &id[i], NULL));
    NX_CHECK_EQ_U(id_slot(id[i]), (unsigned)i);
    NX_CHECK(id[i] != NX_TASK_ID_NONE);
  }
  NX_CHECK_EQ(nx_run_once(ex), CAP);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), CAP);

  NX_CHECK_OK(nx_cancel(ex, id[3]));
  NX_CHECK_EQ(p[3].drops, 1);
  NX_CHECK_RC(nx_cancel(ex, id[3]), NX_ESTALE);
  nx_probe again = {0};
  nx_task_id reused;
  NX_CHECK_OK(nx_probe_spawn(ex, 1, &again, 1, 0, 0, &reused, NULL));
  NX_CHECK_EQ_U(id_slot(reused), 3);
  NX_CHECK(reused != id[3]);
  NX_CHECK_RC(nx_cancel(ex, id[3]), NX_ESTALE);
  NX_CHECK_EQ(again.polls, 0);
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_EQ(again.readies, 1);
  NX_CHECK_RC(nx_cancel(ex, reused), NX_ESTALE);
  /* Ids of slots never used, and past the table, are stale too. */
  NX_CHECK_RC(nx_cancel(ex, ((nx_task_id)1 << 32) | 3), NX_ESTALE);
  NX_CHECK_RC(nx_cancel(ex, ((nx_task_id)1 << 32) | 1000000), NX_ESTALE);
  for (int i = 0; i < CAP; i++)
    if (i != 3) NX_CHECK_OK(nx_cancel(ex, id[i]));
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  NX_CHECK_EQ_U(nx_slab_in_use(nx_executor_slab(ex)), 0);
  nx_executor_destroy(ex);
}

/* Slots the user takes keep their (unused) entries; the executor's tasks
 * use the others, and the user's slot once it is given back. */
static void user_slots(void) {
  nx_executor *ex = slab_executor(256, CAP, NX_SLAB_BOUNDED);
  nx_slab *slab = nx_executor_slab(ex);
  void *mine = nx_slab_alloc(slab); /* slot 0 */
  NX_CHECK(mine != NULL);
  nx_probe p[CAP] = {{0}};
  nx_task_id id[CAP];
  for (int i = 1; i < CAP; i++) {
    NX_CHECK_OK(nx_probe_spawn(ex, 1, &p[i], 0, 0, 0, &id[i], NULL));
    NX_CHECK_EQ_U(id_slot(id[i]), (unsigned)i);
  }
  nx_probe extra = {0};
  NX_CHECK_RC(nx_probe_spawn(ex, 1, &extra, 1, 0, 0, NULL, NULL), NX_ESLABFULL);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), CAP - 1);
  NX_CHECK_EQ_U(nx_slab_in_use(slab), CAP); /* the tasks' slots and the user's */
  NX_CHECK_RC(nx_cancel(ex, ((nx_task_id)1 << 32) | 0), NX_ESTALE);
  nx_slab_free(slab, mine);
  nx_task_id id0;
  NX_CHECK_OK(nx_probe_spawn(ex, 1, &extra, 1, 0, 0, &id0, NULL));
  NX_CHECK_EQ_U(id_slot(id0), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), CAP);
  NX_CHECK_EQ(nx_run_once(ex), CAP);
  NX_CHECK_EQ(extra.readies, 1);
  /* Shutdown finds every slab task still pending. */
  nx_executor_shutdown(ex);
  for (int i = 1; i < CAP; i++) NX_CHECK_EQ(p[i].drops, 1);
  NX_CHECK_EQ_U(nx_slab_in_use(slab), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  nx_executor_destroy(ex);
}

/* Tasks outside the slab take ids above the slab's, through table growth,
 * mixed with slab tasks, joins and reservations; shutdown with all kinds. */
static void mixed(void) {
  enum { HEAP = 300 };
  nx_executor *ex = slab_executor(192, CAP, NX_SLAB_BOUNDED);
  nx_probe heap[HEAP] = {{0}};
  nx_task_id hid[HEAP];
  for (int i = 0; i < HEAP; i++) {
    NX_CHECK_OK(nx_probe_spawn(ex, 0, &heap[i], i % 2 ? 1 : 0, 0, 0, &hid[i], NULL));
    NX_CHECK(id_slot(hid[i]) >= CAP);
    if (i % 50 == 0) {
      nx_probe s = {0};
      nx_task_id sid;
      NX_CHECK_OK(nx_probe_spawn(ex, 1, &s, 1, 0, 0, &sid, NULL));
      NX_CHECK(id_slot(sid) < CAP);
      NX_CHECK_EQ(nx_test_run_idle(ex) >= 1, 1);
      NX_CHECK_EQ(s.readies, 1);
      NX_CHECK_RC(nx_cancel(ex, sid), NX_ESTALE);
    }
  }
  /* the pending ones (even) are alive together: distinct entries */
  for (int i = 0; i < HEAP; i += 2)
    for (int k = i + 2; k < HEAP; k += 2) NX_CHECK(id_slot(hid[i]) != id_slot(hid[k]));
  nx_test_run_idle(ex);
  for (int i = 0; i < HEAP; i++) {
    if (i % 2) NX_CHECK_RC(nx_cancel(ex, hid[i]), NX_ESTALE);
    else NX_CHECK_OK(nx_cancel(ex, hid[i]));
  }
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);

  /* A joined slab task: its id and handle, output through the join. */
  nx_probe jp = {0};
  nx_task_id jid;
  nx_join j;
  NX_CHECK_OK(nx_probe_spawn(ex, 1, &jp, 1, 0, 0, &jid, &j));
  NX_CHECK(id_slot(jid) < CAP);
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_RC(nx_cancel(ex, jid), NX_EALREADY); /* held by the handle */
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);
  NX_CHECK_EQ(nx_join_try(&j, NULL, 0), NX_READY);
  NX_CHECK_RC(nx_cancel(ex, jid), NX_ESTALE);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);

  /* A reservation in the slab has its slot's entry, but no id until it is
   * committed; an aborted one leaves the slot free. */
  nx_future_desc d = nx_probe_desc();
  nx_reservation r1, r2;
  NX_CHECK_OK(nx_reserve(ex, NX_RESERVE_SLAB, &d, &r1));
  NX_CHECK_OK(nx_reserve(ex, NX_RESERVE_SLAB, &d, &r2));
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 2);
  nx_reserve_abort(&r2);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);
  nx_probe rp = {0};
  *(nx_probe_fut *)r1.state = (nx_probe_fut){&rp, 0, 0, 1};
  nx_task_id rid;
  NX_CHECK_OK(nx_reserve_commit(&r1, &rid, NULL));
  NX_CHECK(id_slot(rid) < CAP);
  NX_CHECK_EQ(nx_run_once(ex), 1);
  /* Shutdown: a pending slab task whose waker is still held (an orphan
   * after shutdown), a pending heap task, a reservation never committed. */
  nx_probe hp = {0};
  NX_CHECK_OK(nx_probe_spawn(ex, 0, &hp, 0, 0, 0, NULL, NULL));
  NX_CHECK_OK(nx_reserve(ex, NX_RESERVE_SLAB, &d, &r2));
  NX_CHECK_OK(nx_executor_shutdown(ex));
  NX_CHECK_EQ(rp.drops, 1);
  NX_CHECK_EQ(hp.drops, 1);
  NX_CHECK_EQ_U(nx_executor_held_tasks(ex), 1);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);
  nx_waker_drop(&rp.waker);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  nx_executor_destroy(ex);
}

/* An unbounded slab: ids from the table's free list, as for the heap. */
static void unbounded(void) {
  nx_executor *ex = slab_executor(256, 4, NX_SLAB_UNBOUNDED);
  nx_probe p[100] = {{0}};
  nx_task_id id[100];
  for (int i = 0; i < 100; i++) NX_CHECK_OK(nx_probe_spawn(ex, 1, &p[i], 0, 0, 0, &id[i], NULL));
  NX_CHECK_EQ(nx_test_run_idle(ex), 100);
  for (int i = 0; i < 100; i++) NX_CHECK_OK(nx_cancel(ex, id[i]));
  for (int i = 0; i < 100; i++) NX_CHECK_RC(nx_cancel(ex, id[i]), NX_ESTALE);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  nx_executor_destroy(ex);
}

int main(void) {
  nx_test_start();
  ids_are_slots(128);
  ids_are_slots(192);  /* 3 * 64: not a power of two */
  ids_are_slots(320);  /* 5 * 64 */
  ids_are_slots(4096);
  user_slots();
  mixed();
  unbounded();
  return 0;
}

/* Every spawn shape works through nx_spawn and nx_spawn_slab, and through
 * nx_spawn_prepared and nx_spawn_slab_prepared of a prepared future,
 * whichever internal path takes it (the common shape, a detached task with
 * no output and alignment <= 16, takes a shorter one than joinable,
 * output-carrying, over-aligned tasks and spawns that grow the id table or
 * ready ring): the id handed out is the task's own, the state is copied or
 * zeroed and aligned as asked, and each misuse gets the same code from all
 * four (a prepared future's argument errors from nx_future_prepare). A
 * prepared future that nx_future_prepare did not fill is NX_EINVAL. */
#include "nx_test.h"

#include <stdalign.h>
#include <string.h>

typedef struct shape_fut {
  alignas(16) uint64_t tag;
  nx_task_id id_seen;
  uintptr_t addr;
} shape_fut;

typedef struct wide_fut {
  alignas(64) uint64_t tag;
  nx_task_id id_seen;
  uintptr_t addr;
} wide_fut;

static int polls;

static nx_poll shape_poll(void *state, nx_cx *cx) {
  shape_fut *f = state;
  f->id_seen = nx_cx_task_id(cx);
  f->addr = (uintptr_t)state;
  polls++;
  uint64_t *out = nx_cx_output(cx);
  if (out) *out = f->tag * 2;
  return f->tag == 0 ? NX_PENDING : NX_READY;
}

/* mode bit 0: the slab; bit 1: through a prepared future. */
static int spawn(nx_executor *ex, int mode, const nx_future_desc *d, const void *init,
                 nx_task_id *id, nx_join *join) {
  int slab = mode & 1;
  if (mode & 2) {
    nx_prepared_future pf;
    int rc = nx_future_prepare(d, &pf);
    if (rc != NX_OK) return rc;
    nx_prepared_future copy = pf; /* a copy works as well */
    return slab ? nx_spawn_slab_prepared(ex, &copy, init, id, join)
                : nx_spawn_prepared(ex, &copy, init, id, join);
  }
  return slab ? nx_spawn_slab(ex, d, init, id, join) : nx_spawn(ex, d, init, id, join);
}

/* One task of `d`: spawned, polled once, its id and state checked. */
static void check_one(nx_executor *ex, int mode, const nx_future_desc *d, uint64_t tag) {
  shape_fut init = {.tag = tag};
  nx_task_id id = NX_TASK_ID_NONE;
  nx_join join = {0};
  int joinable = d->output_size != 0;
  NX_CHECK_OK(spawn(ex, mode, d, &init, &id, joinable ? &join : NULL));
  NX_CHECK(id != NX_TASK_ID_NONE);
  int before = polls;
  NX_CHECK(nx_run_once(ex) >= 1);
  NX_CHECK_EQ(polls, before + 1);
  if (joinable) {
    uint64_t out = 0;
    NX_CHECK_EQ(nx_join_try(&join, &out, sizeof out), NX_READY);
    NX_CHECK_EQ_U(out, tag * 2);
  }
}

static nx_task_id seen_id;
static uintptr_t seen_addr;
static uint64_t seen_tag;

static nx_poll record_poll(void *state, nx_cx *cx) {
  shape_fut *f = state;
  seen_id = nx_cx_task_id(cx);
  seen_addr = (uintptr_t)state;
  seen_tag = f->tag;
  polls++;
  return NX_READY;
}

/* For a future with no state at all. */
static nx_poll id_poll(void *state, nx_cx *cx) {
  (void)state;
  seen_id = nx_cx_task_id(cx);
  polls++;
  return NX_READY;
}

static void check_id_and_state(nx_executor *ex, int mode, const nx_future_desc *d, size_t align,
                               int with_init) {
  wide_fut init = {.tag = 0xabcdef}; /* as big as any desc here; tag first in all */
  NX_CHECK(d->size <= sizeof init);
  nx_task_id id = NX_TASK_ID_NONE;
  NX_CHECK_OK(spawn(ex, mode, d, with_init ? &init : NULL, &id, NULL));
  NX_CHECK(nx_run_once(ex) >= 1);
  NX_CHECK_EQ_U(seen_id, id);
  NX_CHECK_EQ_U(seen_tag, with_init ? 0xabcdefu : 0u);
  NX_CHECK_EQ_U(seen_addr % align, 0);
  /* Completed and freed: the id is stale now. */
  NX_CHECK_EQ(nx_cancel(ex, id), NX_ESTALE);
}

int main(void) {
  nx_test_start();
  for (int mode = 0; mode <= 3; mode++) {
    int slab = mode & 1;
    nx_slab_config sc;
    NX_CHECK_OK(nx_slab_config_init(&sc));
    sc.capacity = 400;
    /* ready_capacity 4: the ring must grow while the table grows too. */
    nx_executor *ex = nx_test_executor(0, 4, NULL, slab ? &sc : NULL);

    nx_future_desc plain = NX_FUTURE(shape_fut, record_poll, NULL);
    nx_future_desc wide = NX_FUTURE(wide_fut, record_poll, NULL);
    nx_future_desc tiny = {record_poll, NULL, sizeof(shape_fut), 1, 0};
    nx_future_desc none = {id_poll, NULL, 0, 0, 0};
    for (int with_init = 0; with_init <= 1; with_init++) {
      check_id_and_state(ex, mode, &plain, 16, with_init);
      check_id_and_state(ex, mode, &tiny, 16, with_init);
      check_id_and_state(ex, mode, &wide, 64, with_init);
    }
    nx_task_id id0 = NX_TASK_ID_NONE;
    NX_CHECK_OK(spawn(ex, mode, &none, NULL, &id0, NULL));
    NX_CHECK(nx_run_once(ex) >= 1);
    NX_CHECK_EQ_U(seen_id, id0);

    /* Output and join handle: the longer path. */
    nx_future_desc out = NX_FUTURE_OUT(shape_fut, shape_poll, NULL, uint64_t);
    check_one(ex, mode, &out, 21);
    /* Output without a join handle (detached): written, then freed. */
    shape_fut oinit = {.tag = 5};
    nx_task_id oid = NX_TASK_ID_NONE;
    NX_CHECK_OK(spawn(ex, mode, &out, &oinit, &oid, NULL));
    NX_CHECK(nx_run_once(ex) >= 1);
    NX_CHECK_EQ(nx_cancel(ex, oid), NX_ESTALE);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
    /* A join handle of a future with no output. */
    nx_task_id jid = NX_TASK_ID_NONE;
    nx_join jn = {0};
    shape_fut jinit = {.tag = 9};
    NX_CHECK_OK(spawn(ex, mode, &plain, &jinit, &jid, &jn));
    NX_CHECK(nx_run_once(ex) >= 1);
    NX_CHECK_EQ_U(seen_id, jid);
    NX_CHECK_EQ(nx_join_try(&jn, NULL, 0), NX_READY);

    /* 300 pending tasks: the id table (64 entries at first) and the ring
     * (4) grow during the spawns; every id is distinct and cancels its own
     * task. */
    enum { N = 300 };
    static nx_task_id ids[N];
    nx_future_desc pend = NX_FUTURE(shape_fut, shape_poll, NULL);
    for (int i = 0; i < N; i++) NX_CHECK_OK(spawn(ex, mode, &pend, NULL, &ids[i], NULL));
    NX_CHECK_EQ_U(nx_executor_live_tasks(ex), N);
    int before = polls;
    while (polls - before < N) NX_CHECK(nx_run_once(ex) >= 0);
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < i; j++) NX_CHECK(ids[i] != ids[j]);
      NX_CHECK_OK(nx_cancel(ex, ids[i]));
      NX_CHECK_EQ(nx_cancel(ex, ids[i]), NX_ESTALE);
    }
    NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);

    /* Misuse: the same code through both entry points. */
    nx_future_desc nopoll = {NULL, NULL, 8, 0, 0};
    nx_future_desc badalign = {record_poll, NULL, 8, 3, 0};
    nx_future_desc toowide = {record_poll, NULL, 8, 128, 0};
    NX_CHECK_EQ(spawn(NULL, mode, &plain, NULL, NULL, NULL), NX_EINVAL);
    NX_CHECK_EQ(spawn(ex, mode, NULL, NULL, NULL, NULL), NX_EINVAL);
    NX_CHECK_EQ(spawn(ex, mode, &nopoll, NULL, NULL, NULL), NX_EINVAL);
    NX_CHECK_EQ(spawn(ex, mode, &badalign, NULL, NULL, NULL), NX_EALIGN);
    NX_CHECK_EQ(spawn(ex, mode, &toowide, NULL, NULL, NULL), NX_EALIGN);
    nx_future_desc huge = {record_poll, NULL, (size_t)1 << 41, 0, 0};
    NX_CHECK_EQ(spawn(ex, mode, &huge, NULL, NULL, NULL), NX_EINVAL);
    if (slab) {
      nx_future_desc big = {record_poll, NULL, 4096, 0, 0}; /* > the 256-byte slot */
      NX_CHECK_EQ(spawn(ex, mode, &big, NULL, NULL, NULL), NX_E2BIG);
    }
    NX_CHECK_OK(nx_executor_shutdown(ex));
    NX_CHECK_EQ(spawn(ex, mode, &plain, NULL, NULL, NULL), NX_ESHUTDOWN);
    nx_executor_destroy(ex);
  }
  /* A slab without room: NX_ESLABFULL, then room again after a free. */
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  sc.capacity = 2;
  nx_executor *ex = nx_test_executor(0, 0, NULL, &sc);
  nx_future_desc plain = NX_FUTURE(shape_fut, record_poll, NULL);
  NX_CHECK_OK(nx_spawn_slab(ex, &plain, NULL, NULL, NULL));
  NX_CHECK_OK(nx_spawn_slab(ex, &plain, NULL, NULL, NULL));
  NX_CHECK_EQ(nx_spawn_slab(ex, &plain, NULL, NULL, NULL), NX_ESLABFULL);
  NX_CHECK_EQ(nx_run_once(ex), 2);
  NX_CHECK_OK(nx_spawn_slab(ex, &plain, NULL, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK_OK(spawn(ex, 3, &plain, NULL, NULL, NULL));
  NX_CHECK_OK(spawn(ex, 3, &plain, NULL, NULL, NULL));
  NX_CHECK_EQ(spawn(ex, 3, &plain, NULL, NULL, NULL), NX_ESLABFULL);
  NX_CHECK_EQ(nx_run_once(ex), 2);

  /* Prepared futures that are not: never prepared (zeroed), a failed
   * preparation, NULL; and NULL arguments of nx_future_prepare. */
  nx_prepared_future zero;
  memset(&zero, 0, sizeof zero);
  NX_CHECK_EQ(nx_spawn_prepared(ex, &zero, NULL, NULL, NULL), NX_EINVAL);
  NX_CHECK_EQ(nx_spawn_slab_prepared(ex, &zero, NULL, NULL, NULL), NX_EINVAL);
  nx_prepared_future pf;
  NX_CHECK_OK(nx_future_prepare(&plain, &pf));
  nx_future_desc badalign = {record_poll, NULL, 8, 3, 0};
  NX_CHECK_EQ(nx_future_prepare(&badalign, &pf), NX_EALIGN);
  NX_CHECK_EQ(nx_spawn_prepared(ex, &pf, NULL, NULL, NULL), NX_EINVAL);
  NX_CHECK_EQ(nx_spawn_slab_prepared(ex, &pf, NULL, NULL, NULL), NX_EINVAL);
  NX_CHECK_EQ(nx_spawn_prepared(ex, NULL, NULL, NULL, NULL), NX_EINVAL);
  NX_CHECK_EQ(nx_spawn_slab_prepared(ex, NULL, NULL, NULL, NULL), NX_EINVAL);
  NX_CHECK_OK(nx_future_prepare(&plain, &pf));
  NX_CHECK_EQ(nx_spawn_prepared(NULL, &pf, NULL, NULL, NULL), NX_EINVAL);
  NX_CHECK_EQ(nx_future_prepare(NULL, &pf), NX_EINVAL);
  NX_CHECK_EQ(nx_spawn_prepared(ex, &pf, NULL, NULL, NULL), NX_EINVAL);
  NX_CHECK_EQ(nx_future_prepare(&plain, NULL), NX_EINVAL);
  nx_future_desc bigout = {record_poll, NULL, 8, 0, 65536};
  NX_CHECK_EQ(nx_future_prepare(&bigout, &pf), NX_EINVAL);
  nx_future_desc toobig = {record_poll, NULL, (size_t)1 << 33, 0, 0};
  NX_CHECK_EQ(nx_future_prepare(&toobig, &pf), NX_E2BIG);
  NX_CHECK_EQ(nx_spawn_prepared(ex, &pf, NULL, NULL, NULL), NX_EINVAL);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  NX_CHECK_EQ_U(nx_slab_in_use(nx_executor_slab(ex)), 0);
  nx_executor_destroy(ex);
  return 0;
}

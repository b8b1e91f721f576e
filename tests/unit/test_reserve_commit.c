/* Two-phase spawn: nx_reserve hands out zeroed storage to construct the
 * future in place (the pointer the poll function later receives), and
 * nx_reserve_commit queues it, with an id and a join handle. */
#include "nx_test.h"

typedef struct {
  int built_in_place;
  void *self;         /* where the constructor put it */
  int64_t value;
} inplace_fut;

static int polls;

static nx_poll inplace_poll(void *state, nx_cx *cx) {
  inplace_fut *f = state;
  polls++;
  if (f->self != state) nx_test_fail(__FILE__, __LINE__, "state moved: %p vs %p", f->self, state);
  *(int64_t *)nx_cx_output(cx) = f->value * f->built_in_place;
  return NX_READY;
}

int main(void) {
  nx_test_start();
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  nx_executor *ex = nx_test_executor(0, 0, NULL, &sc);
  nx_future_desc d = NX_FUTURE_OUT(inplace_fut, inplace_poll, NULL, int64_t);

  const unsigned flag_sets[] = {NX_RESERVE_JOINABLE, NX_RESERVE_JOINABLE | NX_RESERVE_SLAB};
  for (int k = 0; k < 2; k++) {
    nx_reservation r;
    NX_CHECK_OK(nx_reserve(ex, flag_sets[k], &d, &r));
    NX_CHECK(r.task != NULL);
    NX_CHECK(r.state != NULL);
    NX_CHECK_ALIGNED(r.state, _Alignof(inplace_fut));
    /* Zeroed storage. */
    inplace_fut zero;
    memset(&zero, 0, sizeof zero);
    NX_CHECK(memcmp(r.state, &zero, sizeof zero) == 0);
    /* Reserved is not live yet, but it holds a slot. */
    NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);
    NX_CHECK_EQ_U(nx_slab_in_use(nx_executor_slab(ex)), (flag_sets[k] & NX_RESERVE_SLAB) ? 1 : 0);

    inplace_fut *f = r.state; /* construct in place */
    f->built_in_place = 1;
    f->self = f;
    f->value = 100 + k;

    nx_task_id id = NX_TASK_ID_NONE;
    nx_join j = {0};
    NX_CHECK_OK(nx_reserve_commit(&r, &id, &j));
    NX_CHECK(r.task == NULL && r.state == NULL); /* the reservation is used up */
    NX_CHECK(id != NX_TASK_ID_NONE);
    NX_CHECK_EQ_U(nx_join_id(&j), id);
    NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 1);
    /* Committing a used-up reservation again is an error, not a second task. */
    NX_CHECK_RC(nx_reserve_commit(&r, NULL, NULL), NX_EINVAL);

    NX_CHECK_EQ(nx_run_once(ex), 1);
    int64_t out = 0;
    NX_CHECK_RC(nx_join_try(&j, &out, sizeof out), NX_READY);
    NX_CHECK_EQ(out, 100 + k);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
    NX_CHECK_EQ_U(nx_slab_in_use(nx_executor_slab(ex)), 0);
  }

  /* A join_out for a reservation made without NX_RESERVE_JOINABLE (of a
   * future without output, so nothing else gives it a join block): NX_EINVAL
   * and the reservation is kept. */
  nx_reservation r;
  nx_join j = {0};
  nx_future_desc no_out = NX_FUTURE(inplace_fut, inplace_poll, NULL);
  NX_CHECK_OK(nx_reserve(ex, 0, &no_out, &r));
  inplace_fut *f = r.state;
  f->self = f;
  NX_CHECK_RC(nx_reserve_commit(&r, NULL, &j), NX_EINVAL);
  NX_CHECK(r.task != NULL && r.state == (void *)f);
  NX_CHECK(j.task == NULL);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
  /* Kept means still held: abort it (this poll function writes an output). */
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);
  nx_reserve_abort(&r);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);

  NX_CHECK_EQ(polls, 2);
  nx_executor_destroy(ex);
  return 0;
}

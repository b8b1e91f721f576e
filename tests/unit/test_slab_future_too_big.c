/* A future (plus its join block and output) that does not fit a slab slot
 * is NX_E2BIG from nx_spawn_slab / nx_reserve(NX_RESERVE_SLAB), with nothing
 * allocated; the largest one that fits is accepted. The exact boundary
 * follows the task layout in runtime/src/task.h: a 64-byte header, the
 * state rounded to 16, then (joinable) a 16-byte join block header and the
 * output rounded to 16. The allocator path takes the big future. */
#include "nx_test.h"

#include "task.h"

static int polls;
static nx_poll fill_poll(void *s, nx_cx *cx) {
  (void)cx;
  (void)s;
  polls++;
  return NX_READY;
}

int main(void) {
  nx_test_start();
  _Static_assert(NX_TASK_HEADER_SIZE == 64, "the boundaries below assume a 64-byte header");
  _Static_assert(sizeof(nx_join_block) == 16, "and a 16-byte join block header");
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  sc.slot_size = 256;
  nx_executor *ex = nx_test_executor(0, 0, NULL, &sc);
  nx_slab *slab = nx_executor_slab(ex);
  size_t slot = nx_slab_slot_size(slab);
  NX_CHECK_EQ_U(slot, 256);
  size_t max_state = slot - NX_TASK_HEADER_SIZE; /* 192 */
  nx_task_id id = 5;

  nx_future_desc fits = {fill_poll, NULL, max_state, 16, 0};
  NX_CHECK_OK(nx_spawn_slab(ex, &fits, NULL, NULL, NULL));
  nx_future_desc big = {fill_poll, NULL, max_state + 1, 16, 0};
  NX_CHECK_RC(nx_spawn_slab(ex, &big, NULL, &id, NULL), NX_E2BIG);
  NX_CHECK_EQ_U(id, 5);
  nx_reservation r;
  NX_CHECK_RC(nx_reserve(ex, NX_RESERVE_SLAB, &big, &r), NX_E2BIG);
  NX_CHECK(r.task == NULL);
  nx_future_desc huge = {fill_poll, NULL, 1 << 20, 16, 0};
  NX_CHECK_RC(nx_spawn_slab(ex, &huge, NULL, NULL, NULL), NX_E2BIG);

  /* With an output (joinable or not: a detached task gets an output buffer
   * too), state + 16 + output must fit what is left. */
  nx_join j;
  nx_future_desc jfits = {fill_poll, NULL, max_state - 32, 16, 16};
  NX_CHECK_OK(nx_spawn_slab(ex, &jfits, NULL, NULL, &j));
  nx_future_desc jbig = {fill_poll, NULL, max_state - 32, 16, 17};
  nx_join j2 = {NULL};
  NX_CHECK_RC(nx_spawn_slab(ex, &jbig, NULL, NULL, &j2), NX_E2BIG);
  NX_CHECK(j2.task == NULL);
  NX_CHECK_RC(nx_spawn_slab(ex, &jbig, NULL, NULL, NULL), NX_E2BIG);
  NX_CHECK_RC(nx_reserve(ex, NX_RESERVE_SLAB | NX_RESERVE_JOINABLE, &jbig, &r), NX_E2BIG);
  /* Without an output, only a join handle needs the 16-byte join block. */
  nx_future_desc nout = {fill_poll, NULL, max_state, 16, 0};
  NX_CHECK_RC(nx_spawn_slab(ex, &nout, NULL, NULL, &j2), NX_E2BIG);
  NX_CHECK_RC(nx_reserve(ex, NX_RESERVE_SLAB | NX_RESERVE_JOINABLE, &nout, &r), NX_E2BIG);
  NX_CHECK_OK(nx_spawn_slab(ex, &nout, NULL, NULL, NULL));

  NX_CHECK_EQ_U(nx_slab_in_use(slab), 3);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 3);
  /* The allocator has no slot limit. */
  NX_CHECK_OK(nx_spawn(ex, &huge, NULL, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 4);
  NX_CHECK_EQ(polls, 4);
  NX_CHECK_RC(nx_join_try(&j, NULL, 0), NX_READY);
  NX_CHECK_EQ_U(nx_slab_in_use(slab), 0);
  nx_executor_destroy(ex);
  return 0;
}

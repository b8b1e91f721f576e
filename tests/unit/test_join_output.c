/* A join handle delivers the task's output to the caller: nx_join_try is
 * NX_PENDING until the task completes, then NX_READY with min(out_size,
 * output_size) bytes copied (out may be NULL), and the handle is consumed
 * (empty; its id NX_TASK_ID_NONE; a second try NX_EINVAL). The handle keeps
 * the completed task's storage until it is consumed. */
#include "nx_test.h"

typedef struct { uint8_t bytes[24]; } out24;
typedef struct { uint8_t seed; int ready_on; int polls; } gen_fut;

static nx_poll gen_poll(void *s, nx_cx *cx) {
  gen_fut *f = s;
  if (++f->polls < f->ready_on) {
    nx_cx_wake(cx);
    return NX_PENDING;
  }
  out24 *o = nx_cx_output(cx);
  for (int i = 0; i < 24; i++) o->bytes[i] = (uint8_t)(f->seed + i);
  return NX_READY;
}

int main(void) {
  nx_test_start();
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  nx_executor *ex = nx_test_executor(0, 0, NULL, &sc);
  nx_future_desc d = NX_FUTURE_OUT(gen_fut, gen_poll, NULL, out24);

  for (int slab = 0; slab <= 1; slab++) {
    /* Full copy, after a few pending polls. */
    gen_fut f = {10, 3, 0};
    nx_join j;
    nx_task_id id;
    NX_CHECK_OK(slab ? nx_spawn_slab(ex, &d, &f, &id, &j) : nx_spawn(ex, &d, &f, &id, &j));
    NX_CHECK_EQ_U(nx_join_id(&j), id);
    out24 out;
    memset(&out, 0xEE, sizeof out);
    NX_CHECK_RC(nx_join_try(&j, &out, sizeof out), NX_PENDING);
    NX_CHECK_EQ(nx_run_once(ex), 1);
    NX_CHECK_EQ(nx_run_once(ex), 1);
    NX_CHECK_RC(nx_join_try(&j, &out, sizeof out), NX_PENDING);
    NX_CHECK_EQ(out.bytes[0], 0xEE); /* untouched while pending */
    NX_CHECK_EQ(nx_run_once(ex), 1);
    NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1); /* held by the handle */
    NX_CHECK_EQ_U(nx_join_id(&j), id);
    NX_CHECK_RC(nx_join_try(&j, &out, sizeof out), NX_READY);
    for (int i = 0; i < 24; i++) NX_CHECK_EQ(out.bytes[i], 10 + i);
    NX_CHECK(j.task == NULL);
    NX_CHECK_EQ_U(nx_join_id(&j), NX_TASK_ID_NONE);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
    NX_CHECK_RC(nx_join_try(&j, &out, sizeof out), NX_EINVAL);

    /* A smaller buffer gets a prefix; the bytes after it are untouched. */
    gen_fut g = {50, 1, 0};
    NX_CHECK_OK(slab ? nx_spawn_slab(ex, &d, &g, NULL, &j) : nx_spawn(ex, &d, &g, NULL, &j));
    NX_CHECK_EQ(nx_run_once(ex), 1);
    uint8_t small[8];
    memset(small, 0xEE, sizeof small);
    NX_CHECK_RC(nx_join_try(&j, small, 5), NX_READY);
    for (int i = 0; i < 5; i++) NX_CHECK_EQ(small[i], 50 + i);
    NX_CHECK_EQ(small[5], 0xEE);

    /* A bigger buffer gets output_size bytes only. */
    uint8_t big[40];
    memset(big, 0xEE, sizeof big);
    NX_CHECK_OK(slab ? nx_spawn_slab(ex, &d, &g, NULL, &j) : nx_spawn(ex, &d, &g, NULL, &j));
    NX_CHECK_EQ(nx_run_once(ex), 1);
    NX_CHECK_RC(nx_join_try(&j, big, sizeof big), NX_READY);
    NX_CHECK_EQ(big[23], 50 + 23);
    NX_CHECK_EQ(big[24], 0xEE);

    /* out NULL: completion only. */
    NX_CHECK_OK(slab ? nx_spawn_slab(ex, &d, &g, NULL, &j) : nx_spawn(ex, &d, &g, NULL, &j));
    NX_CHECK_EQ(nx_run_once(ex), 1);
    NX_CHECK_RC(nx_join_try(&j, NULL, 24), NX_READY);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  }
  NX_CHECK_EQ_U(nx_slab_in_use(nx_executor_slab(ex)), 0);
  nx_executor_destroy(ex);
  return 0;
}

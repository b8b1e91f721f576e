/* A future ready on its first poll completes in that same cycle: its output
 * is there, its drop_fn ran once, its slot is freed (malloc and slab). */
#include "nx_test.h"

typedef struct { int64_t value; } answer_fut;

static nx_poll answer_poll(void *state, nx_cx *cx) {
  int64_t *out = nx_cx_output(cx);
  if (out == NULL) nx_test_fail(__FILE__, __LINE__, "no output buffer");
  *out = ((answer_fut *)state)->value;
  return NX_READY;
}

int main(void) {
  nx_test_start();
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  nx_executor *ex = nx_test_executor(0, 0, NULL, &sc);
  nx_future_desc d = NX_FUTURE_OUT(answer_fut, answer_poll, NULL, int64_t);
  for (int slab = 0; slab <= 1; slab++) {
    nx_join j = {0};
    answer_fut f = {40 + slab};
    NX_CHECK_OK(slab ? nx_spawn_slab(ex, &d, &f, NULL, &j) : nx_spawn(ex, &d, &f, NULL, &j));
    NX_CHECK_EQ(nx_run_once(ex), 1);
    NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
    int64_t out = 0;
    NX_CHECK_RC(nx_join_try(&j, &out, sizeof out), NX_READY);
    NX_CHECK_EQ(out, 40 + slab);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
    NX_CHECK_EQ_U(nx_slab_in_use(nx_executor_slab(ex)), 0);
  }
  nx_executor_destroy(ex);
  return 0;
}

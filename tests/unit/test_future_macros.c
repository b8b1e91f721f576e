/* NX_FUTURE and NX_FUTURE_OUT fill a descriptor from the state type: size
 * and alignment of the type, output size of the output type, and a future
 * spawned through them works end to end. */
#include "nx_test.h"

#include <stdalign.h>

typedef struct {
  char c;
  alignas(32) double wide;
} odd_state;

typedef struct { int64_t a, b; } pair_out;

static nx_poll odd_poll(void *s, nx_cx *cx) {
  NX_CHECK_ALIGNED(s, 32);
  pair_out *o = nx_cx_output(cx);
  if (o != NULL) {
    o->a = ((odd_state *)s)->c;
    o->b = (int64_t)((odd_state *)s)->wide;
  }
  return NX_READY;
}
static int drops;
static void odd_drop(void *s) {
  (void)s;
  drops++;
}

int main(void) {
  nx_test_start();
  nx_future_desc d = NX_FUTURE(odd_state, odd_poll, odd_drop);
  NX_CHECK(d.poll == odd_poll);
  NX_CHECK(d.drop == odd_drop);
  NX_CHECK_EQ_U(d.size, sizeof(odd_state));
  NX_CHECK_EQ_U(d.align, 32);
  NX_CHECK_EQ_U(d.output_size, 0);

  nx_future_desc o = NX_FUTURE_OUT(odd_state, odd_poll, NULL, pair_out);
  NX_CHECK(o.poll == odd_poll);
  NX_CHECK(o.drop == NULL);
  NX_CHECK_EQ_U(o.size, sizeof(odd_state));
  NX_CHECK_EQ_U(o.align, _Alignof(odd_state));
  NX_CHECK_EQ_U(o.output_size, sizeof(pair_out));

  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  odd_state init = {'x', 12.0};
  NX_CHECK_OK(nx_spawn(ex, &d, &init, NULL, NULL));
  nx_join j = {0};
  NX_CHECK_OK(nx_spawn(ex, &o, &init, NULL, &j));
  NX_CHECK_EQ(nx_run_once(ex), 2);
  pair_out out = {0, 0};
  NX_CHECK_RC(nx_join_try(&j, &out, sizeof out), NX_READY);
  NX_CHECK_EQ(out.a, 'x');
  NX_CHECK_EQ(out.b, 12);
  NX_CHECK_EQ(drops, 1);
  nx_executor_destroy(ex);
  return 0;
}

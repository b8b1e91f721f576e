/* nxrt.h documents nx_cx_output() as "Where to write the output before
 * returning NX_READY (NULL if the future was spawned with output_size 0)",
 * and nx_spawn's "a NULL join_out detaches". So a future with an output is
 * handed an output buffer even when spawned detached (its output is then
 * discarded), exactly as when its join handle was detached later; and one
 * spawned with output_size 0 gets NULL. */
#include "nx_test.h"

static int polls;
static void *seen_output;

typedef struct { int unused; } out_fut;
static nx_poll out_poll(void *s, nx_cx *cx) {
  (void)s;
  polls++;
  seen_output = nx_cx_output(cx);
  if (seen_output != NULL) *(int64_t *)seen_output = 1; /* writable */
  return NX_READY;
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_future_desc with = NX_FUTURE_OUT(out_fut, out_poll, NULL, int64_t);
  nx_future_desc without = NX_FUTURE(out_fut, out_poll, NULL);

  /* output_size 0: NULL, with or without a handle. */
  nx_join j;
  NX_CHECK_OK(nx_spawn(ex, &without, NULL, NULL, &j));
  seen_output = &j;
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK(seen_output == NULL);
  NX_CHECK_RC(nx_join_try(&j, NULL, 0), NX_READY);
  NX_CHECK_OK(nx_spawn(ex, &without, NULL, NULL, NULL));
  seen_output = &j;
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK(seen_output == NULL);

  /* output_size 8 with a handle, detached before the poll: a buffer. */
  NX_CHECK_OK(nx_spawn(ex, &with, NULL, NULL, &j));
  nx_join_detach(&j);
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK(seen_output != NULL);

  /* output_size 8 spawned detached (join_out NULL): a buffer too. */
  seen_output = NULL;
  NX_CHECK_OK(nx_spawn(ex, &with, NULL, NULL, NULL));
  NX_CHECK_EQ(nx_run_once(ex), 1);
  NX_CHECK(seen_output != NULL);
  NX_CHECK_EQ(polls, 4);
  nx_executor_destroy(ex);
  return 0;
}

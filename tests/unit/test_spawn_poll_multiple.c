/* Several spawned tasks are polled once each, in spawn (FIFO) order, and
 * nx_run returns once all of them completed. */
#include "nx_test.h"

enum { N = 50 };
static int order[N];
static int n_polled;

typedef struct { int index; } ordered_fut;

static nx_poll ordered_poll(void *state, nx_cx *cx) {
  (void)cx;
  order[n_polled++] = ((ordered_fut *)state)->index;
  return NX_READY;
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_future_desc d = NX_FUTURE(ordered_fut, ordered_poll, NULL);
  nx_task_id ids[N];
  for (int i = 0; i < N; i++) {
    ordered_fut f = {i};
    NX_CHECK_OK(nx_spawn(ex, &d, &f, &ids[i], NULL));
    for (int j = 0; j < i; j++) NX_CHECK(ids[j] != ids[i]); /* ids are distinct */
  }
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), N);
  NX_CHECK_OK(nx_run(ex, NX_RUN_BUSY));
  NX_CHECK_EQ(n_polled, N);
  for (int i = 0; i < N; i++) NX_CHECK_EQ(order[i], i);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);

  /* Again with nx_run in parked mode: nothing sleeps while work is queued. */
  n_polled = 0;
  for (int i = 0; i < N; i++) {
    ordered_fut f = {i};
    NX_CHECK_OK(nx_spawn(ex, &d, &f, NULL, NULL));
  }
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  NX_CHECK_EQ(n_polled, N);
  for (int i = 0; i < N; i++) NX_CHECK_EQ(order[i], i);
  nx_executor_destroy(ex);
  return 0;
}

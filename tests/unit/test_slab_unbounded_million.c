/* Unbounded slab growth to 1,000,000 tasks and back: 1M pending tasks
 * spawned on an unbounded slab (it grows chunk by chunk), all completed,
 * then the executor and the slab report zero in use; a second million
 * reuses the slots (the slab does not grow again). */
#include "nx_test.h"

enum { N = 1000000 };

static nx_waker *wakers;
static long polls, drops;

typedef struct { uint32_t index; uint32_t polled; } idx_fut;

/* First poll: leave a clone of the waker and wait; second poll: done. */
static nx_poll idx_poll(void *s, nx_cx *cx) {
  idx_fut *f = s;
  polls++;
  if (f->polled++ == 0) {
    nx_waker self = nx_cx_waker(cx);
    if (nx_waker_clone(&self, &wakers[f->index]) != NX_OK) nx_test_fail(__FILE__, __LINE__, "clone");
    return NX_PENDING;
  }
  return NX_READY;
}
static void idx_drop(void *s) {
  (void)s;
  drops++;
}

static void one_million(nx_executor *ex) {
  nx_future_desc d = NX_FUTURE(idx_fut, idx_poll, idx_drop);
  polls = drops = 0;
  for (uint32_t i = 0; i < N; i++) {
    idx_fut f = {i, 0};
    int rc = nx_spawn_slab(ex, &d, &f, NULL, NULL);
    if (rc != NX_OK) nx_test_fail(__FILE__, __LINE__, "spawn %u: %s", i, nx_err_name(rc));
  }
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), N);
  NX_CHECK_EQ_U(nx_slab_in_use(nx_executor_slab(ex)), N);
  NX_CHECK_EQ(nx_test_run_idle(ex), N);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), N);
  for (uint32_t i = 0; i < N; i++) nx_waker_wake(&wakers[i]);
  NX_CHECK_EQ(nx_test_run_idle(ex), N);
  NX_CHECK_EQ(polls, 2L * N);
  NX_CHECK_EQ(drops, N);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  NX_CHECK_EQ_U(nx_slab_in_use(nx_executor_slab(ex)), 0);
}

int main(void) {
  nx_test_start();
  wakers = calloc(N, sizeof *wakers);
  NX_CHECK(wakers != NULL);
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  sc.mode = NX_SLAB_UNBOUNDED;
  sc.slot_size = 128;  /* 64 header + 8 state fit */
  sc.capacity = 4096;  /* slots per chunk */
  nx_executor *ex = nx_test_executor(1024, 0, NULL, &sc);
  nx_slab *slab = nx_executor_slab(ex);
  size_t cap0 = nx_slab_capacity(slab);
  NX_CHECK(cap0 < N);

  one_million(ex);
  size_t grown = nx_slab_capacity(slab);
  NX_CHECK(grown >= N);
  NX_CHECK_EQ_U(grown % 4096, 0);
  NX_CHECK(grown < N + 4096); /* grew by chunks, as needed */

  one_million(ex);
  NX_CHECK_EQ_U(nx_slab_capacity(slab), grown); /* reused, no growth */
  nx_executor_destroy(ex);
  free(wakers);
  return 0;
}

/* The ready queue grows with the number of tasks, so a wake never fails:
 * with ready_capacity 4, 10,000 tasks that each wake themselves twice all
 * run to completion (3 polls each), both when spawned up front and when
 * spawned from inside a poll while the queue is mid-cycle and wrapped. */
#include "nx_test.h"

enum { N = 10000 };
static unsigned char polls[N];
static long total_polls;

typedef struct { int index; } child_fut;
static nx_poll child_poll(void *s, nx_cx *cx) {
  int i = ((child_fut *)s)->index;
  total_polls++;
  if (++polls[i] < 3) {
    nx_cx_wake(cx);
    return NX_PENDING;
  }
  return NX_READY;
}

typedef struct { int next; } spawner_fut;
static nx_poll spawner_poll(void *s, nx_cx *cx) {
  spawner_fut *sp = s;
  nx_future_desc d = NX_FUTURE(child_fut, child_poll, NULL);
  for (int k = 0; k < 100 && sp->next < N; k++) {
    child_fut c = {sp->next++};
    int rc = nx_spawn(nx_cx_executor(cx), &d, &c, NULL, NULL);
    if (rc != NX_OK) nx_test_fail(__FILE__, __LINE__, "spawn: %s", nx_err_name(rc));
  }
  if (sp->next == N) return NX_READY;
  nx_cx_wake(cx);
  return NX_PENDING;
}

static void check_all(nx_executor *ex) {
  for (int i = 0; i < N; i++)
    if (polls[i] != 3) nx_test_fail(__FILE__, __LINE__, "task %d polled %d times", i, polls[i]);
  NX_CHECK_EQ(total_polls, 3L * N);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(64, 4, NULL, NULL);
  nx_future_desc d = NX_FUTURE(child_fut, child_poll, NULL);
  for (int i = 0; i < N; i++) {
    child_fut c = {i};
    NX_CHECK_OK(nx_spawn(ex, &d, &c, NULL, NULL));
  }
  NX_CHECK_OK(nx_run(ex, NX_RUN_BUSY));
  check_all(ex);
  nx_executor_destroy(ex);

  /* Grown from inside polls, with a few long-lived self-wakers keeping the
   * ring's head moving so it wraps. */
  memset(polls, 0, sizeof polls);
  total_polls = 0;
  ex = nx_test_executor(3, 4, NULL, NULL);
  nx_probe spinners[2] = {{0}};
  for (int i = 0; i < 2; i++) NX_CHECK_OK(nx_probe_spawn(ex, 0, &spinners[i], 500, 1, 0, NULL, NULL));
  nx_future_desc sd = NX_FUTURE(spawner_fut, spawner_poll, NULL);
  NX_CHECK_OK(nx_spawn(ex, &sd, NULL, NULL, NULL));
  NX_CHECK_OK(nx_run(ex, NX_RUN_BUSY));
  check_all(ex);
  for (int i = 0; i < 2; i++) NX_CHECK_EQ(spinners[i].readies, 1);
  nx_executor_destroy(ex);
  return 0;
}

/* Seed defect 9 (SPEC §9.9): with more continuously-ready tasks than
 * tasks_per_cycle, the seed re-queued the leftovers behind the newly woken
 * tasks and never polled the tail. Here 200 always-self-waking tasks under
 * tasks_per_cycle 64 are polled round robin: after every cycle the poll
 * counts differ by at most one, and the global poll order is exactly
 * 0,1,...,199,0,1,... */
#include "nx_test.h"

enum { N = 200, CYCLES = 100 };
static int polls[N];
static long order_errors, total;

typedef struct { int index; } spin_fut;

static nx_poll spin_poll(void *s, nx_cx *cx) {
  int i = ((spin_fut *)s)->index;
  if (total % N != i) order_errors++;
  total++;
  polls[i]++;
  nx_cx_wake(cx);
  return NX_PENDING;
}

static void run_fairness(uint32_t tasks_per_cycle) {
  memset(polls, 0, sizeof polls);
  order_errors = total = 0;
  nx_executor *ex = nx_test_executor(tasks_per_cycle, 0, NULL, NULL);
  nx_future_desc d = NX_FUTURE(spin_fut, spin_poll, NULL);
  for (int i = 0; i < N; i++) {
    spin_fut f = {i};
    NX_CHECK_OK(nx_spawn(ex, &d, &f, NULL, NULL));
  }
  for (int c = 1; c <= CYCLES; c++) {
    NX_CHECK_EQ(nx_run_once(ex), (int)tasks_per_cycle);
    int lo = polls[0], hi = polls[0];
    for (int i = 1; i < N; i++) {
      if (polls[i] < lo) lo = polls[i];
      if (polls[i] > hi) hi = polls[i];
    }
    if (hi - lo > 1)
      nx_test_fail(__FILE__, __LINE__, "tasks_per_cycle %u, cycle %d: polls range %d..%d",
                   tasks_per_cycle, c, lo, hi);
    /* Everyone has had a turn once N polls were made. */
    if ((long)c * tasks_per_cycle >= N) NX_CHECK(lo >= 1);
  }
  NX_CHECK_EQ(total, (long)CYCLES * tasks_per_cycle);
  NX_CHECK_EQ(order_errors, 0);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), N);
  nx_executor_destroy(ex);
}

int main(void) {
  nx_test_start();
  run_fairness(64);
  run_fairness(1);
  run_fairness(199);
  run_fairness(7);
  return 0;
}

/* Seed defect 8 (SPEC §9.8): executor teardown. Destroying an executor with
 * live tasks drops every future exactly once and frees every slot exactly
 * once: tasks queued and never polled, tasks pending with no waker held,
 * tasks that woke themselves, and tasks whose drop_fn wakes OTHER tasks
 * being torn down (§9.8e) or spawns (refused: shutting down). */
#include "nx_test.h"

enum { PER_KIND = 10 };

static int drops_total;

typedef struct {
  int index;
  int *drops;
  nx_waker other;   /* a clone of another task's waker, woken from drop_fn */
  nx_executor *ex;  /* spawn from drop_fn */
} waking_fut;

static waking_fut *waking_states[PER_KIND];
static nx_waker waking_wakers[PER_KIND];

/* First poll: publish where the state lives and a clone of the waker. */
static nx_poll waking_poll(void *s, nx_cx *cx) {
  waking_fut *f = s;
  nx_waker self = nx_cx_waker(cx);
  waking_states[f->index] = f;
  NX_CHECK_OK(nx_waker_clone(&self, &waking_wakers[f->index]));
  return NX_PENDING;
}
static void waking_drop(void *s) {
  waking_fut *f = s;
  (*f->drops)++;
  drops_total++;
  nx_waker_wake(&f->other);
  nx_future_desc d = NX_FUTURE(waking_fut, waking_poll, NULL);
  int rc = nx_spawn(f->ex, &d, NULL, NULL, NULL);
  if (rc != NX_ESHUTDOWN)
    nx_test_fail(__FILE__, __LINE__, "spawn from drop_fn at shutdown: %s", nx_err_name(rc));
}

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_executor *ex = nx_test_executor(0, 0, &counting, NULL);
  nx_probe never_polled[PER_KIND] = {{0}}, waiting[PER_KIND] = {{0}}, spinning[PER_KIND] = {{0}};
  int waking_drops[PER_KIND] = {0};

  for (int i = 0; i < PER_KIND; i++) {
    NX_CHECK_OK(nx_probe_spawn(ex, 0, &waiting[i], 0, 0, 0, NULL, NULL));
    NX_CHECK_OK(nx_probe_spawn(ex, 0, &spinning[i], 0, 1, 0, NULL, NULL));
  }
  NX_CHECK_EQ(nx_run_once(ex), 2 * PER_KIND);

  /* Tasks whose drop_fn wakes the next one's waker (a ring: the woken task
   * may already be dropped, or not yet) and tries to spawn. */
  nx_future_desc wd = NX_FUTURE(waking_fut, waking_poll, waking_drop);
  for (int i = 0; i < PER_KIND; i++) {
    waking_fut f = {i, &waking_drops[i], {NULL}, ex};
    NX_CHECK_OK(nx_spawn(ex, &wd, &f, NULL, NULL));
  }
  NX_CHECK_EQ(nx_run_once(ex), PER_KIND + PER_KIND); /* spinners again + the new ones */
  for (int i = 0; i < PER_KIND; i++) {
    NX_CHECK(waking_states[i] != NULL);
    waking_states[i]->other = waking_wakers[(i + 1) % PER_KIND];  /* hand the clone over */
  }

  /* Queued, never polled. */
  for (int i = 0; i < PER_KIND; i++)
    NX_CHECK_OK(nx_probe_spawn(ex, 0, &never_polled[i], 0, 0, 0, NULL, NULL));

  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 4 * PER_KIND);
  NX_CHECK_EQ_U(st.allocs, 4 * PER_KIND);
  nx_executor_destroy(ex);

  for (int i = 0; i < PER_KIND; i++) {
    NX_CHECK_EQ(never_polled[i].drops, 1);
    NX_CHECK_EQ(never_polled[i].polls, 0);
    NX_CHECK_EQ(waiting[i].polls, 1);
    NX_CHECK_EQ(waiting[i].drops, 1);
    NX_CHECK_EQ(spinning[i].drops, 1);
    NX_CHECK_EQ(waking_drops[i], 1);
  }
  NX_CHECK_EQ(drops_total, PER_KIND);
  NX_CHECK_EQ_U(st.frees, st.allocs);  /* every slot freed exactly once */
  NX_CHECK_EQ_U(st.live_bytes, 0);
  NX_CHECK_EQ_U(st.bad_free_args, 0);
  return 0;
}

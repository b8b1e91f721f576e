/* Seed defect 2 (SPEC §9.2): a task woken during its own poll (by
 * nx_cx_wake, by a clone of its waker, or from its own drop_fn) that then
 * completes must not leave a dangling ready-queue entry: the seed freed it
 * while its pointer sat in the queue (use-after-free with Box storage; with
 * the slab the slot was reused and an unrelated task was polled twice).
 *
 * Here: every task is polled exactly as often as it asks, including a task
 * spawned right after into a slab whose LIFO freelist would hand it the
 * completed task's slot, and every slot is freed once (run it under ASan). */
#include "nx_test.h"

enum how { VIA_CX_WAKE, VIA_CLONE_WAKE, VIA_DROP_FN, N_HOW };

typedef struct {
  enum how how;
  int *polls;
  int *drops;
  nx_waker self;  /* VIA_DROP_FN / VIA_CLONE_WAKE: a clone of its own waker */
} selfwake_fut;

static nx_poll selfwake_poll(void *s, nx_cx *cx) {
  selfwake_fut *f = s;
  (*f->polls)++;
  nx_waker borrowed = nx_cx_waker(cx);
  switch (f->how) {
    case VIA_CX_WAKE:
      nx_cx_wake(cx);
      break;
    case VIA_CLONE_WAKE:
      NX_CHECK_OK(nx_waker_clone(&borrowed, &f->self));
      nx_waker_wake(&f->self);
      break;
    case VIA_DROP_FN:
      NX_CHECK_OK(nx_waker_clone(&borrowed, &f->self));
      break;
    default:
      break;
  }
  return NX_READY;
}

static void selfwake_drop(void *s) {
  selfwake_fut *f = s;
  (*f->drops)++;
  nx_waker_wake(&f->self); /* empty unless VIA_DROP_FN: then a wake of a completing task */
}

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  sc.capacity = 2;  /* A's slot is the freelist head as soon as A is freed */
  nx_executor *ex = nx_test_executor(0, 0, &counting, &sc);
  nx_future_desc d = NX_FUTURE(selfwake_fut, selfwake_poll, selfwake_drop);

  for (int slab = 0; slab <= 1; slab++) {
    for (enum how how = 0; how < N_HOW; how++) {
      int a_polls = 0, a_drops = 0;
      selfwake_fut a = {how, &a_polls, &a_drops, {NULL}};
      NX_CHECK_OK(slab ? nx_spawn_slab(ex, &d, &a, NULL, NULL) : nx_spawn(ex, &d, &a, NULL, NULL));
      NX_CHECK_EQ(nx_run_once(ex), 1);
      NX_CHECK_EQ(a_polls, 1);
      NX_CHECK_EQ(a_drops, 1);
      NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);

      /* B is spawned while A's wake may still be pending in the queue. B
       * asks for exactly two polls (self-wake once, then ready). */
      nx_probe b = {0};
      NX_CHECK_OK(nx_probe_spawn(ex, slab, &b, 2, 1, 0, NULL, NULL));
      for (int i = 0; i < 4; i++) nx_run_once(ex);
      NX_CHECK_EQ(a_polls, 1);   /* A is never polled again */
      NX_CHECK_EQ(a_drops, 1);
      NX_CHECK_EQ(b.polls, 2);   /* B is not polled through A's entry */
      NX_CHECK_EQ(b.drops, 1);
      NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
      NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
      NX_CHECK_EQ_U(nx_slab_in_use(nx_executor_slab(ex)), 0);
      NX_CHECK_EQ_U(st.allocs, st.frees);
    }
  }
  nx_executor_destroy(ex);
  NX_CHECK_EQ_U(st.live_bytes, 0);
  NX_CHECK_EQ_U(st.bad_free_args, 0);
  return 0;
}

/* nx_reserve_abort gives the storage back without running drop_fn; a failed
 * nx_reserve empties the reservation and holds nothing; a reservation still
 * pending at shutdown is freed without drop_fn. */
#include "nx_test.h"

static int polls, drops;
static nx_poll never_poll(void *s, nx_cx *cx) {
  (void)s;
  (void)cx;
  polls++;
  return NX_READY;
}
static void count_drop(void *s) {
  (void)s;
  drops++;
}

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  nx_executor *ex = nx_test_executor(0, 0, &counting, &sc);
  nx_future_desc d = {never_poll, count_drop, 32, 16, 0};

  for (unsigned flags = 0; flags <= (NX_RESERVE_SLAB | NX_RESERVE_JOINABLE); flags++) {
    nx_reservation r;
    NX_CHECK_OK(nx_reserve(ex, flags, &d, &r));
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);
    nx_reserve_abort(&r);
    NX_CHECK(r.task == NULL && r.state == NULL);
    NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
    NX_CHECK_EQ_U(nx_slab_in_use(nx_executor_slab(ex)), 0);
    nx_reserve_abort(&r); /* an emptied reservation: no-op */
  }
  NX_CHECK_EQ_U(st.allocs, st.frees);
  NX_CHECK_EQ_U(st.live_bytes, 0);
  NX_CHECK_EQ(drops, 0);
  nx_reserve_abort(NULL); /* no-op */

  /* A failing reserve leaves r empty and nothing held. */
  nx_reservation r = {(nx_task *)&r, &r};
  NX_CHECK_RC(nx_reserve(ex, 0x80, &d, &r), NX_EINVAL); /* unknown flag */
  NX_CHECK(r.task == NULL && r.state == NULL);
  nx_future_desc bad = d;
  bad.align = 128;
  r.task = (nx_task *)&r;
  NX_CHECK_RC(nx_reserve(ex, 0, &bad, &r), NX_EALIGN);
  NX_CHECK(r.task == NULL && r.state == NULL);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);

  /* Reservations pending at shutdown: freed, never polled, never dropped. */
  nx_reservation a, b;
  NX_CHECK_OK(nx_reserve(ex, 0, &d, &a));
  NX_CHECK_OK(nx_reserve(ex, NX_RESERVE_SLAB | NX_RESERVE_JOINABLE, &d, &b));
  size_t frees_before = st.frees;
  NX_CHECK_OK(nx_executor_shutdown(ex));
  NX_CHECK_EQ_U(st.frees, frees_before + 1);
  NX_CHECK_EQ_U(nx_slab_in_use(nx_executor_slab(ex)), 0);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  nx_executor_destroy(ex);
  NX_CHECK_EQ(polls, 0);
  NX_CHECK_EQ(drops, 0);
  NX_CHECK_EQ_U(st.allocs, st.frees);
  NX_CHECK_EQ_U(st.live_bytes, 0);
  NX_CHECK_EQ_U(st.bad_free_args, 0);
  return 0;
}

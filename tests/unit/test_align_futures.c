/* Seed defect 1 (SPEC §9.1): the seed always placed the future at header+40,
 * wrong for alignment > 8. Here every power-of-two alignment up to 64 is
 * honoured: the state pointer a poll receives (and nx_reserve hands out) is
 * aligned, from the default allocator and from the slab, and the whole state
 * is writable (ASan would flag an overrun into the next slot). */
#include "nx_test.h"

#include <stdalign.h>

typedef struct { alignas(64) unsigned char bytes[64]; } state64;
typedef struct { alignas(32) unsigned char bytes[96]; } state32;
typedef struct { alignas(16) unsigned char bytes[16]; } state16;

static size_t want_align;
static int polls;

static nx_poll aligned_poll(void *s, nx_cx *cx) {
  (void)cx;
  if ((uintptr_t)s % want_align != 0)
    nx_test_fail(__FILE__, __LINE__, "state %p not aligned to %zu", s, want_align);
  polls++;
  return NX_READY;
}

/* Writes the whole state, so an overrun or misplacement shows under ASan. */
static nx_poll fill_poll(void *s, nx_cx *cx) {
  (void)cx;
  if ((uintptr_t)s % want_align != 0)
    nx_test_fail(__FILE__, __LINE__, "state %p not aligned to %zu", s, want_align);
  memset(s, 0xA5, want_align == 64 ? sizeof(state64) : want_align == 32 ? sizeof(state32)
                                                                        : sizeof(state16));
  polls++;
  return NX_READY;
}

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator counting = nx_test_counting_allocator(&st);
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  sc.slot_size = 192;  /* rounded to 192: 64 header + up to 128 state */
  nx_executor *ex = nx_test_executor(0, 0, &counting, &sc);
  const size_t aligns[] = {1, 2, 4, 8, 16, 32, 64};
  int expected = 0;

  for (size_t k = 0; k < sizeof aligns / sizeof aligns[0]; k++) {
    for (int slab = 0; slab <= 1; slab++) {
      for (int joinable = 0; joinable <= 1; joinable++) {
        want_align = aligns[k];
        /* Several at once, so they land at different addresses. */
        nx_join joins[8];
        for (int i = 0; i < 8; i++) {
          nx_future_desc d = {aligned_poll, NULL, 24, aligns[k], 8};
          nx_join *jp = joinable ? &joins[i] : NULL;
          NX_CHECK_OK(slab ? nx_spawn_slab(ex, &d, NULL, NULL, jp)
                           : nx_spawn(ex, &d, NULL, NULL, jp));
          expected++;
        }
        NX_CHECK_EQ(nx_run_once(ex), 8);
        NX_CHECK_EQ(polls, expected);
        for (int i = 0; joinable && i < 8; i++) NX_CHECK_RC(nx_join_try(&joins[i], NULL, 0), NX_READY);
        /* Construct in place: the reservation's state is aligned too. */
        nx_future_desc d = {aligned_poll, NULL, 40, aligns[k], 0};
        nx_reservation r;
        NX_CHECK_OK(nx_reserve(ex, slab ? NX_RESERVE_SLAB : 0, &d, &r));
        NX_CHECK_ALIGNED(r.state, aligns[k]);
        NX_CHECK_OK(nx_reserve_commit(&r, NULL, NULL));
        expected++;
        NX_CHECK_EQ(nx_run_once(ex), 1);
        NX_CHECK_EQ(polls, expected);
      }
    }
  }

  /* align 0 means 16. */
  want_align = 16;
  nx_future_desc d0 = {aligned_poll, NULL, 8, 0, 0};
  NX_CHECK_OK(nx_spawn(ex, &d0, NULL, NULL, NULL));
  NX_CHECK_OK(nx_spawn_slab(ex, &d0, NULL, NULL, NULL));
  expected += 2;
  NX_CHECK_EQ(nx_run_once(ex), 2);

  /* Over-aligned state types through NX_FUTURE, whole state written. */
  nx_future_desc d64 = NX_FUTURE(state64, fill_poll, NULL);
  nx_future_desc d32 = NX_FUTURE(state32, fill_poll, NULL);
  nx_future_desc d16 = NX_FUTURE(state16, fill_poll, NULL);
  const nx_future_desc *ds[] = {&d16, &d32, &d64};
  for (int k = 0; k < 3; k++) {
    want_align = ds[k]->align;
    for (int i = 0; i < 4; i++) {
      NX_CHECK_OK(nx_spawn(ex, ds[k], NULL, NULL, NULL));
      NX_CHECK_OK(nx_spawn_slab(ex, ds[k], NULL, NULL, NULL));
      expected += 2;
    }
    NX_CHECK_EQ(nx_run_once(ex), 8);
  }
  NX_CHECK_EQ(polls, expected);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  NX_CHECK_EQ_U(nx_slab_in_use(nx_executor_slab(ex)), 0);
  nx_executor_destroy(ex);
  NX_CHECK_EQ_U(st.allocs, st.frees);
  NX_CHECK_EQ_U(st.live_bytes, 0);
  NX_CHECK_EQ_U(st.bad_free_args, 0);  /* sized free got the allocation's size/align */
  return 0;
}

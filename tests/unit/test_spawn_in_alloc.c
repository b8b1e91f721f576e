/* A spawn from inside the allocator's alloc, when the id table or the ready
 * ring has room for exactly one more task: the inner spawn (nx_spawn or
 * nx_spawn_slab) takes that room, and the outer spawn, nx_reserve, or a
 * joinable spawn, which checked for room before calling alloc, must still
 * have room for its own task instead of writing past the table or the
 * ring. Every task then runs once and is dropped once, and every
 * allocation comes back (ASan and valgrind check the memory; NX_ASSERT
 * checks the ring). */
#include "nx_test.h"

static nx_test_alloc_stats stats;
static nx_executor *ex;
static int arm;            /* the next alloc spawns one task first */
static int inner_slab;     /* ... with nx_spawn_slab (else nx_spawn) */
static int inner_rc = 1;
static nx_probe inner;

static void *spawning_alloc(void *ctx, size_t size, size_t align) {
  if (arm) {
    arm = 0; /* the inner spawn allocates too: once is enough */
    inner_rc = nx_probe_spawn(ex, inner_slab, &inner, 1, 0, 0, NULL, NULL);
  }
  return nx_test_counting_alloc(ctx, size, align);
}

enum outer_kind { OUTER_SPAWN, OUTER_SPAWN_JOINABLE, OUTER_RESERVE, NOUTER };
static const char *const outer_text[] = {"nx_spawn", "nx_spawn with a join handle",
                                         "nx_reserve + commit"};

/* `fill` pending tasks first, so that one more fits: 63 fills the id table
 * (64 entries to start with), ready capacity - 1 fills the ring. */
static void scenario(enum outer_kind kind, uint32_t ready_capacity, int fill, int slab) {
  memset(&stats, 0, sizeof stats);
  memset(&inner, 0, sizeof inner);
  nx_allocator alloc = {"spawning", spawning_alloc, nx_test_counting_free, NULL, &stats};
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  ex = nx_test_executor(0, ready_capacity, &alloc, &sc);
  inner_slab = slab;
  static nx_probe fillers[64];
  memset(fillers, 0, sizeof fillers);
  for (int i = 0; i < fill; i++)
    NX_CHECK_OK(nx_probe_spawn(ex, 0, &fillers[i], 1, 0, 0, NULL, NULL));
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), (size_t)fill);

  nx_probe outer = {0};
  nx_join join = {0};
  nx_task_id id = NX_TASK_ID_NONE;
  arm = 1;
  inner_rc = 1;
  switch (kind) {
    case OUTER_SPAWN:
      NX_CHECK_OK(nx_probe_spawn(ex, 0, &outer, 1, 0, 0, &id, NULL));
      break;
    case OUTER_SPAWN_JOINABLE:
      NX_CHECK_OK(nx_probe_spawn(ex, 0, &outer, 1, 0, 0, &id, &join));
      break;
    case OUTER_RESERVE: {
      nx_future_desc d = nx_probe_desc();
      nx_reservation r;
      NX_CHECK_OK(nx_reserve(ex, 0, &d, &r));
      nx_probe_fut f = {&outer, 1, 0, 0};
      memcpy(r.state, &f, sizeof f);
      NX_CHECK_OK(nx_reserve_commit(&r, &id, NULL));
      break;
    }
    case NOUTER:
      break;
  }
  NX_CHECK_EQ(arm, 0);
  NX_CHECK_OK(inner_rc);
  NX_CHECK(id != NX_TASK_ID_NONE);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), (size_t)fill + 2);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), (size_t)fill + 2);

  nx_test_run_idle(ex);
  for (int i = 0; i < fill; i++) {
    NX_CHECK_EQ(fillers[i].polls, 1);
    NX_CHECK_EQ(fillers[i].drops, 1);
  }
  NX_CHECK_EQ(inner.polls, 1);
  NX_CHECK_EQ(inner.drops, 1);
  NX_CHECK_EQ(outer.polls, 1);
  NX_CHECK_EQ(outer.drops, 1);
  if (kind == OUTER_SPAWN_JOINABLE) NX_CHECK_RC(nx_join_try(&join, NULL, 0), NX_READY);
  NX_CHECK_EQ_U(nx_executor_live_tasks(ex), 0);
  nx_executor_destroy(ex);
  NX_CHECK_EQ_U(stats.allocs, stats.frees);
  NX_CHECK_EQ_U(stats.bad_free_args, 0);
  printf("%-28s ready_capacity %4u, %2d pending first, inner %s: ok\n", outer_text[kind],
         (unsigned)ready_capacity, fill, slab ? "nx_spawn_slab" : "nx_spawn");
}

int main(void) {
  nx_test_start();
  for (int k = 0; k < NOUTER; k++) {
    for (int slab = 0; slab < 2; slab++) {
      scenario((enum outer_kind)k, 4, 3, slab);    /* the ring is one short of full */
      scenario((enum outer_kind)k, 128, 63, slab); /* the id table is one short of full */
    }
  }
  return 0;
}

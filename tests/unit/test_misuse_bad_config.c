/* nx_executor_create rejects bad configuration with NX_EINVAL and creates
 * nothing: tasks_per_cycle 0, ready_capacity 0 or above 2^30, an allocator
 * lacking alloc or free, a bad slab config. The documented defaults are what
 * nx_executor_config_init / nx_slab_config_init fill in. */
#include "nx_test.h"

static void *fake_alloc(void *ctx, size_t size, size_t align) {
  (void)ctx;
  (void)size;
  (void)align;
  return NULL;
}
static void fake_free(void *ctx, void *p, size_t size, size_t align) {
  (void)ctx;
  (void)p;
  (void)size;
  (void)align;
}

static void expect_einval(const nx_executor_config *cfg, int line) {
  nx_executor *ex = NULL;
  int rc = nx_executor_create(cfg, &ex);
  if (rc != NX_EINVAL)
    nx_test_fail(__FILE__, line, "nx_executor_create returned %s, expected NX_EINVAL",
                 nx_err_name(rc));
  if (ex != NULL) nx_test_fail(__FILE__, line, "an executor was created anyway");
}

int main(void) {
  nx_test_start();
  nx_executor_config cfg;
  NX_CHECK_OK(nx_executor_config_init(&cfg));
  NX_CHECK_EQ_U(cfg.ready_capacity, 1024);
  NX_CHECK_EQ_U(cfg.tasks_per_cycle, 64);
  NX_CHECK(cfg.allocator == nx_allocator_malloc());
  NX_CHECK(cfg.slab == NULL);
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  NX_CHECK_EQ_U(sc.slot_size, 256);
  NX_CHECK_EQ_U(sc.capacity, 1024);
  NX_CHECK_EQ(sc.mode, NX_SLAB_BOUNDED);

  nx_executor_config bad = cfg;
  bad.tasks_per_cycle = 0;
  expect_einval(&bad, __LINE__);
  bad = cfg;
  bad.ready_capacity = 0;
  expect_einval(&bad, __LINE__);
  bad = cfg;
  bad.ready_capacity = (1u << 30) + 1;
  expect_einval(&bad, __LINE__);
  bad = cfg;
  bad.ready_capacity = UINT32_MAX;
  expect_einval(&bad, __LINE__);
  NX_CHECK_EQ_U(cfg.idle_spin_ns, NX_IDLE_SPIN_NS_DEFAULT);
  NX_CHECK_EQ_U(cfg.idle_yields, 0);
  NX_CHECK_EQ_U(cfg.timer_slack_ns, 1);
  NX_CHECK_EQ_U(cfg.timer_spin_max_ns, 50000);
  bad = cfg;
  bad.idle_spin_ns = 1000000001u;
  expect_einval(&bad, __LINE__);
  bad = cfg;
  bad.idle_yields = 1001;
  expect_einval(&bad, __LINE__);
  bad = cfg;
  bad.timer_spin_max_ns = 1000001;
  expect_einval(&bad, __LINE__);

  nx_allocator no_alloc = {"no alloc", NULL, fake_free, NULL, NULL};
  nx_allocator no_free = {"no free", fake_alloc, NULL, NULL, NULL};
  bad = cfg;
  bad.allocator = &no_alloc;
  expect_einval(&bad, __LINE__);
  bad.allocator = &no_free;
  expect_einval(&bad, __LINE__);

  nx_slab_config bad_slab = sc;
  bad = cfg;
  bad.slab = &bad_slab;
  bad_slab.slot_size = 0;
  expect_einval(&bad, __LINE__);
  bad_slab = sc;
  bad_slab.capacity = 0;
  expect_einval(&bad, __LINE__);
  bad_slab = sc;
  bad_slab.slot_size = ((size_t)1 << 20) + 1;
  expect_einval(&bad, __LINE__);
  bad_slab = sc;
  bad_slab.mode = (nx_slab_mode)7;
  expect_einval(&bad, __LINE__);

  /* The edges that are allowed. */
  nx_executor *ex = NULL;
  bad = cfg;
  bad.tasks_per_cycle = 1;
  bad.ready_capacity = 1;
  NX_CHECK_OK(nx_executor_create(&bad, &ex));
  nx_executor_destroy(ex);
  bad.ready_capacity = 1u << 30;
  bad.allocator = NULL; /* default allocator */
  ex = NULL;
  int rc = nx_executor_create(&bad, &ex);
  NX_CHECK(rc == NX_OK || rc == NX_ENOMEM);
  nx_executor_destroy(ex);
  return 0;
}

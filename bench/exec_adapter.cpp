// The executor adapter (exec_adapter.h): who this binary is, the executor of
// its backend, and the checks every executor binary makes before its cases.
#include "exec_adapter.h"

#include <cstdio>
#include <map>

// Defined only by the plugin host's backend library; weak so the other
// binaries link without it.
#pragma weak nx_backend_plugin_error

namespace nxb {

bool g_use_slab = false;
const nx_allocator* g_alloc = nullptr;
alignas(64) const unsigned char g_init[2048] = {};

BackendInfo binary_backend() {
  // First call on the main thread, which runs every executor (mimalloc's
  // heap belongs to the thread that first asks for the allocator).
  g_alloc = nx_backend_allocator();
  g_use_slab = nx_backend_storage_kind() == NX_BACKEND_STORAGE_EXECUTOR_SLAB;
  return BackendInfo{nx_backend_name(), nx_backend_version(), "executor", "malloc"};
}

// nx_backend_slab_slot_for, cached per size: the probe creates executors.
size_t slab_slot_for(size_t bytes) {
  static std::map<size_t, size_t> cache;
  auto it = cache.find(bytes);
  return it != cache.end() ? it->second : (cache[bytes] = nx_backend_slab_slot_for(bytes));
}

int Exec::create(size_t fit_bytes, size_t slab_slots, uint32_t tasks_per_cycle,
                 std::string* why, int64_t idle_spin_ns) {
  nx_executor_config cfg;
  nx_executor_config_init(&cfg);
  if (tasks_per_cycle != 0) cfg.tasks_per_cycle = tasks_per_cycle;
  if (idle_spin_ns >= 0) cfg.idle_spin_ns = static_cast<uint32_t>(idle_spin_ns);
  nx_slab_config sc;
  if (g_use_slab) {
    slot_bytes_ = slab_slot_for(fit_bytes);
    if (slot_bytes_ == 0) {
      *why = "no slab slot size fits a " + std::to_string(fit_bytes) + "-byte future";
      return NX_E2BIG;
    }
    nx_slab_config_init(&sc);
    sc.slot_size = slot_bytes_;
    sc.capacity = slab_slots;
    sc.mode = NX_SLAB_BOUNDED;
    cfg.slab = &sc;
  } else {
    if (g_alloc == nullptr) {
      *why = "nx_backend_allocator() returned NULL";
      return NX_EINVAL;
    }
    cfg.allocator = g_alloc;
  }
  int rc = nx_executor_create(&cfg, &ex_);
  if (rc != NX_OK) *why = std::string("nx_executor_create: ") + nx_strerror(rc);
  return rc;
}

int Exec::create_on_other_thread(size_t fit_bytes, size_t slab_slots, std::string* why) {
  if (g_use_slab) return create(fit_bytes, slab_slots, 0, why);
  nx_executor_config cfg;
  nx_executor_config_init(&cfg);
  cfg.allocator = nx_allocator_malloc();
  int rc = nx_executor_create(&cfg, &ex_);
  if (rc != NX_OK) *why = std::string("nx_executor_create: ") + nx_strerror(rc);
  return rc;
}

namespace {

// First of the executor families: a backend that cannot be used ends the
// binary here, with the reason, before any case is registered.
int check_backend(Env&) {
  if (g_alloc == nullptr) {
    fprintf(stderr, "backend %s cannot be used: %s\n", nx_backend_name(),
            &nx_backend_plugin_error != nullptr ? nx_backend_plugin_error()
                                                : "nx_backend_allocator() returned NULL");
    return 1;
  }
  benchmark::AddCustomContext("lib_nxrt", nx_version());
#ifdef NXBENCH_PLANT_SLOWDOWN
  benchmark::AddCustomContext("planted_slowdown", "spawn path");
#endif
  if (g_alloc->name != nullptr) benchmark::AddCustomContext("allocator_table_name", g_alloc->name);
  return 0;
}

}  // namespace

NXB_FAMILY(0, check_backend);

}  // namespace nxb

// The executor adapter every executor case family uses: the executor of this
// binary's backend, configured the way the backend says
// (nx_backend_storage_kind(), allocators/include/nx_backend.h):
//   NX_BACKEND_STORAGE_EXECUTOR_SLAB  the executor owns a bounded slab
//             (nx_executor_config.slab), tasks by nx_spawn_slab; the slot
//             size is the smallest multiple of 64 the case's largest future
//             fits (nx_backend_slab_slot_for, reported as slot_bytes)
//   NX_BACKEND_STORAGE_ALLOCATOR  nx_executor_config.allocator =
//             nx_backend_allocator(), tasks by nx_spawn
// and the helpers the families share. Case files include this header and
// harness.h, never each other.
#ifndef NXBENCH_EXEC_ADAPTER_H
#define NXBENCH_EXEC_ADAPTER_H

#include <climits>
#include <cstring>
#include <string>

#include "harness.h"
#include "nx_backend.h"
#include "nxrt.h"

namespace nxb {

// Set by binary_backend() (exec_adapter.cpp) on the main thread.
extern bool g_use_slab;  // the backend's storage is an executor-owned slab
extern const nx_allocator* g_alloc;

#ifdef NXBENCH_PLANT_SLOWDOWN
// Test-only build (cmake -DNXBENCH_PLANT_SLOWDOWN=<backend>; only that
// backend's binary is compiled with it): its spawn path does extra work, a
// known regression `nxbench compare` and `nxbench ab` must flag in exactly
// that backend's spawning rows.
inline void planted_delay() {
  for (volatile int i = 0; i < NXBENCH_PLANT_SLOWDOWN_LOOPS; i = i + 1) {
  }
}
#endif

// Zeroed bytes spawn copies a future's initial state from.
alignas(64) extern const unsigned char g_init[2048];

inline nx_future_desc make_desc(nx_poll_fn poll, size_t size) {
  nx_future_desc d;
  d.poll = poll;
  d.drop = nullptr;
  d.size = size;
  d.align = 0;  // 16
  d.output_size = 0;
  return d;
}

// NX_FUTURE for C++ (the nxrt.h macro is a C compound literal).
template <class T>
nx_future_desc desc_of(nx_poll_fn poll, nx_drop_fn drop) {
  nx_future_desc d;
  d.poll = poll;
  d.drop = drop;
  d.size = sizeof(T);
  d.align = alignof(T);
  d.output_size = 0;
  return d;
}

inline nx_poll poll_ready(void*, nx_cx*) { return NX_READY; }
inline nx_poll poll_pending(void*, nx_cx*) { return NX_PENDING; }

class Exec {
 public:
  Exec() = default;
  Exec(const Exec&) = delete;
  Exec& operator=(const Exec&) = delete;
  ~Exec() {
    if (ex_ != nullptr) nx_executor_destroy(ex_);
  }
  // Creates the executor. fit_bytes: the largest future the case spawns;
  // slab_slots: slots of an executor-owned slab; tasks_per_cycle: 0 for the
  // default; idle_spin_ns: the spin budget of NX_RUN_SPIN_PARK, -1 for the
  // default. Returns 0 or an nxrt error code, with the reason in *why.
  int create(size_t fit_bytes, size_t slab_slots, uint32_t tasks_per_cycle, std::string* why,
             int64_t idle_spin_ns = -1);
  // The same for a second executor on another thread, beside this binary's
  // one: a backend's allocator serves one thread (the bump arena, a
  // mimalloc heap), so this one takes glibc malloc unless the backend's
  // storage is an executor-owned slab (each executor owns its own).
  int create_on_other_thread(size_t fit_bytes, size_t slab_slots, std::string* why);
  nx_executor* ex() const { return ex_; }
  size_t slot_bytes() const { return slot_bytes_; }
  int spawn(const nx_future_desc* d, const void* init) {
    return spawn_via<nx_future_desc, nx_spawn_slab, nx_spawn>(d, init);
  }
  // The same through a prepared future (nx_spawn_prepared / _slab_prepared).
  int spawn_prepared(const nx_prepared_future* pf, const void* init) {
    return spawn_via<nx_prepared_future, nx_spawn_slab_prepared, nx_spawn_prepared>(pf, init);
  }
  // Runs cycles until nothing is queued. Returns the first error, else 0.
  int drain() {
    int rc;
    while ((rc = nx_run_once(ex_)) > 0) {
    }
    return rc < 0 ? rc : 0;
  }
  // An executor-owned slab's rows say which slot size they used.
  void report_slot(benchmark::State& st) const {
    if (g_use_slab) st.counters["slot_bytes"] = static_cast<double>(slot_bytes_);
  }

 private:
  // A spawn by the backend's storage: Slab for an executor-owned slab, else Heap.
  template <class What, int (*Slab)(nx_executor*, const What*, const void*, nx_task_id*, nx_join*),
            int (*Heap)(nx_executor*, const What*, const void*, nx_task_id*, nx_join*)>
  int spawn_via(const What* what, const void* init) {
#ifdef NXBENCH_PLANT_SLOWDOWN
    planted_delay();
#endif
    return g_use_slab ? Slab(ex_, what, init, nullptr, nullptr)
                      : Heap(ex_, what, init, nullptr, nullptr);
  }
  nx_executor* ex_ = nullptr;
  size_t slot_bytes_ = 0;
};

// Not an nxrt code: nx_run_once polled another number of tasks than the
// case set up (a bug in the case or the executor).
constexpr int kWrongPolls = INT_MIN;

// nx_run_once() when exactly one task must be polled: 0, or the error.
inline int run_once_one(nx_executor* ex) {
  int rc = nx_run_once(ex);
  return rc == 1 ? 0 : rc < 0 ? rc : kWrongPolls;
}

inline std::string rc_text(const char* what, int rc) {
  return std::string(what) + ": " + nx_err_name(rc) + " (" + nx_strerror(rc) + ")";
}

inline void skip_rc(benchmark::State& st, const char* what, int rc) {
  if (rc == kWrongPolls) {
    st.SkipWithError((std::string(what) + ": nx_run_once polled an unexpected number of tasks").c_str());
    return;
  }
  st.SkipWithError(rc_text(what, rc).c_str());
}

// Runs the timed loop of measure_op() and fails the case if any op failed.
template <class Op>
void measure_checked(benchmark::State& st, Env& env, Mode m, const char* what, Op&& op) {
  int first_error = 0;
  measure_op(st, env, m, [&] {
    int rc = op();
    if (__builtin_expect(rc < 0, 0) && first_error == 0) first_error = rc;
  });
  if (first_error != 0) skip_rc(st, what, first_error);
}

inline nx_run_mode run_mode_of(bool parked) { return parked ? NX_RUN_PARKED : NX_RUN_BUSY; }
inline const char* run_name(bool parked) { return parked ? "parked" : "busy"; }

// Sample bookkeeping of the service cases' futures: `warmup` untimed rounds,
// then `n` recorded samples.
struct Quota {
  size_t warmup = 0, n = 0, done = 0;
  bool recording() const { return done >= warmup; }
  bool finished() const { return done >= warmup + n; }
};

// What a task reports back (its state lives in task storage).
struct Report {
  int err = 0;          // first nxrt/errno code, 0 if none
  const char* what = "";
  size_t early = 0;     // timer_fire: fires before the deadline (must stay 0)
  bool finished = false;
  bool tx_closed = false;  // channel_roundtrip: task A closed its sending side
  // channel_roundtrip: context switches over the recorded rounds (task A
  // reads them on its thread when recording starts and when it ends).
  Csw self0, mine0, self1, mine1;
};

inline void fail(Report* r, const char* what, int rc) {
  if (r->err == 0) {
    r->err = rc;
    r->what = what;
  }
}

// Smallest slot of an executor-owned slab a future of `bytes` fits
// (nx_backend_slab_slot_for, cached); 0 if none does.
size_t slab_slot_for(size_t bytes);

// An executor case read against the indirect-call floor.
inline CaseInfo local_case(const char* name, const char* function, const char* description) {
  CaseInfo c;
  c.name = name;
  c.kind = CaseKind::kLocal;
  c.function = function;
  c.description = description;
  c.floor = "indirect_call";
  return c;
}

}  // namespace nxb

#endif

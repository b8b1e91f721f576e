// The executor cases, compiled once and linked into one binary per allocator
// backend (nxbench_<backend>). The backend is whatever this binary was
// linked with (allocators/include/nx_backend.h):
//   slab      the executor owns a bounded slab (nx_executor_config.slab) and
//             tasks are spawned with nx_spawn_slab; the slot size is the
//             smallest multiple of 64 the case's largest future fits (probed,
//             reported as param slot_bytes)
//   any other nx_executor_config.allocator = nx_backend_allocator(), nx_spawn
//
// Cases (the names are the results schema's, bench/README.md):
//   spawn_poll_free    spawn a future that is ready at once, poll it, free it
//                      (batched: 100 spawns, then one cycle polls them all)
//   poll_queued        nx_run_once polling tasks already queued by a wake
//   self_wake_poll     nx_run_once polling tasks that wake themselves
//                      (batched: 100 tasks in one cycle; single: 1 task)
//   wake_other_poll    nx_run_once polling a task that wakes another task
//   waker_clone_drop   clone a waker and drop the clone
//   spawn_with_live    spawn_poll_free (64 B) with N tasks alive; bytes per
//                      live task from the RSS of a fresh process (see below)
//   churn              random spawn / wake / complete with ~live_tasks alive
//   cross_wake_busy    another core wakes a task, the task answers (busy)
//   cross_wake_parked  the same with the executor parked (NX_RUN_PARKED)
//   cross_wake_responsive  the same with the waker spinning for the answer,
//                      executor run = busy | parked | spin_park (spin_ns)
//   cross_wake_idle_gap  responsive, with an idle gap longer than the spin
//                      budget before each round trip (the true-sleep cost)
//   self_wake_one      one task waking itself, driven by nx_run (busy) or
//                      one nx_run_once per poll (batched: per poll)
//   spawn_poll_free_one  spawn + one nx_run_once per task (batched)
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "cross_wake.h"
#include "harness.h"
#include "nx_backend.h"
#include "nxrt.h"

// Defined only by the plugin host's backend library; weak so the other
// binaries link without it.
#pragma weak nx_backend_plugin_error

namespace nxb {

namespace {

bool g_use_slab = false;  // this binary's backend is the slab
const nx_allocator* g_alloc = nullptr;

#ifdef NXBENCH_PLANT_SLOWDOWN
// Test-only build (cmake -DNXBENCH_PLANT_SLOWDOWN=<backend>; only that
// backend's binary is compiled with it): its spawn path does extra work, a
// known regression `nxbench compare` and `nxbench ab` must flag in exactly
// that backend's spawning rows.
void planted_delay() {
  for (volatile int i = 0; i < NXBENCH_PLANT_SLOWDOWN_LOOPS; i = i + 1) {
  }
}
#endif

// ---------------------------------------------------------------------------
// Futures
// ---------------------------------------------------------------------------

nx_poll poll_ready(void*, nx_cx*) { return NX_READY; }
nx_poll poll_pending(void*, nx_cx*) { return NX_PENDING; }

// Clones its own waker into *out on the first poll; pending for ever.
struct HoldState {
  nx_waker* out;
};
nx_poll poll_hold(void* p, nx_cx* cx) {
  HoldState* s = static_cast<HoldState*>(p);
  if (s->out != nullptr) {
    nx_waker w = nx_cx_waker(cx);
    nx_waker_clone(&w, s->out);
    s->out = nullptr;
  }
  return NX_PENDING;
}

nx_poll poll_self_wake(void*, nx_cx* cx) {
  nx_cx_wake(cx);
  return NX_PENDING;
}

// Wakes itself until its count runs out, then completes.
struct CountState {
  int left;
};
nx_poll poll_self_wake_count(void* p, nx_cx* cx) {
  CountState* s = static_cast<CountState*>(p);
  if (--s->left <= 0) return NX_READY;
  nx_cx_wake(cx);
  return NX_PENDING;
}

// First poll: clones its waker into *mine. Later polls: wakes *peer.
struct PassState {
  nx_waker* mine;
  const nx_waker* peer;
};
nx_poll poll_pass(void* p, nx_cx* cx) {
  PassState* s = static_cast<PassState*>(p);
  if (s->mine != nullptr) {
    nx_waker w = nx_cx_waker(cx);
    nx_waker_clone(&w, s->mine);
    s->mine = nullptr;
    return NX_PENDING;
  }
  nx_waker_wake_by_ref(s->peer);
  return NX_PENDING;
}

nx_future_desc make_desc(nx_poll_fn poll, size_t size) {
  nx_future_desc d;
  d.poll = poll;
  d.drop = nullptr;
  d.size = size;
  d.align = 0;  // 16
  d.output_size = 0;
  return d;
}

// Zeroed bytes spawn copies the future's initial state from.
alignas(64) const unsigned char g_init[2048] = {};

// ---------------------------------------------------------------------------
// Executor of this binary's backend
// ---------------------------------------------------------------------------

}  // namespace

// Smallest slab slot (multiple of 64) that a future of `bytes` fits, found
// by spawning into a one-slot executor slab, so it does not depend on the
// task header's size. 0 if none up to 1 MiB fits. (harness.h; the services
// cases use it too.)
size_t slab_slot_for(size_t bytes) {
  static std::map<size_t, size_t> cache;
  auto it = cache.find(bytes);
  if (it != cache.end()) return it->second;
  nx_future_desc d = make_desc(poll_ready, bytes);
  for (size_t slot = 64; slot <= (size_t{1} << 20); slot += 64) {
    nx_slab_config sc;
    nx_slab_config_init(&sc);
    sc.slot_size = slot;
    sc.capacity = 1;
    nx_executor_config cfg;
    nx_executor_config_init(&cfg);
    cfg.slab = &sc;
    nx_executor* ex = nullptr;
    if (nx_executor_create(&cfg, &ex) != NX_OK) return 0;
    int rc = nx_spawn_slab(ex, &d, g_init, nullptr, nullptr);
    nx_executor_destroy(ex);
    if (rc >= 0) return cache[bytes] = slot;
    if (rc != NX_E2BIG) return 0;
  }
  return 0;
}

namespace {

class Exec {
 public:
  ~Exec() {
    if (ex_ != nullptr) nx_executor_destroy(ex_);
  }
  // Creates the executor. fit_bytes: the largest future the case spawns;
  // slab_slots: slots of the slab (slab backend only). Returns 0 or an
  // nxrt error code, with the reason in *why.
  // idle_spin_ns: the spin budget (NX_RUN_SPIN_PARK); -1: the default.
  int create(size_t fit_bytes, size_t slab_slots, uint32_t tasks_per_cycle, std::string* why,
             int64_t idle_spin_ns = -1) {
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
      cfg.allocator = g_alloc;
    }
    int rc = nx_executor_create(&cfg, &ex_);
    if (rc != NX_OK) *why = std::string("nx_executor_create: ") + nx_strerror(rc);
    return rc;
  }
  nx_executor* ex() const { return ex_; }
  size_t slot_bytes() const { return slot_bytes_; }
  int spawn(const nx_future_desc* d, const void* init) {
#ifdef NXBENCH_PLANT_SLOWDOWN
    planted_delay();
#endif
    return g_use_slab ? nx_spawn_slab(ex_, d, init, nullptr, nullptr)
                      : nx_spawn(ex_, d, init, nullptr, nullptr);
  }
  // Runs cycles until nothing is queued. Returns the first error, else 0.
  int drain() {
    int rc;
    while ((rc = nx_run_once(ex_)) > 0) {
    }
    return rc < 0 ? rc : 0;
  }

 private:
  nx_executor* ex_ = nullptr;
  size_t slot_bytes_ = 0;
};

// Not an nxrt code: nx_run_once polled another number of tasks than the
// case set up (a bug in the case or the executor).
constexpr int kWrongPolls = INT_MIN;

// nx_run_once() when exactly one task must be polled: 0, or the error.
int run_once_one(nx_executor* ex) {
  int rc = nx_run_once(ex);
  return rc == 1 ? 0 : rc < 0 ? rc : kWrongPolls;
}

void skip_rc(benchmark::State& st, const char* what, int rc) {
  if (rc == kWrongPolls) {
    st.SkipWithError((std::string(what) + ": nx_run_once polled an unexpected number of tasks").c_str());
    return;
  }
  std::string msg = std::string(what) + ": " + nx_err_name(rc) + " (" + nx_strerror(rc) + ")";
  st.SkipWithError(msg.c_str());
}

// The slab backend's rows say which slot size they used.
void report_slot(benchmark::State& st, const Exec& e) {
  if (g_use_slab) st.counters["slot_bytes"] = static_cast<double>(e.slot_bytes());
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

// ---------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------

// Batched: kBatch spawns, then one nx_run_once polls and frees all of them
// (the cycle's fixed cost shared by its polls, as an executor runs under
// load; poll_queued does the same). Single: one spawn, one nx_run_once.
void spawn_poll_free(benchmark::State& st, Env& env, Mode m, size_t bytes) {
  Exec e;
  std::string why;
  if (e.create(bytes, 2 * kBatch, 2 * kBatch, &why) != 0) return st.SkipWithError(why.c_str());
  nx_future_desc d = make_desc(poll_ready, bytes);
  int first_error = 0;
  if (m == Mode::kSingle) {
    measure_checked(st, env, m, "spawn", [&] {
      int rc = e.spawn(&d, g_init);
      return rc < 0 ? rc : run_once_one(e.ex());
    });
    report_slot(st, e);
    return;
  }
  CaseTimer timer(env);
  size_t n = env.samples_for(m);
  size_t warmup = n / 10 < 100 ? 100 : n / 10;
  for (auto _ : st)
    sample_loop(*env.samples, n, warmup, [] {}, [&] {
      for (int i = 0; i < kBatch; i++) {
        int rc = e.spawn(&d, g_init);
        if (__builtin_expect(rc < 0, 0) && first_error == 0) first_error = rc;
      }
      int rc = nx_run_once(e.ex());
      if (rc != kBatch && first_error == 0) first_error = rc < 0 ? rc : kWrongPolls;
    });
  if (first_error != 0) return skip_rc(st, "spawn", first_error);
  timer.finish(st, kBatch);
  report_slot(st, e);
}

// Spawns `n` hold tasks and polls them once, so each has cloned its waker
// into wakers[i]. Returns 0 or an nxrt error.
int spawn_holders(Exec& e, std::vector<nx_waker>& wakers, std::vector<HoldState>& states) {
  nx_future_desc d = make_desc(poll_hold, sizeof(HoldState));
  for (size_t i = 0; i < wakers.size(); i++) {
    states[i].out = &wakers[i];
    int rc = e.spawn(&d, &states[i]);
    if (rc < 0) return rc;
  }
  return e.drain();
}

void drop_all(std::vector<nx_waker>& wakers) {
  for (nx_waker& w : wakers) nx_waker_drop(&w);
}

// Where the backend put the tasks a case walks (a waker is its task's
// address): the median distance between tasks spawned one after the other,
// and the span from the lowest to the highest. Allocator-independent cases
// still differ between backends by this layout, so the report shows it.
void report_task_spacing(benchmark::State& st, const std::vector<nx_waker>& wakers) {
  if (wakers.size() < 2) return;
  std::vector<uintptr_t> addr;
  for (const nx_waker& w : wakers) addr.push_back(reinterpret_cast<uintptr_t>(w.task));
  std::vector<uintptr_t> gaps;
  for (size_t i = 1; i < addr.size(); i++)
    gaps.push_back(addr[i] > addr[i - 1] ? addr[i] - addr[i - 1] : addr[i - 1] - addr[i]);
  std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
  std::sort(addr.begin(), addr.end());
  st.counters["task_stride_bytes"] = static_cast<double>(gaps[gaps.size() / 2]);
  st.counters["task_span_bytes"] = static_cast<double>(addr.back() - addr.front());
}

void poll_queued(benchmark::State& st, Env& env, Mode m) {
  // Batched: kBatch queued tasks, one nx_run_once polls them all (a cycle's
  // cost shared by its polls). Single: one queued task, one nx_run_once.
  size_t k = m == Mode::kBatched ? kBatch : 1;
  Exec e;
  std::string why;
  if (e.create(sizeof(HoldState), 1024, 2 * kBatch, &why) != 0)
    return st.SkipWithError(why.c_str());
  std::vector<nx_waker> wakers(k);
  std::vector<HoldState> states(k);
  int rc = spawn_holders(e, wakers, states);
  if (rc < 0) return skip_rc(st, "spawn", rc);
  CaseTimer timer(env);
  size_t n = env.samples_for(m);
  int first_error = 0;
  for (auto _ : st)
    sample_loop(
        *env.samples, n, n / 10,
        [&] {
          for (nx_waker& w : wakers) nx_waker_wake_by_ref(&w);
        },
        [&] {
          int rc = nx_run_once(e.ex());
          if (rc != static_cast<int>(k) && first_error == 0) first_error = rc < 0 ? rc : kWrongPolls;
        });
  report_task_spacing(st, wakers);
  drop_all(wakers);
  if (first_error != 0) return skip_rc(st, "poll_queued", first_error);
  timer.finish(st, static_cast<double>(k));
  report_slot(st, e);
}

// Batched: kBatch tasks that wake themselves, one nx_run_once polls them all
// (each re-queues itself behind the others). Single: one task, one cycle.
void self_wake_poll(benchmark::State& st, Env& env, Mode m) {
  size_t k = m == Mode::kBatched ? kBatch : 1;
  Exec e;
  std::string why;
  if (e.create(0, 2 * kBatch, 2 * kBatch, &why) != 0) return st.SkipWithError(why.c_str());
  nx_future_desc d = make_desc(poll_self_wake, 0);
  for (size_t i = 0; i < k; i++) {
    int rc = e.spawn(&d, nullptr);
    if (rc < 0) return skip_rc(st, "spawn", rc);
  }
  if (m == Mode::kSingle) {
    measure_checked(st, env, m, "nx_run_once", [&] { return run_once_one(e.ex()); });
    report_slot(st, e);
    return;
  }
  CaseTimer timer(env);
  size_t n = env.samples_for(m);
  size_t warmup = n / 10 < 100 ? 100 : n / 10;
  int first_error = 0;
  for (auto _ : st)
    sample_loop(*env.samples, n, warmup, [] {}, [&] {
      int rc = nx_run_once(e.ex());
      if (rc != kBatch && first_error == 0) first_error = rc < 0 ? rc : kWrongPolls;
    });
  if (first_error != 0) return skip_rc(st, "self_wake_poll", first_error);
  timer.finish(st, kBatch);
  report_slot(st, e);
}

// One task and nothing else, as a latency-sensitive program has it; batched
// (per poll). driver nx_run: the task wakes itself kBatch - 1 times and
// completes, nx_run(NX_RUN_BUSY) polls it each time (spawned untimed).
// driver nx_run_once: kBatch nx_run_once calls, each polling the one task.
void self_wake_one(benchmark::State& st, Env& env, bool by_run) {
  Exec e;
  std::string why;
  if (e.create(sizeof(CountState), 4, 0, &why) != 0) return st.SkipWithError(why.c_str());
  int first_error = 0;
  auto note = [&](int rc) {
    if (__builtin_expect(rc < 0, 0) && first_error == 0) first_error = rc;
  };
  CaseTimer timer(env);
  size_t n = env.samples_for(Mode::kBatched);
  size_t warmup = n / 10 < 100 ? 100 : n / 10;
  if (by_run) {
    nx_future_desc d = make_desc(poll_self_wake_count, sizeof(CountState));
    CountState init{kBatch};
    for (auto _ : st)
      sample_loop(*env.samples, n, warmup, [&] { note(e.spawn(&d, &init)); },
                  [&] { note(nx_run(e.ex(), NX_RUN_BUSY)); });
  } else {
    nx_future_desc d = make_desc(poll_self_wake, 0);
    note(e.spawn(&d, nullptr));
    for (auto _ : st)
      sample_loop(*env.samples, n, warmup, [] {}, [&] {
        for (int i = 0; i < kBatch; i++) note(run_once_one(e.ex()));
      });
  }
  if (first_error != 0) return skip_rc(st, "self_wake_one", first_error);
  timer.finish(st, kBatch);
  report_slot(st, e);
}

// Batched spawn_poll_free with one task per cycle: kBatch times (spawn, one
// nx_run_once that polls and frees it).
void spawn_poll_free_one(benchmark::State& st, Env& env, size_t bytes) {
  Exec e;
  std::string why;
  if (e.create(bytes, 4, 0, &why) != 0) return st.SkipWithError(why.c_str());
  nx_future_desc d = make_desc(poll_ready, bytes);
  int first_error = 0;
  CaseTimer timer(env);
  size_t n = env.samples_for(Mode::kBatched);
  size_t warmup = n / 10 < 100 ? 100 : n / 10;
  for (auto _ : st)
    sample_loop(*env.samples, n, warmup, [] {}, [&] {
      for (int i = 0; i < kBatch; i++) {
        int rc = e.spawn(&d, g_init);
        if (rc >= 0) rc = run_once_one(e.ex());
        if (__builtin_expect(rc < 0, 0) && first_error == 0) first_error = rc;
      }
    });
  if (first_error != 0) return skip_rc(st, "spawn_poll_free_one", first_error);
  timer.finish(st, kBatch);
  report_slot(st, e);
}

void wake_other_poll(benchmark::State& st, Env& env, Mode m) {
  Exec e;
  std::string why;
  if (e.create(sizeof(PassState), 1024, 0, &why) != 0) return st.SkipWithError(why.c_str());
  std::vector<nx_waker> w(2);
  PassState a{&w[0], &w[1]}, b{&w[1], &w[0]};
  nx_future_desc d = make_desc(poll_pass, sizeof(PassState));
  int rc = e.spawn(&d, &a);
  if (rc >= 0) rc = e.spawn(&d, &b);
  if (rc >= 0) rc = e.drain();  // both cloned their wakers; nothing queued
  if (rc < 0) return skip_rc(st, "spawn", rc);
  nx_waker_wake_by_ref(&w[0]);  // from now on each poll queues the other
  measure_checked(st, env, m, "nx_run_once", [&] { return run_once_one(e.ex()); });
  drop_all(w);
  report_slot(st, e);
}

void waker_clone_drop(benchmark::State& st, Env& env, Mode m) {
  Exec e;
  std::string why;
  if (e.create(sizeof(HoldState), 1024, 0, &why) != 0) return st.SkipWithError(why.c_str());
  std::vector<nx_waker> w(1);
  std::vector<HoldState> states(1);
  int rc = spawn_holders(e, w, states);
  if (rc < 0) return skip_rc(st, "spawn", rc);
  measure_checked(st, env, m, "nx_waker_clone", [&] {
    nx_waker c;
    int r = nx_waker_clone(&w[0], &c);
    nx_waker_drop(&c);
    return r;
  });
  drop_all(w);
  report_slot(st, e);
}

// --- spawn_with_live -------------------------------------------------------

constexpr size_t kLiveFutureBytes = 64;

long rss_bytes() {
  long pages = 0, resident = 0;
  FILE* f = fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  int got = fscanf(f, "%ld %ld", &pages, &resident);
  fclose(f);
  return got == 2 ? resident * sysconf(_SC_PAGESIZE) : -1;
}

// Creates the executor of spawn_with_live and spawns `live` pending tasks.
int make_live(Exec& e, size_t live, std::string* why) {
  // Room for the live tasks plus the one the case spawns and frees.
  int rc = e.create(kLiveFutureBytes, live + 64, 1024, why);
  if (rc != 0) return rc;
  nx_future_desc d = make_desc(poll_pending, kLiveFutureBytes);
  for (size_t i = 0; i < live; i++) {
    rc = e.spawn(&d, g_init);
    if (rc < 0) {
      *why = std::string("spawning live tasks: ") + nx_strerror(rc);
      return rc;
    }
  }
  rc = e.drain();
  if (rc < 0) *why = std::string("polling live tasks: ") + nx_strerror(rc);
  return rc;
}

// `--nxbench_live_rss=N`: run in a fresh process of this same binary, so the
// RSS delta is not hidden by memory an earlier case freed and the allocator
// kept. Prints the bytes the executor with N live tasks added to the RSS.
int live_rss_child(size_t live) {
  long before = rss_bytes();
  std::string why;
  Exec e;
  if (make_live(e, live, &why) != 0) {
    fprintf(stderr, "%s\n", why.c_str());
    return 1;
  }
  long after = rss_bytes();
  if (before < 0 || after < 0) return 1;
  printf("%ld\n", after - before);
  return 0;
}

// Runs live_rss_child in a new process; -1 if that fails.
long live_rss_fresh(size_t live) {
  char exe[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len <= 0) return -1;
  exe[len] = '\0';
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    std::string arg = "--nxbench_live_rss=" + std::to_string(live);
    execl(exe, exe, arg.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  char buf[64] = {};
  ssize_t got = read(fds[0], buf, sizeof buf - 1);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return strtol(buf, nullptr, 10);
}

// The executor with N live tasks is built once per N and kept for both modes
// and every repetition (building 1,000,000 tasks dominates the case's time);
// a new N replaces it. The last one stays reachable until the process exits.
Exec* g_live_exec = nullptr;
size_t g_live_n = 0;

long live_rss_cached(size_t live) {
  static std::map<size_t, long> cache;
  auto it = cache.find(live);
  return it != cache.end() ? it->second : (cache[live] = live_rss_fresh(live));
}

void spawn_with_live(benchmark::State& st, Env& env, Mode m, size_t live) {
  if (g_live_exec == nullptr || g_live_n != live) {
    delete g_live_exec;
    g_live_exec = new Exec;
    g_live_n = live;
    std::string why;
    if (make_live(*g_live_exec, live, &why) != 0) {
      delete g_live_exec;
      g_live_exec = nullptr;
      return st.SkipWithError(why.c_str());
    }
  }
  Exec& e = *g_live_exec;
  nx_future_desc d = make_desc(poll_ready, kLiveFutureBytes);
  measure_checked(st, env, m, "spawn", [&] {
    int rc = e.spawn(&d, g_init);
    nx_run_once(e.ex());
    return rc;
  });
  if (nx_executor_live_tasks(e.ex()) != live)
    return st.SkipWithError("the live task count changed during the case");
  long rss = live_rss_cached(live);
  if (rss >= 0)
    st.counters["bytes_per_task"] = static_cast<double>(rss) / static_cast<double>(live);
  else
    fprintf(stderr, "spawn_with_live: could not measure RSS in a fresh process\n");
  report_slot(st, e);
}

// --- churn -------------------------------------------------------------------

// A churn task: pending until its mailbox says finish.
struct Mailbox {
  nx_waker waker;  // the task's clone, held by the driver
  uint32_t live_pos;
  bool finish;
};
struct ChurnState {
  Mailbox* box;
};
nx_poll poll_churn(void* p, nx_cx* cx) {
  Mailbox* b = static_cast<ChurnState*>(p)->box;
  if (b->finish) return NX_READY;
  if (b->waker.task == nullptr) {
    nx_waker w = nx_cx_waker(cx);
    nx_waker_clone(&w, &b->waker);
  }
  return NX_PENDING;
}

constexpr size_t kChurnSizes[] = {0, 64, 256, 1024};

class Churn {
 public:
  Churn(Exec& e, size_t target) : e_(e), target_(target), boxes_(2 * target + 1) {
    for (size_t i = 0; i < 4; i++)
      desc_[i] = make_desc(poll_churn, kChurnSizes[i] < sizeof(ChurnState) ? sizeof(ChurnState)
                                                                          : kChurnSizes[i]);
    for (size_t i = boxes_.size(); i-- > 0;) free_.push_back(static_cast<uint32_t>(i));
    live_.reserve(boxes_.size());
  }
  enum Kind { kSpawn, kWake, kComplete };
  struct Step {
    Kind kind;
    uint32_t pos;   // live_ index (wake/complete)
    uint32_t size;  // desc index (spawn)
  };
  // Random next step; keeps between target/2 and 2*target tasks alive.
  Step plan() {
    uint64_t r = next();
    Kind k = static_cast<Kind>(r % 3);
    if (k == kSpawn && live_.size() >= 2 * target_) k = kWake;
    if (k == kComplete && live_.size() <= target_ / 2) k = kSpawn;
    if (k == kWake && live_.empty()) k = kSpawn;
    uint32_t pos = live_.empty() ? 0 : static_cast<uint32_t>((r >> 8) % live_.size());
    return Step{k, pos, static_cast<uint32_t>((r >> 40) & 3)};
  }
  // One step and the cycle that polls it. Returns 0 or an nxrt error.
  int run(const Step& s) {
    if (s.kind == kSpawn) {
      uint32_t b = free_.back();
      free_.pop_back();
      Mailbox& box = boxes_[b];
      box.waker.task = nullptr;
      box.finish = false;
      box.live_pos = static_cast<uint32_t>(live_.size());
      live_.push_back(b);
      // spawn copies desc.size bytes: the state is the box pointer + padding.
      ChurnState init{&box};
      memcpy(init_, &init, sizeof init);
      int rc = e_.spawn(&desc_[s.size], init_);
      if (rc < 0) return rc;
    } else if (s.kind == kWake) {
      nx_waker_wake_by_ref(&boxes_[live_[s.pos]].waker);
    } else {
      uint32_t b = live_[s.pos];
      boxes_[b].finish = true;
      nx_waker_wake(&boxes_[b].waker);  // hands the clone back
      live_[s.pos] = live_.back();
      boxes_[live_[s.pos]].live_pos = s.pos;
      live_.pop_back();
      free_.push_back(b);
    }
    int rc = nx_run_once(e_.ex());
    return rc < 0 ? rc : 0;
  }
  size_t live() const { return live_.size(); }
  void drop_all() {
    for (uint32_t b : live_) nx_waker_drop(&boxes_[b].waker);
  }

 private:
  uint64_t next() {  // xorshift64*
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return rng_ * 0x2545F4914F6CDD1DULL;
  }
  Exec& e_;
  size_t target_;
  std::vector<Mailbox> boxes_;
  std::vector<uint32_t> free_, live_;
  nx_future_desc desc_[4];
  uint64_t rng_ = 0x9E3779B97F4A7C15ULL;
  alignas(64) unsigned char init_[1024] = {};
};

void churn(benchmark::State& st, Env& env, Mode m, size_t target) {
  Exec e;
  std::string why;
  if (e.create(1024, 2 * target + 64, 1024, &why) != 0) return st.SkipWithError(why.c_str());
  Churn c(e, target);
  int err = 0;
  // Fill to the target with spawns of random sizes, then churn.
  while (c.live() < target && err == 0) {
    Churn::Step s = c.plan();
    s.kind = Churn::kSpawn;
    err = c.run(s);
  }
  if (err == 0) err = e.drain();
  if (err < 0) return skip_rc(st, "filling", err);
  CaseTimer timer(env);
  size_t n = env.samples_for(m);
  Churn::Step step{};
  auto note = [&](int rc) {
    if (rc < 0 && err == 0) err = rc;
  };
  for (auto _ : st) {
    if (m == Mode::kBatched)
      sample_loop(*env.samples, n, n / 10, [] {}, [&] {
        for (int i = 0; i < kBatch; i++) note(c.run(c.plan()));
      });
    else
      sample_loop(*env.samples, n, n / 10, [&] { step = c.plan(); }, [&] { note(c.run(step)); });
  }
  c.drop_all();
  if (err != 0) return skip_rc(st, "churn step", err);
  timer.finish(st, m == Mode::kBatched ? kBatch : 1);
  report_slot(st, e);
}

// --- cross-thread wake -------------------------------------------------------

struct CrossState {
  CrossWake* cw;
  nx_waker* out;
  std::atomic<bool>* cloned;
};
nx_poll poll_cross(void* p, nx_cx* cx) {
  CrossState* s = static_cast<CrossState*>(p);
  if (s->out != nullptr) {
    nx_waker w = nx_cx_waker(cx);
    nx_waker_clone(&w, s->out);
    s->out = nullptr;
    s->cloned->store(true, std::memory_order_release);
  }
  s->cw->respond();
  return s->cw->stopping() ? NX_READY : NX_PENDING;
}

// How the executor side of a cross-thread round trip runs, and how the
// waker waits for the answer (blocked on an eventfd, or spinning).
struct CrossRun {
  nx_run_mode mode;
  bool answer_by_eventfd;
  int64_t spin_ns;  // NX_RUN_SPIN_PARK budget; -1: the default
  int64_t gap_ns;   // idle gap before each round trip (single mode), 0: none
};

void cross_wake(benchmark::State& st, Env& env, Mode m, const CrossRun& how,
                const PuPair& pair) {
  CaseTimer timer(env);
  bool parked = how.answer_by_eventfd;
  CrossWake cw(parked, how.gap_ns);
  std::string why;
  if (!cw.ok(&why)) return st.SkipWithError(why.c_str());
  size_t samples = env.roundtrip_samples(m, parked || how.gap_ns > 0);
  int run_rc = 0;
  for (auto _ : st) {
    // The executor belongs to the thread that creates it: the main thread,
    // which run_on_pair pins to the pair's first PU before main_fn.
    Exec e;
    nx_waker waker{nullptr};
    std::atomic<bool> cloned{false};
    run_on_pair(
        st, env, pair,
        [&] {
          if (e.create(sizeof(CrossState), 64, 0, &why, how.spin_ns) != 0) {
            run_rc = NX_EINVAL;
            cw.abandon();
            return;
          }
          CrossState init{&cw, &waker, &cloned};
          nx_future_desc d = make_desc(poll_cross, sizeof(CrossState));
          cw.executor_thread_is_me();
          run_rc = e.spawn(&d, &init);
          if (run_rc >= 0) run_rc = nx_run(e.ex(), how.mode);
          if (run_rc < 0) cw.abandon();
        },
        [&] {
          if (!cw.wait_until(cloned)) return;
          cw.drive(env, m, samples, [&] { nx_waker_wake_by_ref(&waker); });
          nx_waker_drop(&waker);
        });
    if (run_rc < 0 && why.empty()) why = std::string("executor: ") + nx_strerror(run_rc);
  }
  if (run_rc < 0) return st.SkipWithError(why.c_str());
  if (!cw.finish(st)) return;
  timer.finish(st, m == Mode::kBatched ? kBatch : 1);
}

}  // namespace

// ---------------------------------------------------------------------------

int binary_early_main(int argc, char** argv) {
  const char* flag = "--nxbench_live_rss=";
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], flag, strlen(flag)) == 0) {
      g_use_slab = strcmp(nx_backend_name(), "slab") == 0;
      g_alloc = nx_backend_allocator();
      if (g_alloc == nullptr) return 1;
      return live_rss_child(strtoull(argv[i] + strlen(flag), nullptr, 10));
    }
  }
  return -1;
}

BackendInfo binary_backend() {
  // First call on the main thread, which runs every executor (mimalloc's
  // heap belongs to the thread that first asks for the allocator).
  g_alloc = nx_backend_allocator();
  g_use_slab = strcmp(nx_backend_name(), "slab") == 0;
  std::string version = g_use_slab ? std::string("nxrt ") + nx_version() +
                                         " executor-owned bounded slab (nx_spawn_slab)"
                                   : nx_backend_version();
  return BackendInfo{nx_backend_name(), version, "executor", "malloc"};
}

namespace {

CaseInfo local_case(const char* name, const char* function, const char* description) {
  CaseInfo c;
  c.name = name;
  c.kind = CaseKind::kLocal;
  c.function = function;
  c.description = description;
  c.floor = "indirect_call";
  return c;
}

// The shapes a latency-sensitive program has: one task per cycle, and a
// waker that spins for the answer (the method of the other executors' own
// benchmarks), with the executor busy, parked or spinning before it parks.
void register_latency_cases(Env& env) {
  Env* e = &env;
  Case& swo = NXB_DESCRIBE_CASE(local_case(
      "self_wake_one", "self_wake_one",
      "one task and nothing else waking itself, re-polled (per poll): the per-cycle overhead "
      "next to self_wake_poll's 100 tasks per cycle"));
  swo.add(Mode::kBatched, {{"driver", "nx_run"}},
          "one task waking itself, nx_run(NX_RUN_BUSY) re-polls it (per poll)",
          [e](benchmark::State& st) { self_wake_one(st, *e, true); });
  swo.add(Mode::kBatched, {{"driver", "nx_run_once"}},
          "one task waking itself, one nx_run_once per poll (per poll)",
          [e](benchmark::State& st) { self_wake_one(st, *e, false); });
  Case& spo = NXB_DESCRIBE_CASE(local_case(
      "spawn_poll_free_one", "spawn_poll_free_one",
      "spawn + one nx_run_once per task (batched): spawn_poll_free with one task per cycle"));
  spo.add(Mode::kBatched, {{"future_bytes", "64"}},
          "spawn a future ready at once, one nx_run_once polls and frees it (100 in a row)",
          [e](benchmark::State& st) { spawn_poll_free_one(st, *e, 64); });

  CaseInfo rs;
  rs.name = "cross_wake_responsive";
  rs.kind = CaseKind::kCross;
  rs.function = "cross_wake";
  rs.description = "cross_wake_busy's round trip with the executor busy, parked or spinning "
                   "before it parks (spin_ns), the waker spinning for the answer; sleeps and "
                   "CPU per op of both threads";
  rs.floor = "pingpong";
  rs.needs_pair = true;
  rs.measured = {"voluntary_csw_per_op"};
  rs.not_profiled = "two threads: callgrind runs threads one at a time, so a cross-thread "
                    "round trip is not what it measures";
  Case& rsc = NXB_DESCRIBE_CASE(rs);
  CaseInfo ig = rs;
  ig.name = "cross_wake_idle_gap";
  ig.description = "cross_wake_responsive after 500 us idle (longer than the spin budget): "
                   "the true-sleep cost in both parked modes";
  Case& igc = NXB_DESCRIBE_CASE(ig);
  // Spin budgets of the latency-vs-CPU curve; the default among them.
  const int64_t budgets[] = {1000, 10000, NX_IDLE_SPIN_NS_DEFAULT, 200000};
  constexpr int64_t kGapNs = 500000;  // longer than every budget above
  for (const PuPair& p : env.pairs) {
    const char* cls = pair_class_name(p.cls);
    auto add = [&](Case& c, const char* run, int64_t spin, int64_t gap, nx_run_mode mode,
                   const char* what) {
      Params params{{"run", run}};
      if (mode == NX_RUN_SPIN_PARK) params.push_back({"spin_ns", std::to_string(spin)});
      params.push_back({"pair_class", cls});
      CrossRun how{mode, false, spin, gap};
      c.add(Mode::kSingle, params, what,
            [e, how, p](benchmark::State& st) { cross_wake(st, *e, Mode::kSingle, how, p); });
    };
    add(rsc, "busy", -1, 0, NX_RUN_BUSY,
        "other core wakes a task (NX_RUN_BUSY), the waker spins for the answer");
    add(rsc, "parked", -1, 0, NX_RUN_PARKED,
        "other core wakes a task (NX_RUN_PARKED), the waker spins for the answer");
    for (int64_t b : budgets)
      add(rsc, "spin_park", b, 0, NX_RUN_SPIN_PARK,
          "other core wakes a task (NX_RUN_SPIN_PARK), the waker spins for the answer");
    add(igc, "parked", -1, kGapNs, NX_RUN_PARKED,
        "500 us idle, then other core wakes a task (NX_RUN_PARKED), the waker spins");
    add(igc, "spin_park", NX_IDLE_SPIN_NS_DEFAULT, kGapNs, NX_RUN_SPIN_PARK,
        "500 us idle, then other core wakes a task (NX_RUN_SPIN_PARK), the waker spins");
  }
}

int register_executor_cases(Env& env) {
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
  Env* e = &env;
  const Mode modes[] = {Mode::kBatched, Mode::kSingle};

  Case& spf = NXB_DESCRIBE_CASE(local_case(
      "spawn_poll_free", "spawn_poll_free",
      "spawn a future that is ready at once, nx_run_once polls it, it is freed"));
  for (Mode m : modes)
    for (size_t bytes : {0, 64, 256, 1024})
      spf.add(m, {{"future_bytes", std::to_string(bytes)}},
              m == Mode::kBatched
                  ? "100 spawns of a future ready at once, one nx_run_once polls and frees them (per task)"
                  : "spawn a future that is ready at once, one nx_run_once polls and frees it",
              [e, m, bytes](benchmark::State& st) { spawn_poll_free(st, *e, m, bytes); });

  CaseInfo pq = local_case("poll_queued", "poll_queued",
                           "nx_run_once polling tasks already queued by a wake");
  pq.control = true;
  Case& pqc = NXB_DESCRIBE_CASE(pq);
  CaseInfo sw = local_case("self_wake_poll", "self_wake_poll",
                           "nx_run_once polling tasks that wake themselves");
  sw.control = true;
  Case& swc = NXB_DESCRIBE_CASE(sw);
  Case& woc = NXB_DESCRIBE_CASE(local_case("wake_other_poll", "wake_other_poll",
                                           "nx_run_once polling a task that wakes another"));
  CaseInfo wc = local_case("waker_clone_drop", "waker_clone_drop", "clone a waker, drop the clone");
  wc.control = true;
  Case& wcc = NXB_DESCRIBE_CASE(wc);
  for (Mode m : modes) {
    pqc.add(m, {},
            m == Mode::kBatched ? "nx_run_once polling 100 tasks queued by a wake (per poll)"
                                : "nx_run_once polling one task queued by a wake",
            [e, m](benchmark::State& st) { poll_queued(st, *e, m); });
    swc.add(m, {},
            m == Mode::kBatched ? "nx_run_once polling 100 tasks that each wake themselves (per poll)"
                                : "nx_run_once polling one task that wakes itself",
            [e, m](benchmark::State& st) { self_wake_poll(st, *e, m); });
    woc.add(m, {}, "nx_run_once polling a task that wakes another",
            [e, m](benchmark::State& st) { wake_other_poll(st, *e, m); });
    wcc.add(m, {}, "clone a waker, drop the clone",
            [e, m](benchmark::State& st) { waker_clone_drop(st, *e, m); });
  }

  CaseInfo live = local_case("spawn_with_live", "spawn_with_live",
                             "spawn+poll+free of a 64-byte future with live_tasks tasks alive");
  live.measured = {"bytes_per_task"};
  live.scaling_param = "live_tasks";
  Case& lc = NXB_DESCRIBE_CASE(live);
  for (size_t n = 1; n <= env.max_live_tasks(); n *= 10)
    for (Mode m : modes)
      lc.add(m, {{"live_tasks", std::to_string(n)}}, live.description,
             [e, m, n](benchmark::State& st) { spawn_with_live(st, *e, m, n); });

  CaseInfo ch = local_case("churn", "churn",
                           "random spawn (0/64/256/1024 B) / wake / complete, each with its nx_run_once");
  ch.not_profiled = "a random mix whose per-operation count depends on the mix; profile "
                    "spawn_poll_free and spawn_with_live instead";
  Case& cc = NXB_DESCRIBE_CASE(ch);
  size_t churn_live = env.quick ? 1000 : 10000;
  for (Mode m : modes)
    cc.add(m, {{"live_tasks", std::to_string(churn_live)}}, ch.description,
           [e, m, churn_live](benchmark::State& st) { churn(st, *e, m, churn_live); });

  add_cross_wake_cases(
      env.pairs, CaseKind::kCross, __FILE__, "cross_wake",
      "other core wakes a task (NX_RUN_BUSY), the task answers, the waker spins",
      "other core wakes a task (NX_RUN_PARKED), the task answers by eventfd",
      [e](benchmark::State& st, Mode m, bool parked, const PuPair& p) {
        CrossRun how{parked ? NX_RUN_PARKED : NX_RUN_BUSY, parked, -1, 0};
        cross_wake(st, *e, m, how, p);
      });
  register_latency_cases(env);
  return 0;
}

}  // namespace

NXB_FAMILY(10, register_executor_cases);

}  // namespace nxb

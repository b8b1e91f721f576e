// Wake and poll cases: what a cycle costs per task already queued
// (poll_queued), per task that wakes itself (self_wake_poll) or another
// (wake_other_poll), and a waker's clone + drop (waker_clone_drop). No
// allocation in the timed part of poll_queued, self_wake_poll and
// waker_clone_drop: they are the catalogue's control cases. self_wake_one:
// one task and nothing else waking itself, driven by nx_run (busy) or one
// nx_run_once per poll (the per-cycle overhead a latency-sensitive program
// with one task pays).
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "exec_adapter.h"
#include "harness.h"

namespace nxb {
namespace {

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
        *env.samples, n, warmup_samples(n),
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
  e.report_slot(st);
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
    e.report_slot(st);
    return;
  }
  CaseTimer timer(env);
  size_t n = env.samples_for(m);
  size_t warmup = warmup_samples(n);
  int first_error = 0;
  for (auto _ : st)
    sample_loop(*env.samples, n, warmup, [] {}, [&] {
      int rc = nx_run_once(e.ex());
      if (rc != kBatch && first_error == 0) first_error = rc < 0 ? rc : kWrongPolls;
    });
  if (first_error != 0) return skip_rc(st, "self_wake_poll", first_error);
  timer.finish(st, kBatch);
  e.report_slot(st);
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
  size_t warmup = warmup_samples(n);
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
  e.report_slot(st);
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
  e.report_slot(st);
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
  e.report_slot(st);
}

int register_wake_cases(Env& env) {
  Env* e = &env;
  const Mode modes[] = {Mode::kBatched, Mode::kSingle};
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
  return 0;
}

}  // namespace

NXB_FAMILY(20, register_wake_cases);

}  // namespace nxb

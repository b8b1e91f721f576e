// Cross-thread wake cases: a thread on the other core of a core pair wakes
// a task, the task answers; the executor busy (cross_wake_busy) or parked
// (cross_wake_parked). The waking side is cross_wake.h, shared with the peers.
//   cross_wake_responsive  the same with the waker spinning for the answer,
//                      executor run = busy | parked | spin_park (spin_ns)
//   cross_wake_idle_gap  responsive, with an idle gap before each round trip
//                      (the true-sleep cost, and what a budget burns idle)
// Both are registered by add_responsive_cases (cross_wake.h), as for the peers.
#include <atomic>
#include <string>
#include <vector>

#include "cross_wake.h"
#include "exec_adapter.h"
#include "harness.h"

namespace nxb {
namespace {

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
                const PuPair& pair, size_t samples) {
  CaseTimer timer(env);
  bool parked = how.answer_by_eventfd;
  CrossWake cw(parked, how.gap_ns);
  std::string why;
  if (!cw.ok(&why)) return st.SkipWithError(why.c_str());
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

// Spin budgets of the latency-vs-CPU curve (ns), the default among them.
// 1 us already covers a waker that answers at once (its turnaround is well
// under a microsecond), so the responsive rows' knee lies between parked and
// 1 us; 10-200 us bracket one sleep and wake-up on this machine kind; 1 ms
// outlasts the idle gap, so cross_wake_idle_gap shows the other side of its
// knee (the executor never sleeps and burns the whole gap).
const std::vector<int64_t> kSpinBudgets = {1000, 10000, NX_IDLE_SPIN_NS_DEFAULT, 200000, 1000000};

// The shape a latency-sensitive program has: a waker that spins for the
// answer (the method of the other executors' own benchmarks), with the
// executor busy, parked or spinning before it parks.
void responsive(benchmark::State& st, Env& env, const IdleShape& how, const PuPair& pair) {
  nx_run_mode mode = how.run == "busy"     ? NX_RUN_BUSY
                     : how.run == "parked" ? NX_RUN_PARKED
                                           : NX_RUN_SPIN_PARK;
  cross_wake(st, env, Mode::kSingle, {mode, false, how.spin_ns, how.gap_ns}, pair,
             responsive_samples(env, how));
}

int register_cross_cases(Env& env) {
  Env* e = &env;
  add_cross_wake_cases(
      env.pairs, CaseKind::kCross, __FILE__, "cross_wake",
      "other core wakes a task (NX_RUN_BUSY), the task answers, the waker spins",
      "other core wakes a task (NX_RUN_PARKED), the task answers by eventfd",
      [e](benchmark::State& st, Mode m, bool parked, const PuPair& p) {
        CrossRun how{parked ? NX_RUN_PARKED : NX_RUN_BUSY, parked, -1, 0};
        cross_wake(st, *e, m, how, p, e->roundtrip_samples(m, parked));
      });
  add_responsive_cases(
      env.pairs, CaseKind::kCross, __FILE__, "responsive", "other core wakes a task (NX_RUN_BUSY)",
      "other core wakes a task (NX_RUN_PARKED)", "other core wakes a task (NX_RUN_SPIN_PARK)",
      kSpinBudgets, [e](benchmark::State& st, const IdleShape& how, const PuPair& p) {
        responsive(st, *e, how, p);
      });
  return 0;
}

}  // namespace

NXB_FAMILY(40, register_cross_cases);

}  // namespace nxb

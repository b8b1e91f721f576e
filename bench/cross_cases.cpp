// Cross-thread wake cases: a thread on the other core of a core pair wakes
// a task, the task answers; the executor busy (cross_wake_busy) or parked
// (cross_wake_parked). The waking side is cross_wake.h, shared with the peers.
//   cross_wake_responsive  the same with the waker spinning for the answer,
//                      executor run = busy | parked | spin_park (spin_ns)
//   cross_wake_idle_gap  responsive, with an idle gap longer than the spin
//                      budget before each round trip (the true-sleep cost)
#include <atomic>
#include <string>

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

// The shape a latency-sensitive program has: a waker that spins for the
// answer (the method of the other executors' own benchmarks), with the
// executor busy, parked or spinning before it parks.
void register_responsive_cases(Env& env) {
  Env* e = &env;
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

int register_cross_cases(Env& env) {
  Env* e = &env;
  add_cross_wake_cases(
      env.pairs, CaseKind::kCross, __FILE__, "cross_wake",
      "other core wakes a task (NX_RUN_BUSY), the task answers, the waker spins",
      "other core wakes a task (NX_RUN_PARKED), the task answers by eventfd",
      [e](benchmark::State& st, Mode m, bool parked, const PuPair& p) {
        CrossRun how{parked ? NX_RUN_PARKED : NX_RUN_BUSY, parked, -1, 0};
        cross_wake(st, *e, m, how, p);
      });
  register_responsive_cases(env);
  return 0;
}

}  // namespace

NXB_FAMILY(40, register_cross_cases);

}  // namespace nxb

// Cross-thread wake cases: a thread on the other core of a core pair wakes
// a task, the task answers; the executor busy (cross_wake_busy) or parked
// (cross_wake_parked). The waking side is cross_wake.h, shared with the peers.
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

void cross_wake(benchmark::State& st, Env& env, Mode m, bool parked, const PuPair& pair) {
  CaseTimer timer(env);
  CrossWake cw(parked);
  std::string why;
  if (!cw.ok(&why)) return st.SkipWithError(why.c_str());
  size_t samples = env.roundtrip_samples(m, parked);
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
          if (e.create(sizeof(CrossState), 64, 0, &why) != 0) {
            run_rc = NX_EINVAL;
            cw.abandon();
            return;
          }
          CrossState init{&cw, &waker, &cloned};
          nx_future_desc d = make_desc(poll_cross, sizeof(CrossState));
          run_rc = e.spawn(&d, &init);
          if (run_rc >= 0) run_rc = nx_run(e.ex(), parked ? NX_RUN_PARKED : NX_RUN_BUSY);
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

int register_cross_cases(Env& env) {
  Env* e = &env;
  add_cross_wake_cases(
      env.pairs, CaseKind::kCross, __FILE__, "cross_wake",
      "other core wakes a task (NX_RUN_BUSY), the task answers, the waker spins",
      "other core wakes a task (NX_RUN_PARKED), the task answers by eventfd",
      [e](benchmark::State& st, Mode m, bool parked, const PuPair& p) {
        cross_wake(st, *e, m, parked, p);
      });
  return 0;
}

}  // namespace

NXB_FAMILY(40, register_cross_cases);

}  // namespace nxb

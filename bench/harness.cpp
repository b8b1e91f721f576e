// Shared case plumbing (see harness.h).
#include "harness.h"

#include <immintrin.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace nxb {

// Samples per process. `nxbench run` starts every binary afresh in each of
// several rounds, and the rounds carry the run-to-run spread, so one
// process needs only enough samples for a stable p99 (100 above it in
// single mode); --nxbench_quick is the smoke run's tenth of that.
size_t Env::samples_for(Mode m) const {
  if (m == Mode::kBatched) return quick ? 1000 : 10000;
  return quick ? 5000 : 50000;
}

std::string case_name(const char* c, Mode m,
                      const std::vector<std::pair<std::string, std::string>>& params) {
  std::string s = std::string(c) + "/mode:" + mode_name(m);
  for (const auto& kv : params) s += "/" + kv.first + ":" + kv.second;
  return s;
}

void add_case(const std::string& name, const std::string& description,
              std::function<void(benchmark::State&)> body) {
  benchmark::RegisterBenchmark(name.c_str(),
                               [description, body](benchmark::State& st) {
                                 st.SetLabel(description);
                                 body(st);
                               })
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
}

void add_cross_wake_cases(const std::vector<PuPair>& pairs, const char* busy_description,
                          const char* parked_description, const CrossWakeRun& run) {
  for (const PuPair& p : pairs) {
    const char* cls = pair_class_name(p.cls);
    for (Mode m : {Mode::kBatched, Mode::kSingle})
      add_case(case_name("cross_wake_busy", m, {{"pair_class", cls}}), busy_description,
               [run, m, p](benchmark::State& st) { run(st, m, false, p); });
    add_case(case_name("cross_wake_parked", Mode::kSingle, {{"pair_class", cls}}),
             parked_description,
             [run, p](benchmark::State& st) { run(st, Mode::kSingle, true, p); });
  }
}

void CaseTimer::finish(benchmark::State& st, double ops_per_sample) const {
  Samples& s = *env_.samples;
  if (s.dropped() != 0) {
    st.SkipWithError("more samples than the buffer holds (a bug in the case)");
    return;
  }
  Summary sum = summarize(s, ops_per_sample, cost_.mean);
  export_summary(st, sum, env_.tsc_ghz);
  st.counters["timer_cost_p50_cycles"] = cost_.p50;
  st.counters["timer_cost_min_cycles"] = cost_.min;
}

Csw csw_now(int who) {
  struct rusage ru;
  Csw c;
  if (getrusage(who, &ru) == 0) {
    c.voluntary = ru.ru_nvcsw;
    c.involuntary = ru.ru_nivcsw;
  }
  return c;
}

void export_csw(benchmark::State& st, const Csw& self_delta, const Csw& other_delta, size_t ops) {
  double n = ops ? static_cast<double>(ops) : 1.0;
  st.counters["voluntary_csw_per_op"] = static_cast<double>(self_delta.voluntary) / n;
  st.counters["voluntary_csw_per_op_main"] =
      static_cast<double>(self_delta.voluntary - other_delta.voluntary) / n;
  st.counters["voluntary_csw_per_op_other"] = static_cast<double>(other_delta.voluntary) / n;
  st.counters["involuntary_csw_per_op"] = static_cast<double>(self_delta.involuntary) / n;
}

bool run_on_pair(benchmark::State& st, const Env& env, const PuPair& pair,
                 const std::function<void()>& main_fn, const std::function<void()>& other_fn) {
  int rc = env.topo->bind_current_thread(pair.first_os);
  if (rc != 0) {
    std::string msg = "cannot pin to PU P#" + std::to_string(pair.first_os) + ": " + strerror(-rc);
    st.SkipWithError(msg.c_str());
    return false;
  }
  std::atomic<int> other_rc{1};
  std::thread other([&] {
    int r = env.topo->bind_current_thread(pair.second_os);
    other_rc.store(r == 0 ? 0 : -r, std::memory_order_release);
    if (r == 0) other_fn();
  });
  // The partner reports its pinning before main_fn starts talking to it; if
  // it could not pin, main_fn is never run and nothing waits on it.
  int orc;
  while ((orc = other_rc.load(std::memory_order_acquire)) == 1) _mm_pause();
  if (orc == 0) main_fn();
  other.join();
  env.topo->bind_current_thread(env.home_pu);
  if (orc != 0) {
    std::string msg = "cannot pin to PU P#" + std::to_string(pair.second_os) + ": " + strerror(orc);
    st.SkipWithError(msg.c_str());
    return false;
  }
  return true;
}

void spin_until(const std::atomic<bool>& flag) {
  while (!flag.load(std::memory_order_acquire)) _mm_pause();
}

}  // namespace nxb

// What every benchmark binary shares: the run environment, case
// registration, the timing loops and context-switch counting.
//
// Every case runs as ONE google-benchmark iteration (Iterations(1)) that
// records its own samples, so the executor thread is free to block in
// nx_run() while another thread does the timing. google-benchmark's own time
// column is then the whole case's duration; the numbers that matter are the
// user counters (see samples.h).
//
// Case names: "<case>/mode:<batched|single>/<param>:<value>...". The first
// segment is the case name of the results schema (bench/README.md); the
// others are its params. The label is the variant's one-line description;
// the case itself is described once in the catalogue (CaseInfo below).
#ifndef NXBENCH_HARNESS_H
#define NXBENCH_HARNESS_H

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "samples.h"
#include "topology.h"
#include "tsc.h"

namespace nxb {

// Batched mode times this many operations between one timestamp pair.
constexpr int kBatch = 100;

enum class Mode { kBatched, kSingle };
inline const char* mode_name(Mode m) { return m == Mode::kBatched ? "batched" : "single"; }

struct Env {
  double tsc_ghz = 0;
  const Topology* topo = nullptr;
  Samples* samples = nullptr;
  bool quick = false;
  unsigned home_pu = 0;          // PU (OS index) single-thread cases run on
  std::vector<PuPair> pairs;     // one per pair class this machine has

  // Samples per case run (per process: see harness.cpp). Single: one
  // operation per sample; batched: kBatch.
  size_t samples_for(Mode m) const;
  // Samples of a cross-thread round trip. Spinning partners (~100-2000
  // cycles each): single mode one round trip per sample, batched kBatch.
  // Blocking partners (~50-150 us each here): single mode only.
  size_t roundtrip_samples(Mode m, bool blocking) const {
    if (blocking) return quick ? 200 : 2000;
    if (m == Mode::kBatched) return quick ? 25 : 250;
    return quick ? 1000 : 10000;
  }
  // Largest live-task count of spawn_with_live.
  size_t max_live_tasks() const { return quick ? 10000 : 1000000; }
};

// Who this binary measures. Every result row carries `name` and `version`
// as the running binary reports them.
struct BackendInfo {
  std::string name;     // "malloc", "slab", ..., "floor", "asio", "libuv"
  std::string version;  // the linked library's own version text
  std::string kind;     // "executor", "floor" or "peer"
  // The backend every other one is read against (paired ratios); the
  // executor binaries name it, the others leave it empty.
  std::string reference;
};

// Each benchmark binary defines binary_backend() (bench_main.cpp calls it
// before any case is registered). Its cases come from the families linked
// into it (NXB_FAMILY below).
BackendInfo binary_backend();

// Optional (a weak default returns -1): sees the command line before
// anything else; returns an exit code to end the process there, or -1.
// The executor binaries use it to measure RSS in a fresh process.
int binary_early_main(int argc, char** argv);

// ---------------------------------------------------------------------------
// The case catalogue (bench/README.md, "The catalogue"). Every case is
// described once, beside the code that measures it; `--nxbench_cases`
// prints the catalogue as JSON, and the tools read what they need to know
// about a case (kind, floor, control, ...) from there, never from lists of
// their own.
// ---------------------------------------------------------------------------

enum class CaseKind {
  kLocal,  // executor, one thread
  kCross,  // executor, two threads on a core pair
  kFloor,  // what a case costs at least, no executor
  kPeer,   // another library doing what an executor case does
};
const char* case_kind_name(CaseKind k);

using Params = std::vector<std::pair<std::string, std::string>>;

struct CaseInfo {
  std::string name;         // the results schema's case name
  CaseKind kind = CaseKind::kLocal;
  std::string description;  // one line
  std::string function;     // the function that measures it (in the calling file)
  std::string floor;        // the floor case it is read against ("" for a floor)
  // Params that pick another floor: {"where=cross", "pingpong"}; first match wins.
  std::vector<std::pair<std::string, std::string>> floor_when;
  // No allocation in the timed operation: every backend should measure the
  // same, so the differences are the run's noise (the verdicts' band).
  bool control = false;
  bool needs_pair = false;            // absent on a machine without a core pair
  std::vector<std::string> measured;  // counters every row of it must carry
  std::string scaling_param;          // drawn as a curve over this param
  std::string not_profiled;           // why `nxbench profile` cannot take it
  // The report section of its own that draws the case ("network", "idle",
  // "timer_lateness"); the executor, floor and peer versions of one
  // measurement name the same. Empty: the general tables only.
  std::string section;
  // The one variant that stands for the suite where a single one is shown
  // (the report's trend section; `nxbench profile` and `nxbench trend`
  // without a case). At most one case of a binary sets `headline`.
  bool headline = false;
  Mode headline_mode = Mode::kBatched;
  Params headline_params;
};

using CaseBody = std::function<void(benchmark::State&)>;

// A described case: add() registers one variant of it (a mode and params)
// as a single-iteration benchmark named "<case>/mode:<mode>/<k>:<v>/..."
// and labelled `label` (the variant's one-line description).
class Case {
 public:
  explicit Case(CaseInfo info, std::string file);
  void add(Mode m, const Params& params, const std::string& label, CaseBody body);
  const CaseInfo& info() const { return info_; }
  std::string json() const;

 private:
  CaseInfo info_;
  std::string file_;
  std::vector<std::string> modes_;
  std::vector<std::pair<std::string, std::vector<std::string>>> params_;
};

// Describes a case of the calling file; the reference stays valid.
Case& describe_case_in(CaseInfo info, const char* file);
#define NXB_DESCRIBE_CASE(info) ::nxb::describe_case_in((info), __FILE__)

// The catalogue of this binary as JSON (schema 1).
std::string catalogue_json(const BackendInfo& backend);

// A family of cases (one *_cases.cpp file): fn registers its cases and
// returns 0, or non-zero after printing why the binary cannot run. Families
// run in `order`, which is also the order of the catalogue and of reports.
using FamilyFn = int (*)(Env& env);
struct FamilyRegistrar {
  FamilyRegistrar(int order, const char* name, FamilyFn fn);
};
#define NXB_FAMILY(order, fn) \
  static const ::nxb::FamilyRegistrar nxb_family_##fn((order), #fn, (fn))

// Runs every family linked into the binary. Returns 0 or the first non-zero.
int register_families(Env& env);

// "<case>/mode:<mode>/<k>:<v>/...".
std::string case_name(const std::string& c, Mode m, const Params& params = {});

// Describes cross_wake_busy (batched and single) and cross_wake_parked
// (single) and registers them for every core pair of the run, the same way
// for the executor (kind kCross) and its peers (kPeer); run(st, mode,
// parked, pair) measures one, `function` names it.
using CrossWakeRun = std::function<void(benchmark::State&, Mode, bool, const PuPair&)>;
void add_cross_wake_cases(const std::vector<PuPair>& pairs, CaseKind kind, const char* file,
                          const char* function, const char* busy_description,
                          const char* parked_description, const CrossWakeRun& run);

// Timer cost, measured right before a case and cleared samples; then
// finish() turns the samples into counters.
struct CaseTimer {
  explicit CaseTimer(Env& env) : env_(env), cost_(tsc_timer_cost()) { env.samples->clear(); }
  // Exports the percentiles (ops_per_sample: kBatch or 1).
  void finish(benchmark::State& st, double ops_per_sample) const;
  const TimerCost& cost() const { return cost_; }

 private:
  Env& env_;
  TimerCost cost_;
};

// How many untimed rounds come before `n` timed samples, in every case: a
// tenth of the samples, at least 100 (caches, branch predictors and the
// allocator's free lists settle before the first timed sample).
inline size_t warmup_samples(size_t n) { return n / 10 < 100 ? 100 : n / 10; }

// Runs `warmup` untimed rounds, then `n` timed ones. Each round calls
// prep() untimed (may be empty), then times op() with one fenced pair.
template <class Prep, class Op>
inline void sample_loop(Samples& s, size_t n, size_t warmup, Prep&& prep, Op&& op) {
  for (size_t i = 0; i < warmup; i++) {
    prep();
    op();
  }
  for (size_t i = 0; i < n; i++) {
    prep();
    uint64_t t0 = tsc_begin();
    op();
    uint64_t t1 = tsc_end();
    s.push(t1 - t0);
  }
}

// The common shape: `op` is one operation; batched mode times kBatch of them
// per sample, single mode one; warmup_samples(n) rounds first.
template <class Op>
inline void measure_op(benchmark::State& st, Env& env, Mode m, Op&& op) {
  CaseTimer timer(env);
  size_t n = env.samples_for(m);
  size_t warmup = warmup_samples(n);
  for (auto _ : st) {
    if (m == Mode::kBatched)
      sample_loop(*env.samples, n, warmup, [] {}, [&] {
        for (int i = 0; i < kBatch; i++) op();
      });
    else
      sample_loop(*env.samples, n, warmup, [] {}, op);
  }
  timer.finish(st, m == Mode::kBatched ? kBatch : 1);
}

// Context switches (getrusage), to tell a thread that slept from one that
// spun: RUSAGE_SELF (all threads) or RUSAGE_THREAD (the calling thread).
struct Csw {
  long voluntary = 0;
  long involuntary = 0;
};
Csw csw_now(int who);
// Sets voluntary_csw_per_op (whole process), voluntary_csw_per_op_main (the
// executor/loop thread), voluntary_csw_per_op_other (the thread that wakes it)
// and involuntary_csw_per_op (whole process) from deltas over `ops` ops.
void export_csw(benchmark::State& st, const Csw& self_delta, const Csw& other_delta, size_t ops);

// Runs main_fn on the calling thread pinned to pair.first_os, and other_fn
// on a new thread pinned to pair.second_os; joins; re-pins the caller to
// env.home_pu. Returns false (after SkipWithError) if pinning fails.
bool run_on_pair(benchmark::State& st, const Env& env, const PuPair& pair,
                 const std::function<void()>& main_fn, const std::function<void()>& other_fn);

// Spins until `flag` becomes true (acquire); the partner threads use it to
// start together.
void spin_until(const std::atomic<bool>& flag);

}  // namespace nxb

#endif

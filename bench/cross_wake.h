// The waking side of a cross-thread wake round trip, shared by the executor
// cases and the peers (Asio, libuv) so all are measured the same way.
//
// One round trip, timed on the waking thread (pinned to the pair's second PU):
//   request = ++seq; send() (wake the task / post / uv_async_send);
//   wait until the executor side has answered `seq`.
// The executor side (pinned to the pair's first PU) calls respond() whenever
// it runs. Busy: the waker spins on `answer`, like the pingpong floor's
// threads. Parked: the executor side also writes an eventfd and the waker
// blocks in read() on it, like the eventfd floor's threads.
//
// Optionally (single mode) the waker leaves an idle gap before each timed
// round trip (it sleeps, untimed), so an executor that spins
// for a while before it parks is found asleep. CPU time per op of both
// threads is reported when the executor side named its thread
// (executor_thread_is_me()).
#ifndef NXBENCH_CROSS_WAKE_H
#define NXBENCH_CROSS_WAKE_H

#include <pthread.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "harness.h"

namespace nxb {

class CrossWake {
 public:
  explicit CrossWake(bool parked, int64_t gap_ns = 0) : parked_(parked), gap_ns_(gap_ns) {
    if (parked_) answer_fd_ = eventfd(0, EFD_CLOEXEC);
  }
  ~CrossWake() {
    if (answer_fd_ >= 0) close(answer_fd_);
  }
  CrossWake(const CrossWake&) = delete;
  CrossWake& operator=(const CrossWake&) = delete;

  // False (with the reason) if the parked eventfd could not be made.
  bool ok(std::string* why) const {
    if (parked_ && answer_fd_ < 0) {
      *why = std::string("eventfd: ") + strerror(errno);
      return false;
    }
    return true;
  }
  bool parked() const { return parked_; }
  // Executor side: true once the waking side has finished; the executor side
  // then stops (its task completes, its loop returns).
  bool stopping() const { return stop_.load(std::memory_order_acquire); }

  // Executor side, before its first answer: its CPU time is reported too.
  void executor_thread_is_me() {
    clockid_t c;
    if (pthread_getcpuclockid(pthread_self(), &c) == 0) {
      exec_clock_ = c;
      has_exec_clock_.store(true, std::memory_order_release);
    }
  }

  // Executor side: it could not start; the waking side must not wait for it.
  void abandon() { abandoned_.store(true, std::memory_order_release); }
  // Waking side: waits until `flag` is set by the executor side; false if
  // the executor side abandoned instead.
  bool wait_until(const std::atomic<bool>& flag) const {
    while (!flag.load(std::memory_order_acquire))
      if (abandoned_.load(std::memory_order_acquire)) return false;
    return true;
  }

  // Executor side: answers the latest request, if not yet answered.
  void respond() {
    uint64_t r = request_.load(std::memory_order_acquire);
    if (r == answered_) return;
    answered_ = r;
    answer_.store(r, std::memory_order_release);
    if (parked_) {
      uint64_t one = 1;
      if (write(answer_fd_, &one, sizeof one) != sizeof one) io_error_.store(true);
    }
  }

  // Waking side: warmup, then `samples` timed samples into env.samples (one
  // round trip per sample in single mode, kBatch in batched mode), then stop
  // and one last send() so the executor side sees it. Records context
  // switches over the timed part.
  template <class Send>
  void drive(Env& env, Mode m, size_t samples, Send&& send) {
    auto roundtrip = [&] {
      uint64_t s = ++seq_;
      request_.store(s, std::memory_order_release);
      send();
      wait(s);
    };
    ops_ = m == Mode::kBatched ? samples * kBatch : samples;
    size_t warmup = warmup_samples(samples) * (m == Mode::kBatched ? kBatch : 1);
    for (size_t i = 0; i < warmup; i++) roundtrip();
    Csw self0 = csw_now(RUSAGE_SELF), mine0 = csw_now(RUSAGE_THREAD);
    int64_t exec_cpu0 = exec_cpu_ns(), my_cpu0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
    if (m == Mode::kBatched)
      sample_loop(*env.samples, samples, 0, [] {}, [&] {
        for (int i = 0; i < kBatch; i++) roundtrip();
      });
    else if (gap_ns_ > 0)
      sample_loop(*env.samples, samples, 0, [&] { idle_gap(); }, roundtrip);
    else
      sample_loop(*env.samples, samples, 0, [] {}, roundtrip);
    Csw self1 = csw_now(RUSAGE_SELF), mine1 = csw_now(RUSAGE_THREAD);
    exec_cpu_ = exec_cpu_ns() - exec_cpu0;
    my_cpu_ = cpu_ns(CLOCK_THREAD_CPUTIME_ID) - my_cpu0;
    self_delta_ = {self1.voluntary - self0.voluntary, self1.involuntary - self0.involuntary};
    other_delta_ = {mine1.voluntary - mine0.voluntary, mine1.involuntary - mine0.involuntary};
    stop_.store(true, std::memory_order_release);
    request_.store(++seq_, std::memory_order_release);
    send();
  }

  // After the threads joined: context-switch counters; false if an eventfd
  // read/write failed (the case is then reported as an error).
  bool finish(benchmark::State& st) const {
    if (io_error_.load()) {
      st.SkipWithError("eventfd read/write failed during the round trips");
      return false;
    }
    export_csw(st, self_delta_, other_delta_, ops_);
    double n = ops_ ? static_cast<double>(ops_) : 1.0;
    if (has_exec_clock_.load(std::memory_order_acquire))
      st.counters["cpu_ns_per_op_main"] = static_cast<double>(exec_cpu_) / n;
    st.counters["cpu_ns_per_op_other"] = static_cast<double>(my_cpu_) / n;
    if (gap_ns_ > 0) st.counters["idle_gap_ns"] = static_cast<double>(gap_ns_);
    return true;
  }

 private:
  static int64_t cpu_ns(clockid_t c) {
    struct timespec ts;
    if (clock_gettime(c, &ts) != 0) return 0;
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  }
  int64_t exec_cpu_ns() const {
    return has_exec_clock_.load(std::memory_order_acquire) ? cpu_ns(exec_clock_) : 0;
  }
  // Sleeps gap_ns_ (at least) between round trips; the waker's own wake-up
  // is before the timed part, so it adds nothing to the round trip.
  void idle_gap() const {
    struct timespec ts = {static_cast<time_t>(gap_ns_ / 1000000000),
                          static_cast<long>(gap_ns_ % 1000000000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
    }
  }

  void wait(uint64_t s) {
    if (parked_) {
      uint64_t v;
      // The eventfd counts answers; one read consumes all of them, and a
      // round trip has exactly one outstanding, so one read per round trip.
      if (read(answer_fd_, &v, sizeof v) != sizeof v) io_error_.store(true);
    }
    while (answer_.load(std::memory_order_acquire) != s) {
      if (io_error_.load(std::memory_order_relaxed)) return;
    }
  }

  const bool parked_;
  const int64_t gap_ns_;
  clockid_t exec_clock_{};
  std::atomic<bool> has_exec_clock_{false};
  int64_t exec_cpu_ = 0, my_cpu_ = 0;
  int answer_fd_ = -1;
  uint64_t seq_ = 0;       // waking side only
  uint64_t answered_ = 0;  // executor side only
  alignas(64) std::atomic<uint64_t> request_{0};
  alignas(64) std::atomic<uint64_t> answer_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> io_error_{false};
  std::atomic<bool> abandoned_{false};
  Csw self_delta_, other_delta_;
  size_t ops_ = 0;
};


// ---------------------------------------------------------------------------
// The responsive shapes, registered the same way for the executor (kCross)
// and the peers (kPeer), so their rows line up in the report:
//   cross_wake_responsive  the waker spins for the answer; the loop side
//                          idles as `run` says (busy | parked | spin_park)
//   cross_wake_idle_gap    the same after kIdleGapNs of idle (untimed) before
//                          each round trip: longer than every spin budget
//                          but the largest, so parking loops really sleep
// ---------------------------------------------------------------------------

constexpr int64_t kIdleGapNs = 500000;

// How the loop side idles between answers: run names the mode, spin_ns is
// the spin_park budget (-1 for busy and parked), gap_ns the idle gap (0:
// none).
struct IdleShape {
  std::string run;
  int64_t spin_ns;
  int64_t gap_ns;
};

// Samples of one responsive row. A loop that sleeps every round trip
// (parked) takes a blocking case's samples; a gap row sleeps kIdleGapNs per
// sample, so it takes an eighth of that (250; 25 with --quick): its p99 is
// rough, and the rounds' intervals in the report say how rough.
inline size_t responsive_samples(const Env& env, const IdleShape& how) {
  if (how.gap_ns > 0) return env.roundtrip_samples(Mode::kSingle, true) / 8;
  return env.roundtrip_samples(Mode::kSingle, how.run == "parked");
}

using ResponsiveRun = std::function<void(benchmark::State&, const IdleShape&, const PuPair&)>;

// Describes both cases for `file` and registers, per core pair, run=busy,
// run=parked and run=spin_park with each of `budgets` (ns; empty for a
// peer, which has no spin budget). The *_what texts say what is woken and
// how the loop idles in each mode (the rows' labels).
inline void add_responsive_cases(const std::vector<PuPair>& pairs, CaseKind kind,
                                 const char* file, const char* function,
                                 const std::string& busy_what, const std::string& parked_what,
                                 const std::string& spin_what,
                                 const std::vector<int64_t>& budgets, const ResponsiveRun& run) {
  CaseInfo rs;
  rs.name = "cross_wake_responsive";
  rs.kind = kind;
  rs.function = function;
  rs.description = "cross_wake_busy's round trip with the loop busy, parked or spinning "
                   "before it parks (spin_ns), the waker spinning for the answer; sleeps and "
                   "CPU per op of both threads";
  rs.floor = "pingpong";
  rs.needs_pair = true;
  rs.section = "idle";
  rs.measured = {"voluntary_csw_per_op", "cpu_ns_per_op_main", "cpu_ns_per_op_other"};
  rs.not_profiled = "two threads: callgrind runs threads one at a time, so a cross-thread "
                    "round trip is not what it measures";
  Case& rsc = describe_case_in(rs, file);
  CaseInfo ig = rs;
  ig.name = "cross_wake_idle_gap";
  ig.description = "cross_wake_responsive after 500 us idle before each round trip (longer "
                   "than every spin budget but 1 ms): the true-sleep cost, and the CPU a "
                   "budget burns per idle period";
  Case& igc = describe_case_in(ig, file);
  for (const PuPair& p : pairs) {
    const char* cls = pair_class_name(p.cls);
    auto add = [&](Case& c, const IdleShape& how, const std::string& what) {
      Params params{{"run", how.run}};
      if (how.spin_ns >= 0) params.push_back({"spin_ns", std::to_string(how.spin_ns)});
      params.push_back({"pair_class", cls});
      std::string label = (how.gap_ns > 0 ? "500 us idle, then " : "") + what +
                          "; the waker spins for the answer";
      c.add(Mode::kSingle, params, label,
            [run, how, p](benchmark::State& st) { run(st, how, p); });
    };
    for (int64_t gap : {int64_t{0}, kIdleGapNs}) {
      Case& c = gap > 0 ? igc : rsc;
      add(c, {"busy", -1, gap}, busy_what);
      add(c, {"parked", -1, gap}, parked_what);
      for (int64_t b : budgets)
        add(c, {"spin_park", b, gap}, spin_what + " (" + std::to_string(b) + " ns spin)");
    }
  }
}

// A peer's round trip: blocking_loop, its loop sleeps between events (else
// it spins); answer_by_eventfd, the waker blocks for the answer (else it
// spins); gap_ns and samples as above.
using PeerRoundTrip = void (*)(benchmark::State&, Env&, Mode, bool blocking_loop,
                               bool answer_by_eventfd, int64_t gap_ns, size_t samples,
                               const PuPair&);

// Every cross-thread shape of a peer: cross_wake_busy/parked (the waker
// spins / blocks like the loop) and the responsive shapes (the waker spins;
// no spin budget). spinning_loop / sleeping_loop say how the peer is woken
// and loops in each ("uv_async_send ... uv_run(NOWAIT)").
inline void add_peer_cross_wake_cases(Env& env, const char* file,
                                      const std::string& spinning_loop,
                                      const std::string& sleeping_loop,
                                      PeerRoundTrip round_trip) {
  Env* e = &env;
  add_cross_wake_cases(
      env.pairs, CaseKind::kPeer, file, "cross_wake", (spinning_loop + "; answer spun on").c_str(),
      (sleeping_loop + "; answer by eventfd").c_str(),
      [e, round_trip](benchmark::State& st, Mode m, bool parked, const PuPair& p) {
        round_trip(st, *e, m, parked, parked, 0, e->roundtrip_samples(m, parked), p);
      });
  add_responsive_cases(
      env.pairs, CaseKind::kPeer, file, "cross_wake", spinning_loop, sleeping_loop, "", {},
      [e, round_trip](benchmark::State& st, const IdleShape& how, const PuPair& p) {
        round_trip(st, *e, Mode::kSingle, how.run == "parked", false, how.gap_ns,
                   responsive_samples(*e, how), p);
      });
}

}  // namespace nxb

#endif

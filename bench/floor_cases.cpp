// Floors: the cheapest things each case is made of, measured with the same
// harness and pinning, so every case can be read as a ratio to its floor.
//   indirect_call      a call through a function pointer loaded from memory
//                      (what every poll costs at least)
//   pingpong           one cache line bounced between two pinned cores and
//                      back (the least a cross-thread busy wake can cost)
//   eventfd_roundtrip  two threads blocked in read() on eventfds waking each
//                      other (the least a parked cross-thread wake can cost)
//   min_executor       spawn + poll + free with nothing but a slab, a ring
//                      and an indirect call (bench/min_executor.cpp)
#include <gnu/libc-version.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "harness.h"

namespace nxb {

namespace {

__attribute__((noinline)) void empty_fn() { __asm__ __volatile__(""); }
void (*volatile g_fn)() = &empty_fn;

// Own cache line, so the bounce measures this line only.
struct alignas(64) SharedLine {
  std::atomic<uint64_t> value{0};
};
constexpr uint64_t kStop = ~uint64_t{0};

void pingpong(benchmark::State& st, Env& env, Mode m, const PuPair& pair) {
  CaseTimer timer(env);
  SharedLine line;
  size_t n = env.roundtrip_samples(m, false);
  size_t warmup = warmup_samples(n) * (m == Mode::kBatched ? kBatch : 1);  // round trips
  // Spin without `pause`: a floor is the least the hardware needs.
  auto partner = [&] {
    uint64_t expect = 1;
    for (;;) {
      uint64_t v;
      while ((v = line.value.load(std::memory_order_acquire)) != expect) {
        if (v == kStop) return;
      }
      line.value.store(expect + 1, std::memory_order_release);
      expect += 2;
    }
  };
  uint64_t next = 1;
  auto roundtrip = [&] {
    line.value.store(next, std::memory_order_release);
    while (line.value.load(std::memory_order_acquire) != next + 1) {
    }
    next += 2;
  };
  for (auto _ : st) {
    run_on_pair(st, env, pair,
                [&] {
                  for (size_t i = 0; i < warmup; i++) roundtrip();
                  if (m == Mode::kBatched)
                    sample_loop(*env.samples, n, 0, [] {}, [&] {
                      for (int i = 0; i < kBatch; i++) roundtrip();
                    });
                  else
                    sample_loop(*env.samples, n, 0, [] {}, roundtrip);
                  line.value.store(kStop, std::memory_order_release);
                },
                partner);
  }
  timer.finish(st, m == Mode::kBatched ? kBatch : 1);
}

void eventfd_roundtrip(benchmark::State& st, Env& env, const PuPair& pair) {
  CaseTimer timer(env);
  int to_other = eventfd(0, EFD_CLOEXEC), to_main = eventfd(0, EFD_CLOEXEC);
  if (to_other < 0 || to_main < 0) {
    std::string msg = std::string("eventfd: ") + strerror(errno);
    st.SkipWithError(msg.c_str());
    if (to_other >= 0) close(to_other);
    if (to_main >= 0) close(to_main);
    return;
  }
  size_t n = env.roundtrip_samples(Mode::kSingle, true), warmup = warmup_samples(n);
  std::atomic<bool> stop{false};
  Csw self_delta, other_delta;
  auto partner = [&] {
    uint64_t v;
    Csw self0{}, mine0{};
    size_t seen = 0;
    for (;;) {
      if (read(to_other, &v, sizeof v) != sizeof v) return;
      if (stop.load(std::memory_order_acquire)) break;
      // The first timed round trip starts after the warmup ones.
      if (++seen == warmup + 1) {
        self0 = csw_now(RUSAGE_SELF);
        mine0 = csw_now(RUSAGE_THREAD);
      }
      v = 1;
      if (write(to_main, &v, sizeof v) != sizeof v) return;
    }
    Csw self1 = csw_now(RUSAGE_SELF), mine1 = csw_now(RUSAGE_THREAD);
    self_delta = {self1.voluntary - self0.voluntary, self1.involuntary - self0.involuntary};
    other_delta = {mine1.voluntary - mine0.voluntary, mine1.involuntary - mine0.involuntary};
  };
  bool io_ok = true;
  auto roundtrip = [&] {
    uint64_t v = 1;
    if (write(to_other, &v, sizeof v) != sizeof v) io_ok = false;
    if (read(to_main, &v, sizeof v) != sizeof v) io_ok = false;
  };
  for (auto _ : st) {
    run_on_pair(st, env, pair,
                [&] {
                  sample_loop(*env.samples, n, warmup, [] {}, roundtrip);
                  stop.store(true, std::memory_order_release);
                  uint64_t v = 1;
                  if (write(to_other, &v, sizeof v) != sizeof v) io_ok = false;
                },
                partner);
  }
  close(to_other);
  close(to_main);
  if (!io_ok) {
    st.SkipWithError("eventfd read/write failed");
    return;
  }
  timer.finish(st, 1);
  export_csw(st, self_delta, other_delta, n);
}

}  // namespace

BackendInfo binary_backend() {
  return BackendInfo{"floor", std::string("glibc ") + gnu_get_libc_version(), "floor", ""};
}

namespace {

int register_floor_cases(Env& env) {
  Env* e = &env;
  CaseInfo ic;
  ic.name = "indirect_call";
  ic.kind = CaseKind::kFloor;
  ic.function = "g_fn";
  ic.description = "a call through a function pointer loaded from memory (what a poll costs at least)";
  Case& icc = NXB_DESCRIBE_CASE(ic);
  CaseInfo pp = ic;
  pp.name = "pingpong";
  pp.function = "pingpong";
  pp.description = "a cache line to the other pinned core and back, both threads spinning";
  pp.needs_pair = true;
  Case& ppc = NXB_DESCRIBE_CASE(pp);
  CaseInfo ef = pp;
  ef.name = "eventfd_roundtrip";
  ef.function = "eventfd_roundtrip";
  ef.description = "eventfd write; the other thread, blocked in read(), answers by eventfd";
  ef.measured = {"voluntary_csw_per_op"};
  Case& efc = NXB_DESCRIBE_CASE(ef);
  for (Mode m : {Mode::kBatched, Mode::kSingle})
    icc.add(m, {}, "call through a function pointer loaded from memory",
            [e, m](benchmark::State& st) { measure_op(st, *e, m, [] { g_fn(); }); });
  for (const PuPair& p : env.pairs) {
    const char* cls = pair_class_name(p.cls);
    for (Mode m : {Mode::kBatched, Mode::kSingle})
      ppc.add(m, {{"pair_class", cls}}, "one cache line to the other pinned core and back (both spin)",
              [e, m, p](benchmark::State& st) { pingpong(st, *e, m, p); });
    efc.add(Mode::kSingle, {{"pair_class", cls}},
            "eventfd write, other thread blocked in read() answers by eventfd",
            [e, p](benchmark::State& st) { eventfd_roundtrip(st, *e, p); });
  }
  return 0;
}

}  // namespace

NXB_FAMILY(90, register_floor_cases);

}  // namespace nxb

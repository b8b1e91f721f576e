// Peer: Boost.Asio, the executor a C++ user would pick instead. Same timer,
// samples and pinning as the executor cases; rows carry the name of the case
// they stand in for.
//   spawn_poll_free    post a handler carrying future_bytes of state, then
//                      run it: api=post_run   post; run(); restart()
//                               api=post_poll  post; poll() (a work guard
//                                              keeps the context running)
//   cross_wake_busy    another thread posts; the io_context thread spins in
//                      poll(); the handler answers, the poster spins
//   cross_wake_parked  another thread posts; the io_context thread sleeps in
//                      run(); the handler answers through an eventfd the
//                      poster blocks on
//   cross_wake_responsive, cross_wake_idle_gap  the poster spins for the
//                      answer; run=busy: the poll() loop, run=parked: run()
// Concurrency hint 1 (one thread runs the context) everywhere.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/version.hpp>
#include <boost/version.hpp>

#include <array>
#include <optional>

#include "cross_wake.h"
#include "harness.h"

namespace nxb {

namespace {

namespace asio = boost::asio;
using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;

// The handler's captured state, future_bytes large; the handler touches it
// so the copy cannot be optimised away.
template <size_t N>
struct Payload {
  std::array<unsigned char, N> bytes{};
};
template <>
struct Payload<0> {};

volatile unsigned g_sink;

template <size_t N>
void spawn_poll_free(benchmark::State& st, Env& env, Mode m, bool use_run) {
  asio::io_context ctx(1);
  std::optional<WorkGuard> guard;
  if (!use_run) guard.emplace(ctx.get_executor());
  Payload<N> payload;
  auto op = [&] {
    asio::post(ctx, [payload] {
      if constexpr (N > 0)
        g_sink = payload.bytes[N - 1];
      else
        g_sink = 0;
    });
    if (use_run) {
      ctx.run();
      ctx.restart();
    } else {
      ctx.poll();
    }
  };
  measure_op(st, env, m, op);
}

// blocking_loop: the io_context thread sleeps in run() (else it spins in
// poll()); answer_by_eventfd: the poster blocks for the answer (else spins).
void cross_wake(benchmark::State& st, Env& env, Mode m, bool blocking_loop,
                bool answer_by_eventfd, int64_t gap_ns, size_t samples, const PuPair& pair) {
  CaseTimer timer(env);
  CrossWake cw(answer_by_eventfd, gap_ns);
  std::string why;
  if (!cw.ok(&why)) {
    st.SkipWithError(why.c_str());
    return;
  }
  asio::io_context ctx(1);
  WorkGuard guard(ctx.get_executor());
  std::atomic<bool> ready{false};
  auto handler = [&] {
    cw.respond();
    if (cw.stopping()) guard.reset();  // run()/the poll loop ends
  };
  for (auto _ : st) {
    run_on_pair(
        st, env, pair,
        [&] {
          cw.executor_thread_is_me();
          ready.store(true, std::memory_order_release);
          if (blocking_loop) {
            ctx.run();
          } else {
            // The stop handler drops the work guard; the context then stops.
            while (!ctx.stopped()) ctx.poll();
          }
        },
        [&] {
          spin_until(ready);
          cw.drive(env, m, samples, [&] { asio::post(ctx, handler); });
        });
  }
  if (!cw.finish(st)) return;
  timer.finish(st, m == Mode::kBatched ? kBatch : 1);
}

}  // namespace

BackendInfo binary_backend() {
  char v[64];
  snprintf(v, sizeof v, "Boost.Asio %d.%d.%d (Boost %s)", BOOST_ASIO_VERSION / 100000,
           BOOST_ASIO_VERSION / 100 % 1000, BOOST_ASIO_VERSION % 100, BOOST_LIB_VERSION);
  return BackendInfo{"asio", v, "peer", ""};
}

namespace {

int register_asio_cases(Env& env) {
  Env* e = &env;
  benchmark::AddCustomContext("lib_boost", BOOST_LIB_VERSION);
  CaseInfo spf;
  spf.name = "spawn_poll_free";
  spf.kind = CaseKind::kPeer;
  spf.function = "spawn_poll_free";
  spf.description = "asio::post of a handler carrying future_bytes of state, then run() or poll()";
  spf.floor = "indirect_call";
  Case& spc = NXB_DESCRIBE_CASE(spf);
  for (bool use_run : {true, false}) {
    const char* api = use_run ? "post_run" : "post_poll";
    for (Mode m : {Mode::kBatched, Mode::kSingle}) {
      auto add = [&](const char* bytes, void (*fn)(benchmark::State&, Env&, Mode, bool)) {
        spc.add(m, {{"future_bytes", bytes}, {"api", api}},
                std::string("asio::post of a handler with ") + bytes + " bytes of state, then " +
                    (use_run ? "run()+restart()" : "poll()"),
                [e, m, use_run, fn](benchmark::State& st) { fn(st, *e, m, use_run); });
      };
      add("0", spawn_poll_free<0>);
      add("64", spawn_poll_free<64>);
      add("256", spawn_poll_free<256>);
      add("1024", spawn_poll_free<1024>);
    }
  }
  add_peer_cross_wake_cases(
      env, __FILE__, "asio::post from the other core to an io_context spinning in poll()",
      "asio::post from the other core to an io_context asleep in run()", cross_wake);
  return 0;
}

}  // namespace

NXB_FAMILY(50, register_asio_cases);

}  // namespace nxb

// Peer: tokio, the executor the Rust crate nxrt comes from compares itself
// with. The servers are Rust (bench/peers/tokio, a static library built
// offline with Debian's cargo and librust-tokio-dev); everything else is
// this harness's, as for every other binary: the socket is made and bound
// here, the thread pinned here, the client (net_echo.h) and the samples are
// the same code as for nxrt, Asio, libuv and the floor.
//   tcp_echo_rtt, udp_echo_rtt, tcp_throughput
//       a current-thread runtime on the pair's first PU serves one client;
//       run busy: a yielding task keeps it from sleeping and it polls epoll
//       and takes remote wakes on every tick (event_interval and
//       global_queue_interval 1); parked: it sleeps in epoll
//   spawn_poll_free (api spawn_await)  tokio::spawn a task carrying
//       future_bytes of state, await its JoinHandle (batched: 100 spawns,
//       then the 100 awaits)
//   self_wake_poll     a task wakes itself (wake_by_ref), returns Pending,
//       is polled again
//   cross_wake_busy / cross_wake_parked  cross_wake.h's round trip: the
//       other core calls wake_by_ref on the task's waker; the task answers
// The last three are timed inside the runtime by the Rust side (the same
// fenced TSC pair as tsc.h) into a buffer the harness then summarizes.
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "cross_wake.h"
#include "harness.h"
#include "net_echo.h"

extern "C" {
int nxtokio_serve(int fd, int udp, int throughput, int busy, char* err, size_t err_len);
int nxtokio_spawn_await(size_t bytes, size_t ops, size_t n, size_t warmup, uint64_t* out,
                        char* err, size_t err_len);
int nxtokio_self_wake(size_t ops, size_t n, size_t warmup, uint64_t* out, char* err,
                      size_t err_len);
struct NxTokioSlot;
struct NxTokioWaker;
const NxTokioSlot* nxtokio_slot_new();
void nxtokio_slot_free(const NxTokioSlot* slot);
NxTokioWaker* nxtokio_slot_waker(const NxTokioSlot* slot);
void nxtokio_waker_wake(const NxTokioWaker* w);
void nxtokio_waker_free(NxTokioWaker* w);
int nxtokio_cross_wake_serve(int busy, const NxTokioSlot* slot, int (*respond)(void*), void* ctx,
                             char* err, size_t err_len);
}

namespace nxb {

namespace {

void serve(const NetSpec& spec, NetRendezvous& rv) {
  sockaddr_in addr;
  int fd = net_bound_socket(spec.proto, false, &addr);
  if (fd < 0) return rv.fail(std::string("socket/bind: ") + strerror(-fd));
  rv.publish(addr);
  char err[256] = "";
  // The runtime takes the socket over and closes it.
  if (nxtokio_serve(fd, spec.proto == NetProto::kUdp, spec.what == NetCase::kThroughput,
                    spec.run == NetRun::kBusy, err, sizeof err) != 0)
    rv.fail(err);
}

// Rows timed inside the runtime (tokio's tasks exist only there): the Rust
// side writes raw fenced-TSC samples, the harness summarizes them as always.
// fn(ops per sample, samples, warmup, out, err, err_len) -> 0 or -1.
using TimedRun = int (*)(size_t bytes, size_t ops, size_t n, size_t warmup, uint64_t* out,
                         char* err, size_t len);

void timed_in_rust(benchmark::State& st, Env& env, Mode m, size_t bytes, TimedRun fn) {
  CaseTimer timer(env);
  size_t n = env.samples_for(m);
  size_t warmup = warmup_samples(n);
  std::vector<uint64_t> raw(n);
  char err[256] = "";
  for (auto _ : st) {
    size_t ops = m == Mode::kBatched ? kBatch : 1;
    if (fn(bytes, ops, n, warmup, raw.data(), err, sizeof err) != 0) return st.SkipWithError(err);
  }
  for (uint64_t v : raw) env.samples->push(v);
  timer.finish(st, m == Mode::kBatched ? kBatch : 1);
}

// A wake from the pair's other core (cross_wake.h's method): the task
// stores its waker and answers at every poll.
struct CrossCtx {
  CrossWake* cw;
  std::atomic<bool> started{false};
};

int respond(void* p) {
  CrossCtx* c = static_cast<CrossCtx*>(p);
  c->started.store(true, std::memory_order_release);
  c->cw->respond();
  return c->cw->stopping() ? 1 : 0;
}

void cross_wake(benchmark::State& st, Env& env, Mode m, bool parked, const PuPair& pair) {
  CaseTimer timer(env);
  CrossWake cw(parked);
  std::string why;
  if (!cw.ok(&why)) return st.SkipWithError(why.c_str());
  CrossCtx ctx;
  ctx.cw = &cw;
  const NxTokioSlot* slot = nxtokio_slot_new();
  char err[256] = "";
  size_t samples = env.roundtrip_samples(m, parked);
  for (auto _ : st) {
    run_on_pair(
        st, env, pair,
        [&] {
          if (nxtokio_cross_wake_serve(!parked, slot, respond, &ctx, err, sizeof err) != 0)
            cw.abandon();
        },
        [&] {
          if (!cw.wait_until(ctx.started)) return;
          NxTokioWaker* w = nxtokio_slot_waker(slot);
          cw.drive(env, m, samples, [w] { nxtokio_waker_wake(w); });
          nxtokio_waker_free(w);
        });
  }
  nxtokio_slot_free(slot);
  if (err[0] != 0) return st.SkipWithError(err);
  if (!cw.finish(st)) return;
  timer.finish(st, m == Mode::kBatched ? kBatch : 1);
}

}  // namespace

BackendInfo binary_backend() {
  return BackendInfo{"tokio", "tokio " NXBENCH_TOKIO_VERSION " (Debian, current-thread)", "peer",
                     ""};
}

namespace {

int register_tokio_cases(Env& env) {
  benchmark::AddCustomContext("lib_tokio", NXBENCH_TOKIO_VERSION);
  benchmark::AddCustomContext("lib_rustc", NXBENCH_RUSTC_VERSION);
  Env* e = &env;
  CaseInfo spf;
  spf.name = "spawn_poll_free";
  spf.kind = CaseKind::kPeer;
  spf.function = "nxtokio_spawn_await (peers/tokio/src/lib.rs)";
  spf.description =
      "tokio::spawn (from a task) of a task carrying future_bytes of state, then its JoinHandle "
      "awaited";
  spf.floor = "indirect_call";
  spf.not_profiled = "the tokio peer is Rust; callgrind profiles the C executor";
  Case& spc = NXB_DESCRIBE_CASE(spf);
  CaseInfo sw = spf;
  sw.name = "self_wake_poll";
  sw.function = "nxtokio_self_wake (peers/tokio/src/lib.rs)";
  sw.description = "a tokio task that wakes itself (wake_by_ref), returns Pending, is polled again";
  Case& swc = NXB_DESCRIBE_CASE(sw);
  for (Mode m : {Mode::kBatched, Mode::kSingle}) {
    for (size_t bytes : {0, 64, 256, 1024})
      spc.add(m, {{"future_bytes", std::to_string(bytes)}, {"api", "spawn_await"}},
              std::string("tokio::spawn (from a task) of a task with ") + std::to_string(bytes) +
                  " bytes of state, then its JoinHandle awaited (runs and frees it)" +
                  (m == Mode::kBatched ? "; 100 spawns, then the 100 awaits (per task)" : ""),
              [e, m, bytes](benchmark::State& st) {
                timed_in_rust(st, *e, m, bytes, nxtokio_spawn_await);
              });
    swc.add(m, {}, "a tokio task that wakes itself (wake_by_ref) and returns Pending, polled again",
            [e, m](benchmark::State& st) {
              timed_in_rust(st, *e, m, 0,
                            [](size_t, size_t ops, size_t n, size_t w, uint64_t* out, char* er,
                               size_t len) { return nxtokio_self_wake(ops, n, w, out, er, len); });
            });
  }
  add_cross_wake_cases(
      env.pairs, CaseKind::kPeer, __FILE__, "cross_wake",
      "other core wakes a tokio task (current-thread runtime never sleeping), the task answers",
      "other core wakes a tokio task (runtime asleep in epoll), the task answers by eventfd",
      [e](benchmark::State& st, Mode m, bool parked, const PuPair& p) {
        cross_wake(st, *e, m, parked, p);
      });
  add_net_cases(env, CaseKind::kPeer, __FILE__, "serve", "", "tokio current-thread server",
                [&env](benchmark::State& st, const NetSpec& spec, const PuPair& p) {
                  run_net_case(st, env, spec, p, [&spec](NetRendezvous& rv) { serve(spec, rv); });
                });
  return 0;
}

}  // namespace

NXB_FAMILY(50, register_tokio_cases);

}  // namespace nxb

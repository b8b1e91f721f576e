// Peer: libuv, the event loop a C user would pick instead. Another thread
// wakes the loop with uv_async_send(); the async callback answers.
//   cross_wake_busy    the loop spins in uv_run(UV_RUN_NOWAIT); the sender
//                      spins on the answer
//   cross_wake_parked  the loop sleeps in uv_run(UV_RUN_DEFAULT) (epoll); the
//                      callback answers through an eventfd the sender blocks on
//   cross_wake_responsive, cross_wake_idle_gap  the sender spins for the
//                      answer; run=busy: UV_RUN_NOWAIT, run=parked:
//                      UV_RUN_DEFAULT
// libuv has no task to spawn, so it has no spawn_poll_free row.
#include <uv.h>

#include "cross_wake.h"
#include "harness.h"

namespace nxb {

namespace {

struct LoopState {
  CrossWake* cw;
  uv_async_t async;
};

void on_async(uv_async_t* handle) {
  LoopState* ls = static_cast<LoopState*>(handle->data);
  ls->cw->respond();
  if (ls->cw->stopping()) uv_close(reinterpret_cast<uv_handle_t*>(handle), nullptr);
}

// blocking_loop: the loop sleeps in UV_RUN_DEFAULT (else it spins in
// UV_RUN_NOWAIT); answer_by_eventfd: the sender blocks for the answer (else
// spins).
void cross_wake(benchmark::State& st, Env& env, Mode m, bool blocking_loop,
                bool answer_by_eventfd, int64_t gap_ns, size_t samples, const PuPair& pair) {
  CaseTimer timer(env);
  CrossWake cw(answer_by_eventfd, gap_ns);
  std::string why;
  if (!cw.ok(&why)) {
    st.SkipWithError(why.c_str());
    return;
  }
  uv_loop_t loop;
  int rc = uv_loop_init(&loop);
  LoopState ls{&cw, {}};
  if (rc == 0) rc = uv_async_init(&loop, &ls.async, on_async);
  if (rc != 0) {
    std::string msg = std::string("libuv init: ") + uv_strerror(rc);
    st.SkipWithError(msg.c_str());
    return;
  }
  ls.async.data = &ls;
  std::atomic<bool> ready{false};
  for (auto _ : st) {
    run_on_pair(
        st, env, pair,
        [&] {
          cw.executor_thread_is_me();
          ready.store(true, std::memory_order_release);
          // Both return once the async handle is closed (no active handles).
          if (blocking_loop)
            uv_run(&loop, UV_RUN_DEFAULT);
          else
            while (uv_run(&loop, UV_RUN_NOWAIT) != 0) {
            }
        },
        [&] {
          spin_until(ready);
          cw.drive(env, m, samples, [&] { uv_async_send(&ls.async); });
        });
  }
  // Normally the stop request closed the handle; if pinning failed it did
  // not run, so close it here before finishing the close callback.
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&ls.async)))
    uv_close(reinterpret_cast<uv_handle_t*>(&ls.async), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  if (!cw.finish(st)) return;
  timer.finish(st, m == Mode::kBatched ? kBatch : 1);
}

}  // namespace

BackendInfo binary_backend() { return BackendInfo{"libuv", std::string("libuv ") + uv_version_string(), "peer", ""}; }

namespace {

int register_libuv_cases(Env& env) {
  benchmark::AddCustomContext("lib_libuv", uv_version_string());
  add_peer_cross_wake_cases(
      env, __FILE__, "uv_async_send from the other core to a loop spinning in uv_run(NOWAIT)",
      "uv_async_send from the other core to a loop asleep in epoll (UV_RUN_DEFAULT)", cross_wake);
  return 0;
}

}  // namespace

NXB_FAMILY(50, register_libuv_cases);

}  // namespace nxb

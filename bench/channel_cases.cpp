// The channel round trip: task A sends an int, task B receives it and sends
// it back, A receives it; timed in A. Channels of capacity 1. params where =
// local (both tasks on one executor, local channels) | cross (A and B on two
// executors on the pair's two PUs, channel = mpsc | spsc, run = busy |
// parked, pair_class). The channel rings come from malloc, once, before
// timing. In the cross case A's executor has the binary's backend and B's
// glibc malloc (Exec::create_on_other_thread): a backend's allocator serves
// one thread, and nothing is allocated while the round trips are timed.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "nxrt_services.h"
#include "tsc.h"
#include "exec_adapter.h"
#include "harness.h"

namespace nxb {
namespace {

// ---------------------------------------------------------------------------
// channel_roundtrip
// ---------------------------------------------------------------------------

enum class Chan { kLocal, kMpsc, kSpsc };
const char* chan_name(Chan c) {
  return c == Chan::kLocal ? "local" : c == Chan::kMpsc ? "mpsc" : "spsc";
}

// One direction of the round trip: a channel of one int, capacity 1.
struct Pipe {
  Chan kind;
  nx_local_tx ltx;
  nx_local_rx lrx;
  nx_mpsc_tx mtx;
  nx_mpsc_rx mrx;
  nx_spsc_tx stx;
  nx_spsc_rx srx;

  int create(Chan c) {
    kind = c;
    if (c == Chan::kLocal) return nx_local_chan_create(1, sizeof(int), nullptr, &ltx, &lrx);
    if (c == Chan::kMpsc) return nx_mpsc_create(1, sizeof(int), nullptr, &mtx, &mrx);
    return nx_spsc_create(1, sizeof(int), nullptr, &stx, &srx);
  }
  int send(int v) {
    if (kind == Chan::kLocal) return nx_local_try_send(&ltx, &v);
    if (kind == Chan::kMpsc) return nx_mpsc_try_send(&mtx, &v);
    return nx_spsc_try_send(&stx, &v);
  }
  int recv_poll(nx_cx* cx, int* v) {
    if (kind == Chan::kLocal) return nx_local_recv_poll(&lrx, cx, v);
    if (kind == Chan::kMpsc) return nx_mpsc_recv_poll(&mrx, cx, v);
    return nx_spsc_recv_poll(&srx, cx, v);
  }
  void close_tx() {
    if (kind == Chan::kLocal) nx_local_tx_close(&ltx);
    else if (kind == Chan::kMpsc) nx_mpsc_tx_close(&mtx);
    else nx_spsc_tx_close(&stx);
  }
  void close_rx() {
    if (kind == Chan::kLocal) nx_local_rx_close(&lrx);
    else if (kind == Chan::kMpsc) nx_mpsc_rx_close(&mrx);
    else nx_spsc_rx_close(&srx);
  }
};

// Task A: sends, waits for the echo; a sample is `batch` round trips.
// Closes its sending side when done, which ends task B.
struct PingState {
  Pipe* ping;
  Pipe* pong;
  int i;
  bool waiting;
  int in_batch, batch;
  uint64_t t0;
  Quota q;
  Samples* samples;
  Report* rep;
};

void ping_close(PingState* s) {
  s->ping->close_tx();
  s->rep->tx_closed = true;
}

nx_poll poll_ping(void* p, nx_cx* cx) {
  PingState* s = static_cast<PingState*>(p);
  for (;;) {
    if (!s->waiting) {
      if (s->in_batch == 0) {
        if (s->q.done == s->q.warmup) {  // the first recorded sample
          s->rep->self0 = csw_now(RUSAGE_SELF);
          s->rep->mine0 = csw_now(RUSAGE_THREAD);
        }
        s->t0 = tsc_begin();
      }
      int rc = s->ping->send(s->i);
      if (rc < 0) {
        fail(s->rep, "send", rc);
        ping_close(s);
        return NX_READY;
      }
      s->waiting = true;
    }
    int v;
    int rc = s->pong->recv_poll(cx, &v);
    if (rc == NX_PENDING) return NX_PENDING;
    if (rc < 0 || v != s->i) {
      fail(s->rep, "receive", rc < 0 ? rc : NX_EINVAL);
      ping_close(s);
      return NX_READY;
    }
    s->waiting = false;
    s->i++;
    if (++s->in_batch == s->batch) {
      uint64_t t1 = tsc_end();
      s->in_batch = 0;
      if (s->q.recording()) s->samples->push(t1 - s->t0);
      s->q.done++;
      if (s->q.finished()) {
        s->rep->self1 = csw_now(RUSAGE_SELF);
        s->rep->mine1 = csw_now(RUSAGE_THREAD);
        s->rep->finished = true;
        ping_close(s);
        return NX_READY;
      }
    }
  }
}

// Task B: echoes until the ping side closes.
struct PongState {
  Pipe* ping;
  Pipe* pong;
  Report* rep;
};

nx_poll poll_pong(void* p, nx_cx* cx) {
  PongState* s = static_cast<PongState*>(p);
  for (;;) {
    int v;
    int rc = s->ping->recv_poll(cx, &v);
    if (rc == NX_PENDING) return NX_PENDING;
    if (rc == NX_EPIPE) return NX_READY;
    if (rc < 0 || (rc = s->pong->send(v)) < 0) {
      fail(s->rep, "echo", rc);
      return NX_READY;
    }
  }
}

PingState ping_init(Env& env, Mode m, size_t samples, Pipe* ping, Pipe* pong, Report* rep) {
  PingState s{};
  s.ping = ping;
  s.pong = pong;
  s.batch = m == Mode::kBatched ? kBatch : 1;
  s.q.n = samples;
  s.q.warmup = warmup_samples(samples);
  s.samples = env.samples;
  s.rep = rep;
  return s;
}

void channel_roundtrip_local(benchmark::State& st, Env& env, Mode m) {
  Exec e;
  std::string why;
  if (e.create(sizeof(PingState), 16, 0, &why) != 0) return st.SkipWithError(why.c_str());
  CaseTimer timer(env);
  Report rep, pong_rep;
  for (auto _ : st) {
    Pipe ping, pong;
    int rc = ping.create(Chan::kLocal);
    if (rc < 0) return st.SkipWithError(rc_text("channel", rc).c_str());
    rc = pong.create(Chan::kLocal);
    if (rc < 0) {
      ping.close_tx();
      ping.close_rx();
      return st.SkipWithError(rc_text("channel", rc).c_str());
    }
    PingState a = ping_init(env, m, env.samples_for(m), &ping, &pong, &rep);
    PongState b = {&ping, &pong, &pong_rep};
    nx_future_desc da = desc_of<PingState>(poll_ping, nullptr);
    nx_future_desc db = desc_of<PongState>(poll_pong, nullptr);
    rc = e.spawn(&db, &b);
    if (rc >= 0) rc = e.spawn(&da, &a);
    if (rc < 0) {
      fail(&rep, "spawn", rc);
      ping.close_tx();  // B (if spawned) sees the end
    }
    int run_rc = nx_run(e.ex(), NX_RUN_BUSY);
    if (run_rc < 0) fail(&rep, "nx_run", run_rc);
    ping.close_rx();
    pong.close_tx();
    pong.close_rx();
  }
  if (rep.err != 0) return st.SkipWithError(rc_text(rep.what, rep.err).c_str());
  if (pong_rep.err != 0) return st.SkipWithError(rc_text(pong_rep.what, pong_rep.err).c_str());
  if (!rep.finished) return st.SkipWithError("the task stopped before its samples were taken");
  timer.finish(st, m == Mode::kBatched ? kBatch : 1);
  e.report_slot(st);
}

void channel_roundtrip_cross(benchmark::State& st, Env& env, Mode m, Chan c, bool parked,
                             const PuPair& pair) {
  size_t slot_bytes = g_use_slab ? slab_slot_for(sizeof(PingState)) : 0;
  CaseTimer timer(env);
  Report rep, pong_rep;
  size_t samples = env.roundtrip_samples(m, parked);
  for (auto _ : st) {
    Pipe ping, pong;
    int rc = ping.create(c);
    if (rc < 0) return st.SkipWithError(rc_text("channel", rc).c_str());
    rc = pong.create(c);
    if (rc < 0) {
      ping.close_tx();
      ping.close_rx();
      return st.SkipWithError(rc_text("channel", rc).c_str());
    }
    bool b_closed = false;
    // Each executor belongs to the thread that creates it. Whatever fails,
    // each side closes its sending end at the end, so the other side's
    // receive ends (NX_EPIPE) instead of waiting for ever.
    run_on_pair(
        st, env, pair,
        [&] {  // task A, on the pair's first PU (this thread)
          Exec e;
          std::string why;
          int r = e.create(sizeof(PingState), 16, 0, &why);
          if (r == 0) {
            PingState a = ping_init(env, m, samples, &ping, &pong, &rep);
            nx_future_desc da = desc_of<PingState>(poll_ping, nullptr);
            r = e.spawn(&da, &a);
            if (r >= 0) r = nx_run(e.ex(), run_mode_of(parked));
          }
          if (r < 0) fail(&rep, "executor A", r);
          if (!rep.tx_closed) ping.close_tx();
        },
        [&] {  // task B, on the second PU
          Exec e;
          std::string why;
          int r = e.create_on_other_thread(sizeof(PongState), 16, &why);
          if (r == 0) {
            PongState b = {&ping, &pong, &pong_rep};
            nx_future_desc db = desc_of<PongState>(poll_pong, nullptr);
            r = e.spawn(&db, &b);
            if (r >= 0) r = nx_run(e.ex(), run_mode_of(parked));
          }
          if (r < 0) fail(&pong_rep, "executor B", r);
          pong.close_tx();
          b_closed = true;
        });
    if (!rep.tx_closed) ping.close_tx();  // A never ran (pinning failed)
    if (!b_closed) pong.close_tx();
    ping.close_rx();
    pong.close_rx();
  }
  if (rep.err != 0) return st.SkipWithError(rc_text(rep.what, rep.err).c_str());
  if (pong_rep.err != 0) return st.SkipWithError(rc_text(pong_rep.what, pong_rep.err).c_str());
  if (!rep.finished) return st.SkipWithError("the task stopped before its samples were taken");
  Csw self_delta{rep.self1.voluntary - rep.self0.voluntary,
                 rep.self1.involuntary - rep.self0.involuntary};
  long main_v = rep.mine1.voluntary - rep.mine0.voluntary;
  Csw other_delta{self_delta.voluntary - main_v, 0};
  export_csw(st, self_delta, other_delta, samples * (m == Mode::kBatched ? kBatch : 1));
  timer.finish(st, m == Mode::kBatched ? kBatch : 1);
  if (slot_bytes != 0) st.counters["slot_bytes"] = static_cast<double>(slot_bytes);
}

int register_channel_cases(Env& env) {
  Env* e = &env;
  CaseInfo ch = local_case("channel_roundtrip", "", "");
  ch.function = "channel_roundtrip_local, channel_roundtrip_cross";
  ch.description = "a value sent to a task and answered (local: one executor; cross: a task "
                   "on another core's executor)";
  ch.floor_when = {{"run=parked", "eventfd_roundtrip"}, {"where=cross", "pingpong"}};
  Case& chc = NXB_DESCRIBE_CASE(ch);
  for (Mode m : {Mode::kBatched, Mode::kSingle})
    chc.add(m, {{"where", "local"}, {"channel", "local"}},
            "int to a task on the same executor and back through local channels (capacity 1)",
            [e, m](benchmark::State& st) { channel_roundtrip_local(st, *e, m); });
  for (const PuPair& p : env.pairs) {
    const char* cls = pair_class_name(p.cls);
    for (Chan c : {Chan::kMpsc, Chan::kSpsc}) {
      for (Mode m : {Mode::kBatched, Mode::kSingle})
        chc.add(m, {{"where", "cross"}, {"channel", chan_name(c)}, {"run", "busy"},
                    {"pair_class", cls}},
                "int to a task on another core's executor and back (capacity 1, busy)",
                [e, m, c, p](benchmark::State& st) {
                  channel_roundtrip_cross(st, *e, m, c, false, p);
                });
      chc.add(Mode::kSingle,
              {{"where", "cross"}, {"channel", chan_name(c)}, {"run", "parked"},
               {"pair_class", cls}},
              "int to a task on another core's executor and back (capacity 1, both parked)",
              [e, c, p](benchmark::State& st) {
                channel_roundtrip_cross(st, *e, Mode::kSingle, c, true, p);
              });
    }
  }
  return 0;
}

}  // namespace

NXB_FAMILY(60, register_channel_cases);

}  // namespace nxb

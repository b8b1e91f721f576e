// The runtime-service cases (nxrt_services.h), compiled into every executor
// binary (nxbench_<backend>) next to exec_cases.cpp, whose register_cases()
// calls register_services_cases(). Task storage follows exec_cases.cpp's
// rule for the backend: the slab backend spawns into an executor-owned
// bounded slab (nx_spawn_slab, slot size probed, reported as slot_bytes),
// every other backend uses nx_backend_allocator() with nx_spawn. The
// services' own structures (timer heap, channel rings) come from malloc,
// once, before timing.
//
// Cases (names as in the results schema, bench/README.md):
//   io_woken_poll      a task makes its eventfd readable and returns pending;
//                      timed from the write's return to the start of the
//                      task's next poll: the run loop notices the edge
//                      (epoll), wakes the registered reader, polls it.
//                      params run = busy | parked.
//   timer_fire         lateness of a 100 us sleep: CLOCK_MONOTONIC at the
//                      poll that sees it ready minus its deadline (>= 0: a
//                      timer never fires early). From clock readings, not a
//                      TSC pair: timer_cost_cycles is 0. params run
//                      (busy | parked | spin_park).
//   channel_roundtrip  task A sends an int, task B receives it and sends it
//                      back, A receives it; timed in A. Channels of
//                      capacity 1. params where = local (both tasks on one
//                      executor, local channels) | cross (A and B on two
//                      executors on the pair's two PUs, channel = mpsc |
//                      spsc, run = busy | parked, pair_class).
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <string>

#include "harness.h"
#include "nx_backend.h"
#include "nxrt.h"
#include "nxrt_services.h"
#include "tsc.h"

namespace nxb {

namespace {

// ---------------------------------------------------------------------------
// Executor of this binary's backend (the rule of exec_cases.cpp)
// ---------------------------------------------------------------------------

bool use_slab() { return strcmp(nx_backend_name(), "slab") == 0; }

class SvcExec {
 public:
  SvcExec() = default;
  SvcExec(const SvcExec&) = delete;
  SvcExec& operator=(const SvcExec&) = delete;
  ~SvcExec() {
    if (ex_ != nullptr) nx_executor_destroy(ex_);
  }
  // fit_bytes: the largest future spawned. 0 or an nxrt code (*why says).
  int create(size_t fit_bytes, std::string* why) {
    nx_executor_config cfg;
    nx_executor_config_init(&cfg);
    nx_slab_config sc;
    slab_ = use_slab();
    if (slab_) {
      slot_bytes_ = slab_slot_for(fit_bytes);
      if (slot_bytes_ == 0) {
        *why = "no slab slot size fits a " + std::to_string(fit_bytes) + "-byte future";
        return NX_E2BIG;
      }
      nx_slab_config_init(&sc);
      sc.slot_size = slot_bytes_;
      sc.capacity = 16;
      sc.mode = NX_SLAB_BOUNDED;
      cfg.slab = &sc;
    } else {
      cfg.allocator = nx_backend_allocator();
      if (cfg.allocator == nullptr) {
        *why = "nx_backend_allocator() returned NULL";
        return NX_EINVAL;
      }
    }
    int rc = nx_executor_create(&cfg, &ex_);
    if (rc != NX_OK) *why = std::string("nx_executor_create: ") + nx_strerror(rc);
    return rc;
  }
  int spawn(const nx_future_desc* d, const void* init) {
    return slab_ ? nx_spawn_slab(ex_, d, init, nullptr, nullptr)
                 : nx_spawn(ex_, d, init, nullptr, nullptr);
  }
  nx_executor* ex() const { return ex_; }
  void report(benchmark::State& st) const {
    if (slab_) st.counters["slot_bytes"] = static_cast<double>(slot_bytes_);
  }

 private:
  nx_executor* ex_ = nullptr;
  bool slab_ = false;
  size_t slot_bytes_ = 0;
};

std::string rc_text(const char* what, int rc) {
  return std::string(what) + ": " + nx_err_name(rc) + " (" + nx_strerror(rc) + ")";
}

// NX_FUTURE for C++ (the nxrt.h macro is a C compound literal).
template <class T>
nx_future_desc desc_of(nx_poll_fn poll, nx_drop_fn drop) {
  nx_future_desc d;
  d.poll = poll;
  d.drop = drop;
  d.size = sizeof(T);
  d.align = alignof(T);
  d.output_size = 0;
  return d;
}

nx_run_mode run_mode_of(bool parked) { return parked ? NX_RUN_PARKED : NX_RUN_BUSY; }
const char* run_name(bool parked) { return parked ? "parked" : "busy"; }

// Sample bookkeeping shared by the futures below: `warmup` untimed rounds,
// then `n` recorded samples.
struct Quota {
  size_t warmup = 0, n = 0, done = 0;
  bool recording() const { return done >= warmup; }
  bool finished() const { return done >= warmup + n; }
};

// What a task reports back (its state lives in task storage).
struct Report {
  int err = 0;          // first nxrt/errno code, 0 if none
  const char* what = "";
  size_t early = 0;     // timer_fire: fires before the deadline (must stay 0)
  bool finished = false;
  bool tx_closed = false;  // channel_roundtrip: task A closed its sending side
  // channel_roundtrip: context switches over the recorded rounds (task A
  // reads them on its thread when recording starts and when it ends).
  Csw self0, mine0, self1, mine1;
};

void fail(Report* r, const char* what, int rc) {
  if (r->err == 0) {
    r->err = rc;
    r->what = what;
  }
}

// ---------------------------------------------------------------------------
// io_woken_poll
// ---------------------------------------------------------------------------

struct IoState {
  nx_io io;  // zero-filled (the init bytes are zero): not registered yet
  int efd;
  bool registered;
  uint64_t t0;
  Quota q;
  Samples* samples;
  Report* rep;
};

nx_poll poll_io(void* p, nx_cx* cx) {
  uint64_t t1 = tsc_end();  // the woken poll starts
  IoState* s = static_cast<IoState*>(p);
  if (!s->registered) {
    int rc = nx_io_register(&s->io, nx_cx_executor(cx), s->efd, NX_IO_READ);
    if (rc < 0) {
      fail(s->rep, "nx_io_register", rc);
      return NX_READY;
    }
    s->registered = true;
  } else {
    if (s->q.recording()) s->samples->push(t1 - s->t0);
    s->q.done++;
  }
  // Consume the count and read on to EAGAIN: the readiness is cleared and
  // this task is stored as the reader.
  for (;;) {
    uint64_t v;
    size_t n;
    int rc = nx_io_read_poll(&s->io, cx, &v, sizeof v, &n);
    if (rc == NX_PENDING) break;
    if (rc < 0) {
      fail(s->rep, "nx_io_read_poll", rc);
      return NX_READY;
    }
  }
  if (s->q.finished()) {
    s->rep->finished = true;
    return NX_READY;
  }
  uint64_t one = 1;
  if (write(s->efd, &one, sizeof one) != static_cast<ssize_t>(sizeof one)) {
    fail(s->rep, "eventfd write", -errno);
    return NX_READY;
  }
  s->t0 = tsc_begin();
  return NX_PENDING;
}

void drop_io(void* p) { nx_io_drop(&static_cast<IoState*>(p)->io); }

void io_woken_poll(benchmark::State& st, Env& env, bool parked) {
  SvcExec e;
  std::string why;
  if (e.create(sizeof(IoState), &why) != 0) return st.SkipWithError(why.c_str());
  int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd < 0) return st.SkipWithError((std::string("eventfd: ") + strerror(errno)).c_str());
  CaseTimer timer(env);
  Report rep;
  for (auto _ : st) {
    IoState init{};  // zeroed: the nx_io is "not registered"
    init.efd = efd;
    init.q.n = env.samples_for(Mode::kSingle);
    init.q.warmup = init.q.n / 10;
    init.samples = env.samples;
    init.rep = &rep;
    nx_future_desc d = desc_of<IoState>(poll_io, drop_io);
    int rc = e.spawn(&d, &init);
    if (rc >= 0) rc = nx_run(e.ex(), run_mode_of(parked));
    if (rc < 0) fail(&rep, "spawn/run", rc);
  }
  close(efd);
  if (rep.err != 0) return st.SkipWithError(rc_text(rep.what, rep.err).c_str());
  if (!rep.finished) return st.SkipWithError("the task stopped before its samples were taken");
  timer.finish(st, 1);
  e.report(st);
}

// ---------------------------------------------------------------------------
// timer_fire
// ---------------------------------------------------------------------------

constexpr int64_t kSleepNs = 100000;  // 100 us

struct TimerState {
  nx_sleep sl;
  bool armed;
  double ghz;
  Quota q;
  Samples* samples;
  Report* rep;
};

nx_poll poll_timer(void* p, nx_cx* cx) {
  TimerState* s = static_cast<TimerState*>(p);
  for (;;) {
    if (!s->armed) {
      int rc = nx_sleep_init(&s->sl, nx_cx_executor(cx), kSleepNs);
      if (rc < 0) {
        fail(s->rep, "nx_sleep_init", rc);
        return NX_READY;
      }
      s->armed = true;
    }
    int rc = nx_sleep_poll(&s->sl, cx);
    if (rc == NX_PENDING) return NX_PENDING;
    if (rc < 0) {
      fail(s->rep, "nx_sleep_poll", rc);
      return NX_READY;
    }
    int64_t late_ns = nx_now_ns() - nx_sleep_deadline(&s->sl);
    if (late_ns < 0) {
      s->rep->early++;
      late_ns = 0;
    }
    if (s->q.recording())
      s->samples->push(static_cast<uint64_t>(std::llround(static_cast<double>(late_ns) * s->ghz)));
    s->q.done++;
    s->armed = false;
    if (s->q.finished()) {
      s->rep->finished = true;
      return NX_READY;
    }
  }
}

void drop_timer(void* p) { nx_sleep_drop(&static_cast<TimerState*>(p)->sl); }

void timer_fire(benchmark::State& st, Env& env, nx_run_mode mode) {
  SvcExec e;
  std::string why;
  if (e.create(sizeof(TimerState), &why) != 0) return st.SkipWithError(why.c_str());
  env.samples->clear();
  Report rep;
  for (auto _ : st) {
    TimerState init{};
    init.ghz = env.tsc_ghz;
    init.q.n = env.roundtrip_samples(Mode::kSingle, true);
    init.q.warmup = init.q.n / 10;
    init.samples = env.samples;
    init.rep = &rep;
    nx_future_desc d = desc_of<TimerState>(poll_timer, drop_timer);
    int rc = e.spawn(&d, &init);
    if (rc >= 0) rc = nx_run(e.ex(), mode);
    if (rc < 0) fail(&rep, "spawn/run", rc);
  }
  if (rep.err != 0) return st.SkipWithError(rc_text(rep.what, rep.err).c_str());
  if (!rep.finished) return st.SkipWithError("the task stopped before its samples were taken");
  if (rep.early != 0) return st.SkipWithError("a sleep completed before its deadline");
  if (env.samples->dropped() != 0)
    return st.SkipWithError("more samples than the buffer holds (a bug in the case)");
  // Clock readings, no TSC pair inside a sample: nothing to subtract.
  export_summary(st, summarize(*env.samples, 1, 0), env.tsc_ghz);
  e.report(st);
}

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
  s.q.warmup = samples / 10;
  s.samples = env.samples;
  s.rep = rep;
  return s;
}

void channel_roundtrip_local(benchmark::State& st, Env& env, Mode m) {
  SvcExec e;
  std::string why;
  if (e.create(sizeof(PingState), &why) != 0) return st.SkipWithError(why.c_str());
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
  e.report(st);
}

void channel_roundtrip_cross(benchmark::State& st, Env& env, Mode m, Chan c, bool parked,
                             const PuPair& pair) {
  size_t slot_bytes = use_slab() ? slab_slot_for(sizeof(PingState)) : 0;
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
          SvcExec e;
          std::string why;
          int r = e.create(sizeof(PingState), &why);
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
          SvcExec e;
          std::string why;
          int r = e.create(sizeof(PongState), &why);
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

}  // namespace

int register_services_cases(Env& env) {
  Env* e = &env;
  CaseInfo io;
  io.name = "io_woken_poll";
  io.function = "io_woken_poll";
  io.description = "an eventfd made readable, the task waiting on it polled: write to poll";
  io.floor = "indirect_call";
  Case& ioc = NXB_DESCRIBE_CASE(io);
  CaseInfo tf = io;
  tf.name = "timer_fire";
  tf.function = "timer_fire";
  tf.description = "lateness of a 100 us sleep after its deadline";
  Case& tfc = NXB_DESCRIBE_CASE(tf);
  for (bool parked : {false, true}) {
    ioc.add(Mode::kSingle, {{"run", run_name(parked)}},
            "a task makes its eventfd readable; the run loop's epoll wakes it and polls it",
            [e, parked](benchmark::State& st) { io_woken_poll(st, *e, parked); });
    tfc.add(Mode::kSingle, {{"run", run_name(parked)}},
            "lateness of a 100 us sleep: clock at the poll that sees it ready minus deadline",
            [e, parked](benchmark::State& st) { timer_fire(st, *e, run_mode_of(parked)); });
  }
  tfc.add(Mode::kSingle, {{"run", "spin_park"}},
          "lateness of a 100 us sleep, NX_RUN_SPIN_PARK with the default spin budget",
          [e](benchmark::State& st) { timer_fire(st, *e, NX_RUN_SPIN_PARK); });
  CaseInfo ch = io;
  ch.name = "channel_roundtrip";
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


NXB_FAMILY(20, register_services_cases);

}  // namespace nxb

// Timer and IO readiness cases (nxrt_services.h), timed from outside the
// executor's loop:
//   io_woken_poll  a task makes its eventfd readable and returns pending;
//                  timed from the write's return to the start of the task's
//                  next poll: the run loop notices the edge (epoll), wakes
//                  the registered reader, polls it. params run = busy | parked.
//   timer_fire     lateness of a 100 us sleep: CLOCK_MONOTONIC at the poll
//                  that sees it ready minus its deadline (>= 0: a timer never
//                  fires early). From clock readings, not a TSC pair:
//                  timer_cost_cycles is 0. params run
//                  (busy | parked | spin_park).
// The services' own structures (timer heap) come from malloc, once, before
// timing.
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <string>

#include "nxrt_services.h"
#include "tsc.h"
#include "exec_adapter.h"
#include "harness.h"

namespace nxb {
namespace {

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
  Exec e;
  std::string why;
  if (e.create(sizeof(IoState), 16, 0, &why) != 0) return st.SkipWithError(why.c_str());
  int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd < 0) return st.SkipWithError((std::string("eventfd: ") + strerror(errno)).c_str());
  CaseTimer timer(env);
  Report rep;
  for (auto _ : st) {
    IoState init{};  // zeroed: the nx_io is "not registered"
    init.efd = efd;
    init.q.n = env.samples_for(Mode::kSingle);
    init.q.warmup = warmup_samples(init.q.n);
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
  e.report_slot(st);
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
  Exec e;
  std::string why;
  if (e.create(sizeof(TimerState), 16, 0, &why) != 0) return st.SkipWithError(why.c_str());
  env.samples->clear();
  Report rep;
  for (auto _ : st) {
    TimerState init{};
    init.ghz = env.tsc_ghz;
    init.q.n = env.roundtrip_samples(Mode::kSingle, true);
    init.q.warmup = warmup_samples(init.q.n);
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
  e.report_slot(st);
}

int register_timer_io_cases(Env& env) {
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
  tf.section = "timer_lateness";
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
  return 0;
}

}  // namespace

NXB_FAMILY(50, register_timer_io_cases);

}  // namespace nxb

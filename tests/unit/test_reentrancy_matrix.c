/* The re-entrancy contract of nxrt.h ("Callbacks and re-entrancy"), as a
 * matrix: every public function of the list CALLS, from every context of
 * the list CONTEXTS. Calls the contract allows work (their documented
 * success, and tasks spawned there run and are dropped once); the others
 * return NX_EBUSY, or NX_ESHUTDOWN while nx_executor_shutdown drops futures;
 * nx_executor_destroy does nothing. The executor stays usable afterwards,
 * and every allocation comes back (ASan and valgrind check the memory).
 *
 * Contexts: a poll function; a drop function run by the run loop, by a
 * top-level nx_cancel and by nx_executor_shutdown; an allocator's free set
 * off by a waker dropped inside a drop function, by a waker dropped at top
 * level, and by the timer service hook (a sleep firing holds the last waker
 * of a task cancelled meanwhile); an allocator's alloc called by a spawn at
 * top level and by a spawn inside a poll. */
#include "nx_test.h"

#include "nxrt_services.h"

/* ------------------------------------------------------------------------ */
/* The contexts                                                             */
/* ------------------------------------------------------------------------ */

#define CONTEXTS(X)                                                       \
  X(POLL, "poll function")                                                \
  X(DROP_RUN, "drop function, task completed in the run loop")           \
  X(DROP_CANCEL, "drop function run by a top-level nx_cancel")            \
  X(DROP_SHUTDOWN, "drop function run by nx_executor_shutdown")          \
  X(FREE_IN_DROP, "allocator free: a waker dropped inside a drop function") \
  X(FREE_TOP, "allocator free: the last waker dropped at top level")     \
  X(FREE_IN_TIMER, "allocator free: the timer service hook firing a sleep") \
  X(ALLOC_TOP, "allocator alloc: a top-level nx_spawn")                 \
  X(ALLOC_IN_POLL, "allocator alloc: an nx_spawn inside a poll")

enum ctx {
#define CTX_ENUM(name, text) C_##name,
  CONTEXTS(CTX_ENUM)
#undef CTX_ENUM
  NCTX
};
static const char *const ctx_text[] = {
#define CTX_TEXT(name, text) text,
    CONTEXTS(CTX_TEXT)
#undef CTX_TEXT
};

/* ------------------------------------------------------------------------ */
/* The fixture the calls act on                                             */
/* ------------------------------------------------------------------------ */

typedef struct fixture {
  nx_executor *ex;
  enum ctx ctx;
  nx_cx *cx;             /* the poll's cx (POLL), else NULL */
  nx_task_id self;       /* the task whose poll/drop runs (POLL, DROP_*) */
  nx_task_id bystander;  /* a pending task, spawned first */
  nx_join bystander_join;
  nx_waker bystander_waker;
  nx_probe spawned[6];   /* tasks spawned from the callback */
  int pipe_fd[2];
} fixture;

static fixture fx;

/* Expected results. VOID: a call without a result (it must just return);
 * ANY: a query whose value the contract leaves to the state. */
enum { VOID = 1000, ANY = 1001, SKIP = 1002 };

static int in_shutdown(void) { return fx.ctx == C_DROP_SHUTDOWN; }
static int busy_or_shut(void) { return in_shutdown() ? NX_ESHUTDOWN : NX_EBUSY; }
static int ok_or_shut(void) { return in_shutdown() ? NX_ESHUTDOWN : NX_OK; }

static nx_poll ready_poll(void *s, nx_cx *cx) {
  (void)s;
  (void)cx;
  return NX_READY;
}

/* ------------------------------------------------------------------------ */
/* The calls: X(name, call expression -> int, expected -> int)              */
/* ------------------------------------------------------------------------ */

static int call_spawn(int slab) {
  nx_probe *p = &fx.spawned[slab];
  return nx_probe_spawn(fx.ex, slab, p, 1, 0, 0, NULL, NULL);
}

/* nx_spawn_prepared (slab 0) / nx_spawn_slab_prepared (1): spawned[4 + slab]. */
static int call_spawn_prepared(int slab) {
  nx_probe_fut f = {&fx.spawned[4 + slab], 1, 0, 0};
  nx_future_desc d = nx_probe_desc();
  nx_prepared_future pf;
  int rc = nx_future_prepare(&d, &pf);
  if (rc != NX_OK) return rc;
  return slab ? nx_spawn_slab_prepared(fx.ex, &pf, &f, NULL, NULL)
              : nx_spawn_prepared(fx.ex, &pf, &f, NULL, NULL);
}

static int call_reserve(int commit) {
  nx_future_desc d = nx_probe_desc();
  nx_reservation r;
  int rc = nx_reserve(fx.ex, 0, &d, &r);
  if (rc != NX_OK) return rc;
  nx_probe_fut f = {&fx.spawned[2 + commit], 1, 0, 0};
  memcpy(r.state, &f, sizeof f);
  if (commit) return nx_reserve_commit(&r, NULL, NULL);
  nx_reserve_abort(&r);
  return NX_OK;
}

static int call_block_on(void) {
  nx_future_desc d = {ready_poll, NULL, 0, 0, 0};
  return nx_block_on(fx.ex, NX_RUN_BUSY, &d, NULL, NULL, 0);
}

static int call_waker_ops(void) {
  nx_waker a, b;
  int rc = nx_waker_clone(&fx.bystander_waker, &a);
  if (rc != NX_OK) return rc;
  NX_CHECK_OK(nx_waker_clone(&a, &b));
  NX_CHECK_EQ(nx_waker_will_wake(&a, &b), 1);
  nx_waker_wake_by_ref(&a);
  nx_waker_wake(&a);
  nx_waker_drop(&b);
  NX_CHECK(a.task == NULL && b.task == NULL);
  return NX_OK;
}

static int call_join_try(void) {
  return nx_join_try(&fx.bystander_join, NULL, 0);
}

static int call_cx(void) {
  nx_waker w = nx_cx_waker(fx.cx);
  nx_cx_wake(fx.cx);
  (void)nx_cx_output(fx.cx);
  NX_CHECK(nx_cx_executor(fx.cx) == (fx.cx ? fx.ex : NULL));
  NX_CHECK((w.task != NULL) == (fx.cx != NULL));
  return nx_cx_task_id(fx.cx) == (fx.cx ? fx.self : NX_TASK_ID_NONE) ? NX_OK : NX_EINVAL;
}

static int call_queries(void) {
  NX_CHECK(nx_executor_allocated_tasks(fx.ex) >= nx_executor_live_tasks(fx.ex));
  nx_slab *slab = nx_executor_slab(fx.ex);
  NX_CHECK(slab != NULL);
  NX_CHECK(nx_slab_in_use(slab) <= nx_slab_capacity(slab));
  nx_executor_unpark(fx.ex);
  return VOID;
}

static int call_sleep(void) {
  nx_sleep s;
  int rc = nx_sleep_init(&s, fx.ex, 1000);
  nx_sleep_drop(&s);
  return rc;
}

static int call_io(void) {
  nx_io io = {0};
  int rc = nx_io_register(&io, fx.ex, fx.pipe_fd[0], NX_IO_READ);
  if (rc == NX_OK) NX_CHECK_OK(nx_io_deregister(&io));
  return rc;
}

static int call_shutdown_handle(void) {
  nx_shutdown *h = NULL;
  int rc = nx_shutdown_handle(fx.ex, &h);
  nx_shutdown_release(h);
  return rc;
}

static int call_channel(void) {
  nx_local_tx tx;
  nx_local_rx rx;
  int v = 7, out = 0;
  NX_CHECK_OK(nx_local_chan_create(2, sizeof v, NULL, &tx, &rx));
  NX_CHECK_OK(nx_local_try_send(&tx, &v));
  int rc = nx_local_try_recv(&rx, &out);
  NX_CHECK_EQ(out, 7);
  nx_local_tx_close(&tx);
  nx_local_rx_close(&rx);
  return rc;
}

static int call_other_executor(void) {
  nx_executor *other;
  int rc = nx_executor_create(NULL, &other);
  if (rc != NX_OK) return rc;
  nx_future_desc d = {ready_poll, NULL, 0, 0, 0};
  NX_CHECK_OK(nx_block_on(other, NX_RUN_BUSY, &d, NULL, NULL, 0));
  nx_executor_destroy(other);
  return NX_OK;
}

static int cancel_self_expect(void) {
  switch (fx.ctx) {
    case C_POLL: return NX_OK;               /* dropped right after the poll */
    case C_DROP_RUN:
    case C_DROP_CANCEL: return NX_EALREADY;  /* the task being dropped is complete */
    case C_DROP_SHUTDOWN: return NX_ESHUTDOWN;
    default: return SKIP;                    /* a free has no task of its own */
  }
}

/* join_try on the pending bystander: pending, except in shutdown, which
 * dropped it already (it was spawned first). */
static int join_expect(void) { return in_shutdown() ? NX_ECANCELED : NX_PENDING; }

#define CALLS(X)                                                                       \
  X(run_once, nx_run_once(fx.ex), busy_or_shut())                                      \
  X(run_busy, nx_run(fx.ex, NX_RUN_BUSY), busy_or_shut())                              \
  X(run_parked, nx_run(fx.ex, NX_RUN_PARKED), busy_or_shut())                          \
  X(block_on, call_block_on(), busy_or_shut())                                         \
  X(executor_shutdown, nx_executor_shutdown(fx.ex), NX_EBUSY)                          \
  X(executor_destroy, (nx_executor_destroy(fx.ex), VOID), VOID)                        \
  X(spawn, call_spawn(0), ok_or_shut())                                                \
  X(spawn_slab, call_spawn(1), ok_or_shut())                                           \
  X(spawn_prepared, call_spawn_prepared(0), ok_or_shut())                              \
  X(spawn_slab_prepared, call_spawn_prepared(1), ok_or_shut())                         \
  X(reserve_abort, call_reserve(0), ok_or_shut())                                      \
  X(reserve_commit, call_reserve(1), ok_or_shut())                                     \
  X(cancel_stale, nx_cancel(fx.ex, ((nx_task_id)77 << 32) | 3), in_shutdown() ? NX_ESHUTDOWN : NX_ESTALE) \
  X(cancel_self, cancel_self_expect() == SKIP ? SKIP : nx_cancel(fx.ex, fx.self), cancel_self_expect()) \
  X(waker_ops, call_waker_ops(), NX_OK)                                                \
  X(join_try, call_join_try(), join_expect())                                          \
  X(cx_functions, call_cx(), NX_OK)                                                    \
  X(queries, call_queries(), VOID)                                                     \
  X(sleep_init, call_sleep(), ok_or_shut())                                            \
  X(io_register, call_io(), ok_or_shut())                                              \
  X(shutdown_handle, call_shutdown_handle(), ok_or_shut())                             \
  X(local_channel, call_channel(), NX_OK)                                              \
  X(other_executor, call_other_executor(), NX_OK)                                      \
  X(cancel_bystander, nx_cancel(fx.ex, fx.bystander), ok_or_shut())

static int calls_made;

/* Runs every call from the current context, checking each result. */
static void run_all_calls(void) {
  int got, want;
#define RUN_CALL(name, expr, expected)                                                   \
  want = (expected);                                                                     \
  got = (expr);                                                                          \
  if (got != want)                                                                       \
    nx_test_fail(__FILE__, __LINE__, "from %s: %s returned %d (%s), expected %d (%s)",   \
                 ctx_text[fx.ctx], #name, got, nx_test_code_name(got), want,             \
                 nx_test_code_name(want));                                               \
  calls_made++;
  CALLS(RUN_CALL)
#undef RUN_CALL
}

/* ------------------------------------------------------------------------ */
/* An allocator whose free runs the calls when it frees one armed pointer,  */
/* and whose alloc runs them once when armed                                */
/* ------------------------------------------------------------------------ */

static nx_test_alloc_stats stats;
static void *armed;
static int free_ran_calls;
static int alloc_armed;
static int alloc_ran_calls;

static void *hook_alloc(void *ctx, size_t size, size_t align) {
  if (alloc_armed) {
    alloc_armed = 0; /* the spawns among the calls allocate too */
    run_all_calls();
    alloc_ran_calls++;
  }
  return nx_test_counting_alloc(ctx, size, align);
}

static void hook_free(void *ctx, void *p, size_t size, size_t align) {
  if (p != NULL && p == armed) {
    armed = NULL;
    run_all_calls();
    free_ran_calls++;
  }
  nx_test_counting_free(ctx, p, size, align);
}

/* ------------------------------------------------------------------------ */
/* The task whose poll or drop is the context                               */
/* ------------------------------------------------------------------------ */

typedef struct {
  int ready;          /* its poll returns READY */
  int calls_in_poll;
  int calls_in_drop;
  int spawn_in_poll;  /* ALLOC_IN_POLL: spawn with the alloc armed */
  nx_waker victim;    /* FREE_IN_DROP: the last waker of a completed task */
} ctx_ctl;
typedef struct { ctx_ctl *ctl; } ctx_fut;

static nx_poll ctx_poll(void *s, nx_cx *cx) {
  ctx_ctl *c = ((ctx_fut *)s)->ctl;
  if (c->calls_in_poll) {
    fx.cx = cx;
    run_all_calls();
    fx.cx = NULL;
  }
  if (c->spawn_in_poll) {
    nx_future_desc d = {ready_poll, NULL, 0, 0, 0};
    alloc_armed = 1;
    NX_CHECK_OK(nx_spawn(nx_cx_executor(cx), &d, NULL, NULL, NULL));
  }
  return c->ready ? NX_READY : NX_PENDING;
}

static void ctx_drop(void *s) {
  ctx_ctl *c = ((ctx_fut *)s)->ctl;
  if (c->calls_in_drop) run_all_calls();
  nx_waker_drop(&c->victim); /* FREE_IN_DROP: frees the victim here */
}

/* A task that completes at once after handing out a clone of its waker. */
static nx_waker handed;
static nx_poll hand_waker_poll(void *s, nx_cx *cx) {
  (void)s;
  nx_waker w = nx_cx_waker(cx);
  NX_CHECK_OK(nx_waker_clone(&w, &handed));
  return NX_READY;
}

/* FREE_IN_TIMER: a task that registers a sleep kept outside its state and
 * does not drop it, so the timer keeps its last waker after a cancel. */
static nx_sleep outside_sleep;
static void *sleeper_task;
static nx_poll sleeper_poll(void *s, nx_cx *cx) {
  (void)s;
  sleeper_task = nx_cx_waker(cx).task; /* the storage the free will get */
  int rc = nx_sleep_poll(&outside_sleep, cx);
  NX_CHECK_RC(rc, NX_PENDING);
  return NX_PENDING;
}

static void scenario(enum ctx ctx) {
  memset(&fx, 0, sizeof fx);
  memset(&stats, 0, sizeof stats);
  fx.ctx = ctx;
  NX_CHECK(pipe(fx.pipe_fd) == 0);
  nx_allocator alloc = {"hook", hook_alloc, hook_free, NULL, &stats};
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  fx.ex = nx_test_executor(0, 0, &alloc, &sc);

  /* The bystander: pending, waker held, joinable; spawned first. */
  nx_probe by = {0};
  NX_CHECK_OK(nx_probe_spawn(fx.ex, 0, &by, 0, 0, 1, &fx.bystander, &fx.bystander_join));
  NX_CHECK_EQ(nx_run_once(fx.ex), 1);
  fx.bystander_waker = by.waker;

  ctx_ctl ctl = {0};
  ctx_fut cf = {&ctl};
  nx_future_desc cd = NX_FUTURE(ctx_fut, ctx_poll, ctx_drop);
  nx_future_desc hd = {hand_waker_poll, NULL, 0, 0, 0};
  calls_made = 0;
  free_ran_calls = 0;
  alloc_ran_calls = 0;
  switch (ctx) {
    case C_POLL:
      ctl.calls_in_poll = 1;
      ctl.ready = 1;
      NX_CHECK_OK(nx_spawn(fx.ex, &cd, &cf, &fx.self, NULL));
      nx_run_once(fx.ex);
      break;
    case C_DROP_RUN:
      ctl.calls_in_drop = 1;
      ctl.ready = 1;
      NX_CHECK_OK(nx_spawn(fx.ex, &cd, &cf, &fx.self, NULL));
      nx_run_once(fx.ex);
      break;
    case C_DROP_CANCEL:
      ctl.calls_in_drop = 1;
      NX_CHECK_OK(nx_spawn(fx.ex, &cd, &cf, &fx.self, NULL));
      NX_CHECK_OK(nx_cancel(fx.ex, fx.self));
      break;
    case C_DROP_SHUTDOWN:
      ctl.calls_in_drop = 1;
      NX_CHECK_OK(nx_spawn(fx.ex, &cd, &cf, &fx.self, NULL));
      NX_CHECK_OK(nx_executor_shutdown(fx.ex));
      break;
    case C_FREE_IN_DROP:
    case C_FREE_TOP:
      NX_CHECK_OK(nx_spawn(fx.ex, &hd, NULL, NULL, NULL));
      NX_CHECK_EQ(nx_run_once(fx.ex), 1); /* completed; `handed` keeps it */
      armed = handed.task;
      if (ctx == C_FREE_TOP) {
        nx_waker_drop(&handed);
      } else {
        ctl.ready = 1;
        ctl.victim = handed;
        handed.task = NULL;
        NX_CHECK_OK(nx_spawn(fx.ex, &cd, &cf, NULL, NULL));
        nx_run_once(fx.ex);
      }
      NX_CHECK_EQ(free_ran_calls, 1);
      break;
    case C_FREE_IN_TIMER: {
      nx_future_desc sd = {sleeper_poll, NULL, 0, 0, 0};
      nx_task_id sid;
      NX_CHECK_OK(nx_sleep_init(&outside_sleep, fx.ex, 3600 * 1000000000LL));
      NX_CHECK_OK(nx_spawn(fx.ex, &sd, NULL, &sid, NULL));
      NX_CHECK_EQ(nx_run_once(fx.ex), 1);
      NX_CHECK_OK(nx_cancel(fx.ex, sid)); /* dropped; the timer keeps its waker */
      armed = sleeper_task;
      NX_CHECK_OK(nx_sleep_reset(&outside_sleep, nx_now_ns())); /* due now */
      nx_run_once(fx.ex); /* the hook fires the sleep: last waker, free */
      NX_CHECK_EQ(free_ran_calls, 1);
      nx_sleep_drop(&outside_sleep);
      break;
    }
    case C_ALLOC_TOP: {
      nx_future_desc d = {ready_poll, NULL, 0, 0, 0};
      alloc_armed = 1;
      NX_CHECK_OK(nx_spawn(fx.ex, &d, NULL, NULL, NULL));
      NX_CHECK_EQ(alloc_ran_calls, 1);
      break;
    }
    case C_ALLOC_IN_POLL:
      ctl.spawn_in_poll = 1;
      ctl.ready = 1;
      NX_CHECK_OK(nx_spawn(fx.ex, &cd, &cf, NULL, NULL));
      NX_CHECK_EQ(nx_run_once(fx.ex), 1);
      NX_CHECK_EQ(alloc_ran_calls, 1);
      break;
    case NCTX:
      break;
  }
  NX_CHECK(calls_made > 0);

  /* Afterwards the executor is intact and usable: tasks spawned from the
   * callback run and are dropped once; everything comes back. */
  nx_waker_drop(&fx.bystander_waker);
  if (!in_shutdown()) {
    nx_test_run_idle(fx.ex);
    for (int i = 0; i < 6; i++) {
      if (i == 2) continue; /* the aborted reservation never ran */
      NX_CHECK_EQ(fx.spawned[i].polls, 1);
      NX_CHECK_EQ(fx.spawned[i].drops, 1);
    }
    NX_CHECK_EQ(fx.spawned[2].polls + fx.spawned[2].drops, 0);
    NX_CHECK_EQ(by.drops, 1); /* cancelled by the last call */
  }
  nx_join_detach(&fx.bystander_join);
  nx_executor_destroy(fx.ex);
  NX_CHECK_EQ_U(stats.allocs, stats.frees);
  NX_CHECK_EQ_U(stats.bad_free_args, 0);
  close(fx.pipe_fd[0]);
  close(fx.pipe_fd[1]);
  printf("%-60s %d calls\n", ctx_text[ctx], calls_made);
}

int main(void) {
  nx_test_start();
  for (int c = 0; c < NCTX; c++) scenario((enum ctx)c);
  return 0;
}

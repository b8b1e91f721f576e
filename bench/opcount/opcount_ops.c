/*
 * The operations nx_opcount counts (bench/opcount/README.md defines them),
 * the callgrind markers around them, and the measuring of one operation at
 * two counts. The command line is opcount.c.
 *
 * Licensed under the MIT license (see LICENSE).
 */
#include "opcount.h"

#include "nx_backend.h"
#include "nxrt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/callgrind.h>

/* ------------------------------------------------------------------------ */
/* Markers. noinline and extern so callgrind sees them as functions, and so
 * a reader of callgrind_annotate output can find them.                     */
/* ------------------------------------------------------------------------ */

__attribute__((noinline)) void nx_opcount_begin(const char *label) {
  (void)label;
  CALLGRIND_ZERO_STATS;
  CALLGRIND_TOGGLE_COLLECT; /* on: --collect-atstart=no starts with it off */
}

__attribute__((noinline)) void nx_opcount_end(const char *label) {
  CALLGRIND_TOGGLE_COLLECT; /* off */
  CALLGRIND_DUMP_STATS_AT(label);
}

/* ------------------------------------------------------------------------ */
/* Environment                                                              */
/* ------------------------------------------------------------------------ */

typedef struct opc_slot {
  uint32_t index; /* which g_wakers entry belongs to this task */
} opc_slot;

struct opc_env {
  nx_executor *ex;
  int use_slab; /* nx_spawn_slab on an executor-owned slab (nx_backend_storage_kind) */
  opc_params params;
  nx_prepared_future prepared; /* spawn_prepared_poll_free's future */
};

static const char *g_op; /* for error messages */
static unsigned char g_init[OPC_MAX_FUTURE];
static nx_waker g_wakers[2 * OPC_BATCH];
static int g_armed; /* wake_other_poll: 0 while the ring is being set up */

static void opc_check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "nx_opcount: %s: %s failed: %s (%s)\n", g_op ? g_op : "setup", what,
            nx_strerror(rc), nx_err_name(rc));
    exit(3);
  }
}

static void opc_env_open(opc_env *env, const opc_params *p) {
  const nx_allocator *alloc = nx_backend_allocator();
  if (alloc == NULL) {
    fprintf(stderr, "nx_opcount: backend %s has no allocator\n", nx_backend_name());
    exit(3);
  }
  nx_executor_config cfg;
  nx_slab_config slab;
  opc_check(nx_executor_config_init(&cfg), "nx_executor_config_init");
  env->use_slab = nx_backend_storage_kind() == NX_BACKEND_STORAGE_EXECUTOR_SLAB;
  env->params = *p;
  if (env->use_slab) {
    opc_check(nx_slab_config_init(&slab), "nx_slab_config_init");
    slab.mode = NX_SLAB_BOUNDED;
    /* The benchmark harness's slot size for the same future. */
    slab.slot_size = nx_backend_slab_slot_for(p->future_bytes > sizeof(opc_slot)
                                                  ? p->future_bytes : sizeof(opc_slot));
    slab.capacity = p->live_tasks + 4 * OPC_BATCH;
    cfg.slab = &slab;
  } else {
    cfg.allocator = alloc;
  }
  opc_check(nx_executor_create(&cfg, &env->ex), "nx_executor_create");
}

static void opc_env_close(opc_env *env) {
  for (size_t i = 0; i < 2 * OPC_BATCH; i++) nx_waker_drop(&g_wakers[i]);
  nx_executor_destroy(env->ex);
  env->ex = NULL;
}

static void opc_spawn(opc_env *env, const nx_future_desc *desc, const void *init) {
  int rc = env->use_slab ? nx_spawn_slab(env->ex, desc, init, NULL, NULL)
                         : nx_spawn(env->ex, desc, init, NULL, NULL);
  opc_check(rc, env->use_slab ? "nx_spawn_slab" : "nx_spawn");
}

static void opc_spawn_prepared(opc_env *env, const void *init) {
  int rc = env->use_slab ? nx_spawn_slab_prepared(env->ex, &env->prepared, init, NULL, NULL)
                         : nx_spawn_prepared(env->ex, &env->prepared, init, NULL, NULL);
  opc_check(rc, env->use_slab ? "nx_spawn_slab_prepared" : "nx_spawn_prepared");
}

/* Runs cycles until `polls` polls have been made; returns how many were. */
static size_t opc_run_polls(opc_env *env, size_t polls) {
  size_t done = 0;
  while (done < polls) {
    int rc = nx_run_once(env->ex);
    opc_check(rc, "nx_run_once");
    if (rc == 0) {
      fprintf(stderr, "nx_opcount: %s: nx_run_once polled nothing (%zu of %zu polls)\n",
              g_op, done, polls);
      exit(3);
    }
    done += (size_t)rc;
  }
  return done;
}

/* ------------------------------------------------------------------------ */
/* Futures                                                                  */
/* ------------------------------------------------------------------------ */


/* Completes at its first poll. */
static nx_poll opc_poll_ready(void *state, nx_cx *cx) {
  (void)state;
  (void)cx;
  return NX_READY;
}

/* Never completes and never wakes itself: stays alive. */
static nx_poll opc_poll_idle(void *state, nx_cx *cx) {
  (void)state;
  (void)cx;
  return NX_PENDING;
}

/* Stores a clone of its waker at its first poll, then waits to be woken. */
static nx_poll opc_poll_parked(void *state, nx_cx *cx) {
  opc_slot *s = state;
  if (g_wakers[s->index].task == NULL) {
    nx_waker w = nx_cx_waker(cx);
    opc_check(nx_waker_clone(&w, &g_wakers[s->index]), "nx_waker_clone");
  }
  return NX_PENDING;
}

/* Wakes itself at every poll. */
static nx_poll opc_poll_self_wake(void *state, nx_cx *cx) {
  (void)state;
  nx_cx_wake(cx);
  return NX_PENDING;
}

/* A ring of 2*BATCH tasks: once armed, task i wakes task i+BATCH (mod 2*BATCH). */
static nx_poll opc_poll_wake_other(void *state, nx_cx *cx) {
  opc_slot *s = state;
  if (!g_armed) return opc_poll_parked(state, cx);
  nx_waker_wake_by_ref(&g_wakers[(s->index + OPC_BATCH) % (2 * OPC_BATCH)]);
  return NX_PENDING;
}

static nx_future_desc opc_desc(nx_poll_fn poll, size_t size) {
  nx_future_desc d = {poll, NULL, size, 0, 0};
  return d;
}

static void opc_spawn_indexed(opc_env *env, nx_poll_fn poll, uint32_t count) {
  nx_future_desc d = opc_desc(poll, sizeof(opc_slot));
  for (uint32_t i = 0; i < count; i++) {
    opc_slot s = {i};
    opc_spawn(env, &d, &s);
  }
}

/* ------------------------------------------------------------------------ */
/* Operations: setup (not counted), run n operations (counted)              */
/* ------------------------------------------------------------------------ */

static void setup_nothing(opc_env *env) { (void)env; }

/* spawn_poll_free: spawn a future that completes at its first poll; the
 * cycle polls it and frees its storage. BATCH spawns, then one cycle. */
static void run_spawn_poll_free(opc_env *env, size_t n) {
  nx_future_desc d = opc_desc(opc_poll_ready, env->params.future_bytes);
  for (size_t done = 0; done < n; done += OPC_BATCH) {
    for (unsigned i = 0; i < OPC_BATCH; i++) {
#ifdef NX_OPCOUNT_PLANT_SLOWDOWN
      /* Test-only build (tests/tools): a deliberate slowdown in this
       * operation alone, which the gate must catch and name. */
      for (volatile int k = 0; k < 16; k++) {
      }
#endif
      opc_spawn(env, &d, g_init);
    }
    opc_run_polls(env, OPC_BATCH);
  }
}

/* spawn_prepared_poll_free: the same through a prepared future
 * (nx_future_prepare once, not counted; then nx_spawn_prepared or
 * nx_spawn_slab_prepared). */
static void setup_prepared(opc_env *env) {
  nx_future_desc d = opc_desc(opc_poll_ready, env->params.future_bytes);
  opc_check(nx_future_prepare(&d, &env->prepared), "nx_future_prepare");
}

static void run_spawn_prepared_poll_free(opc_env *env, size_t n) {
  for (size_t done = 0; done < n; done += OPC_BATCH) {
    for (unsigned i = 0; i < OPC_BATCH; i++) opc_spawn_prepared(env, g_init);
    opc_run_polls(env, OPC_BATCH);
  }
}

/* spawn_with_live: the same, while `live_tasks` idle tasks stay alive. */
static void setup_live(opc_env *env) {
  nx_future_desc d = opc_desc(opc_poll_idle, 0);
  size_t live = env->params.live_tasks;
  for (size_t i = 0; i < live; i++) opc_spawn(env, &d, NULL);
  opc_run_polls(env, live); /* each is polled once and then never again */
}

/* poll_queued: BATCH parked tasks; wake each (by reference, from outside
 * any poll, on the executor's thread), then one cycle polls them. */
static void setup_parked(opc_env *env) {
  opc_spawn_indexed(env, opc_poll_parked, OPC_BATCH);
  opc_run_polls(env, OPC_BATCH);
}

static void run_poll_queued(opc_env *env, size_t n) {
  for (size_t done = 0; done < n; done += OPC_BATCH) {
    for (unsigned i = 0; i < OPC_BATCH; i++) nx_waker_wake_by_ref(&g_wakers[i]);
    opc_run_polls(env, OPC_BATCH);
  }
}

/* self_wake_poll: BATCH tasks that wake themselves; each cycle polls all. */
static void setup_self_wake(opc_env *env) {
  opc_spawn_indexed(env, opc_poll_self_wake, OPC_BATCH);
  opc_run_polls(env, OPC_BATCH);
}

static void run_polls(opc_env *env, size_t n) { opc_run_polls(env, n); }

/* wake_other_poll: a ring where each poll wakes another task. */
static void setup_wake_other(opc_env *env) {
  g_armed = 0;
  opc_spawn_indexed(env, opc_poll_wake_other, 2 * OPC_BATCH);
  opc_run_polls(env, 2 * OPC_BATCH);
  g_armed = 1;
  for (unsigned i = 0; i < OPC_BATCH; i++) nx_waker_wake_by_ref(&g_wakers[i]);
}

/* waker_clone_drop: clone a stored waker and drop the clone. */
static void run_waker_clone_drop(opc_env *env, size_t n) {
  (void)env;
  for (size_t i = 0; i < n; i++) {
    nx_waker c;
    opc_check(nx_waker_clone(&g_wakers[0], &c), "nx_waker_clone");
    nx_waker_drop(&c);
  }
}

const opc_op opc_ops[] = {
    {"spawn_poll_free", "future_bytes", 1,
     "spawn a future that completes at once, poll it, free it (future_bytes default 0)",
     setup_nothing, run_spawn_poll_free},
    {"spawn_prepared_poll_free", "future_bytes", 1,
     "spawn_poll_free through a prepared future (nx_future_prepare once, then "
     "nx_spawn_prepared / nx_spawn_slab_prepared)",
     setup_prepared, run_spawn_prepared_poll_free},
    {"poll_queued", "-", 1, "wake a parked task by reference from outside a poll, then poll it",
     setup_parked, run_poll_queued},
    {"self_wake_poll", "-", 1, "poll a task that wakes itself (nx_cx_wake) and stays pending",
     setup_self_wake, run_polls},
    {"wake_other_poll", "-", 1, "poll a task that wakes another task (wake_by_ref)",
     setup_wake_other, run_polls},
    {"waker_clone_drop", "-", 1, "clone a waker and drop the clone", setup_parked,
     run_waker_clone_drop},
    {"spawn_with_live", "future_bytes,live_tasks", 0,
     "spawn_poll_free while live_tasks idle tasks are alive (live_tasks default 1000)",
     setup_live, run_spawn_poll_free},
};
const size_t opc_nops = sizeof opc_ops / sizeof opc_ops[0];

void opc_measure(const opc_op *op, const char *spec, const opc_params *p, size_t warmup,
                 const size_t n[2]) {
  opc_env env;
  char label[256];
  g_op = spec;
  opc_env_open(&env, p);
  op->setup(&env);
  if (warmup) op->run(&env, warmup);
  for (int k = 0; k < 2; k++) {
    snprintf(label, sizeof label, "%s@%zu", spec, n[k]);
    nx_opcount_begin(label);
    op->run(&env, n[k]);
    nx_opcount_end(label);
    printf("region: %s %zu %s\n", spec, n[k], label);
  }
  opc_env_close(&env);
  g_op = NULL;
}

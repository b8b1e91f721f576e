/* The tests' shared assertions, watchdog and probes. Include it FIRST in
 * every test file (it sets the feature-test macro alarm() needs).
 *
 * A failed check prints "file:line: check failed: <expression>" plus the
 * values involved, then exits 1. Every test calls nx_test_start() first: it
 * arms a watchdog (alarm) so a hang fails with a message instead of blocking
 * CI. Licensed under the MIT license (see LICENSE).
 */
#ifndef NXRT_TESTS_NX_TEST_H
#define NXRT_TESTS_NX_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "nxrt.h"

#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define NX_TEST_ON_VALGRIND() (RUNNING_ON_VALGRIND != 0)
#endif
#endif
#ifndef NX_TEST_ON_VALGRIND
#define NX_TEST_ON_VALGRIND() 0
#endif

/* ------------------------------------------------------------------------ */
/* Failing                                                                  */
/* ------------------------------------------------------------------------ */

static inline void nx_test_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s:%d: check failed: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(stderr);
  exit(1);
}

#define NX_CHECK(cond)                                              \
  do {                                                              \
    if (!(cond)) nx_test_fail(__FILE__, __LINE__, "%s", #cond);     \
  } while (0)

/* Signed integers (ints, status codes, poll counts). */
#define NX_CHECK_EQ(a, b)                                                             \
  do {                                                                                \
    long long nx_a_ = (long long)(a), nx_b_ = (long long)(b);                         \
    if (nx_a_ != nx_b_)                                                               \
      nx_test_fail(__FILE__, __LINE__, "%s == %s (%lld vs %lld)", #a, #b, nx_a_, nx_b_); \
  } while (0)

/* Unsigned 64-bit values (sizes, counts, task ids). */
#define NX_CHECK_EQ_U(a, b)                                                           \
  do {                                                                                \
    unsigned long long nx_a_ = (unsigned long long)(a), nx_b_ = (unsigned long long)(b); \
    if (nx_a_ != nx_b_)                                                               \
      nx_test_fail(__FILE__, __LINE__, "%s == %s (%llu vs %llu, 0x%llx vs 0x%llx)", #a, #b, \
                   nx_a_, nx_b_, nx_a_, nx_b_);                                       \
  } while (0)

/* The name of a value that may be a status code or a poll result (0 is
 * NX_OK as a status, NX_PENDING as a poll result; 1 is NX_READY). */
static inline const char *nx_test_code_name(int c) {
  return c == 0 ? "NX_OK/NX_PENDING" : c == 1 ? "NX_READY" : nx_err_name(c);
}

/* A status code or poll result: prints both by name. */
#define NX_CHECK_RC(expr, want)                                                       \
  do {                                                                                \
    int nx_got_ = (int)(expr), nx_want_ = (int)(want);                                \
    if (nx_got_ != nx_want_)                                                          \
      nx_test_fail(__FILE__, __LINE__, "%s returned %d (%s), expected %d (%s)", #expr,  \
                   nx_got_, nx_test_code_name(nx_got_), nx_want_,                     \
                   nx_test_code_name(nx_want_));                                      \
  } while (0)

#define NX_CHECK_OK(expr) NX_CHECK_RC(expr, NX_OK)

#define NX_CHECK_PTR_EQ(a, b)                                                         \
  do {                                                                                \
    const void *nx_a_ = (const void *)(a), *nx_b_ = (const void *)(b);                \
    if (nx_a_ != nx_b_)                                                               \
      nx_test_fail(__FILE__, __LINE__, "%s == %s (%p vs %p)", #a, #b, nx_a_, nx_b_);  \
  } while (0)

#define NX_CHECK_ALIGNED(ptr, align)                                                  \
  do {                                                                                \
    uintptr_t nx_p_ = (uintptr_t)(ptr);                                               \
    if (nx_p_ % (uintptr_t)(align) != 0)                                              \
      nx_test_fail(__FILE__, __LINE__, "%s (%p) aligned to %s (%zu)", #ptr,           \
                   (void *)nx_p_, #align, (size_t)(align));                           \
  } while (0)

/* ------------------------------------------------------------------------ */
/* Watchdog                                                                 */
/* ------------------------------------------------------------------------ */

#define NX_TEST_TIMEOUT_S 60u

static inline void nx_test_on_alarm(int sig) {
  static const char msg[] = "watchdog: the test did not finish in time (a hang?)\n";
  (void)sig;
  ssize_t n = write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)n;
  _exit(2);
}

/* Arms the watchdog: NX_TEST_TIMEOUT_S seconds, or NXRT_TEST_TIMEOUT from
 * the environment; 20 times longer under valgrind, which runs code ~20-50x
 * slower. Also unbuffers stdout so progress lines survive a crash. */
static inline void nx_test_start(void) {
  unsigned seconds = NX_TEST_TIMEOUT_S;
  const char *env = getenv("NXRT_TEST_TIMEOUT");
  if (env != NULL && atoi(env) > 0) seconds = (unsigned)atoi(env);
  if (NX_TEST_ON_VALGRIND()) seconds *= 20;
  setvbuf(stdout, NULL, _IONBF, 0);
  signal(SIGALRM, nx_test_on_alarm);
  alarm(seconds);
}

/* ------------------------------------------------------------------------ */
/* A counting allocator (wraps nx_allocator_malloc)                         */
/* ------------------------------------------------------------------------ */

/* Counts what the executor asks of its allocator, so tests can say "nothing
 * was allocated" or "every slot was freed exactly once" exactly. */
typedef struct nx_test_alloc_stats {
  size_t allocs, frees;
  size_t live_bytes;       /* sum of sizes allocated minus sizes freed */
  size_t bad_free_args;    /* frees whose size/align looked wrong */
} nx_test_alloc_stats;

static inline void *nx_test_counting_alloc(void *ctx, size_t size, size_t align) {
  nx_test_alloc_stats *st = ctx;
  const nx_allocator *m = nx_allocator_malloc();
  void *p = m->alloc(m->ctx, size, align);
  if (p != NULL) {
    st->allocs++;
    st->live_bytes += size;
  }
  return p;
}

static inline void nx_test_counting_free(void *ctx, void *ptr, size_t size, size_t align) {
  nx_test_alloc_stats *st = ctx;
  const nx_allocator *m = nx_allocator_malloc();
  if (ptr == NULL) return;
  if (size > st->live_bytes || align == 0 || (align & (align - 1)) != 0 ||
      (uintptr_t)ptr % align != 0)
    st->bad_free_args++;
  else
    st->live_bytes -= size;
  st->frees++;
  m->free(m->ctx, ptr, size, align);
}

static inline nx_allocator nx_test_counting_allocator(nx_test_alloc_stats *st) {
  nx_allocator a = {"counting", nx_test_counting_alloc, nx_test_counting_free, NULL, st};
  return a;
}

/* ------------------------------------------------------------------------ */
/* A probe future                                                           */
/* ------------------------------------------------------------------------ */

/* What a probe future reports to the test (lives outside the task). */
typedef struct nx_probe {
  int polls;
  int drops;
  int readies;          /* times it returned NX_READY */
  nx_waker waker;       /* a clone, when `clone_waker` asked for one */
} nx_probe;

/* Polled `ready_after` times returns NX_READY on that poll (0: never ready).
 * While pending it wakes itself if `self_wake`, and on its first poll clones
 * its waker into probe->waker if `clone_waker`. */
typedef struct nx_probe_fut {
  nx_probe *probe;
  int ready_after;
  int self_wake;
  int clone_waker;
} nx_probe_fut;

static inline nx_poll nx_probe_poll(void *state, nx_cx *cx) {
  nx_probe_fut *f = state;
  nx_probe *p = f->probe;
  p->polls++;
  if (f->clone_waker && p->polls == 1) {
    nx_waker w = nx_cx_waker(cx);
    if (nx_waker_clone(&w, &p->waker) != NX_OK) nx_test_fail(__FILE__, __LINE__, "clone failed");
  }
  if (f->ready_after != 0 && p->polls >= f->ready_after) {
    p->readies++;
    return NX_READY;
  }
  if (f->self_wake) nx_cx_wake(cx);
  return NX_PENDING;
}

static inline void nx_probe_drop(void *state) {
  nx_probe_fut *f = state;
  f->probe->drops++;
}

static inline nx_future_desc nx_probe_desc(void) {
  return NX_FUTURE(nx_probe_fut, nx_probe_poll, nx_probe_drop);
}

/* Spawns a probe future with nx_spawn (slab = 0) or nx_spawn_slab (1). */
static inline int nx_probe_spawn(nx_executor *ex, int slab, nx_probe *p, int ready_after,
                                 int self_wake, int clone_waker, nx_task_id *id,
                                 nx_join *join) {
  nx_probe_fut f = {p, ready_after, self_wake, clone_waker};
  nx_future_desc d = nx_probe_desc();
  return slab ? nx_spawn_slab(ex, &d, &f, id, join) : nx_spawn(ex, &d, &f, id, join);
}

/* An executor with the given tasks_per_cycle / ready_capacity (0: default)
 * and, when slab_cfg is non-NULL, a slab. Fails the test on error. */
static inline nx_executor *nx_test_executor(uint32_t tasks_per_cycle, uint32_t ready_capacity,
                                            const nx_allocator *alloc,
                                            const nx_slab_config *slab_cfg) {
  nx_executor_config cfg;
  nx_executor *ex = NULL;
  NX_CHECK_OK(nx_executor_config_init(&cfg));
  if (tasks_per_cycle) cfg.tasks_per_cycle = tasks_per_cycle;
  if (ready_capacity) cfg.ready_capacity = ready_capacity;
  if (alloc) cfg.allocator = alloc;
  cfg.slab = slab_cfg;
  NX_CHECK_OK(nx_executor_create(&cfg, &ex));
  NX_CHECK(ex != NULL);
  return ex;
}

/* Runs cycles until one makes no poll (nothing queued). Returns polls made. */
static inline long nx_test_run_idle(nx_executor *ex) {
  long total = 0;
  for (;;) {
    int n = nx_run_once(ex);
    if (n < 0) nx_test_fail(__FILE__, __LINE__, "nx_run_once: %s", nx_err_name(n));
    if (n == 0) return total;
    total += n;
  }
}

#endif /* NXRT_TESTS_NX_TEST_H */

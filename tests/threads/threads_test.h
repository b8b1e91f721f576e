/* Helpers shared by the cross-thread tests (tests/threads/): a watchdog that
 * names what was stuck, seeds, a small RNG, futex waits, spin hints.
 * Include after "nx_test.h" (which sets _GNU_SOURCE and the NX_CHECK macros).
 *
 * Why a watchdog of our own: a lost wakeup shows up as a hang. alarm() turns
 * the hang into a failure whose message says where the test stood (which
 * counter stopped moving), well before ctest's TIMEOUT kills it silently.
 * Licensed under the MIT license (see LICENSE).
 */
#ifndef NXRT_TESTS_THREADS_TEST_H
#define NXRT_TESTS_THREADS_TEST_H

#include "nx_test.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>

/* ------------------------------------------------------------------------ */
/* Watchdog                                                                 */
/* ------------------------------------------------------------------------ */

/* What the alarm handler reports: the test's name, and up to four named
 * progress counters the test keeps up to date (relaxed stores are enough). */
#define THR_MAX_COUNTERS 4
static const char *thr_test_name = "threads test";
static const char *thr_counter_names[THR_MAX_COUNTERS];
static _Atomic long thr_counters[THR_MAX_COUNTERS];

static inline void thr_write_str(const char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(STDERR_FILENO, s, n);
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

/* Async-signal-safe decimal print. */
static inline void thr_write_long(long v) {
  char buf[24];
  int i = (int)sizeof buf;
  unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
  buf[--i] = '\0';
  do buf[--i] = (char)('0' + u % 10);
  while ((u /= 10) != 0 && i > 1);
  if (v < 0) buf[--i] = '-';
  thr_write_str(buf + i);
}

static inline void thr_on_alarm(int sig) {
  (void)sig;
  thr_write_str("watchdog: ");
  thr_write_str(thr_test_name);
  thr_write_str(" did not finish in time: a lost wakeup or a hang. Progress:");
  for (int i = 0; i < THR_MAX_COUNTERS; i++) {
    if (thr_counter_names[i] == NULL) continue;
    thr_write_str(" ");
    thr_write_str(thr_counter_names[i]);
    thr_write_str("=");
    thr_write_long(atomic_load_explicit(&thr_counters[i], memory_order_relaxed));
  }
  thr_write_str("\n");
  _exit(2);
}

/* Arms the watchdog for `seconds` (NXRT_TEST_TIMEOUT in the environment
 * overrides it, as in nx_test.h). The ctest TIMEOUT of every test in this
 * folder is longer, so the watchdog's message is what CI shows. */
static inline void thr_watchdog_start(const char *name, unsigned seconds) {
  const char *env = getenv("NXRT_TEST_TIMEOUT");
  if (env != NULL && atoi(env) > 0) seconds = (unsigned)atoi(env);
  thr_test_name = name;
  setvbuf(stdout, NULL, _IONBF, 0);
  signal(SIGALRM, thr_on_alarm);
  alarm(seconds);
}

static inline void thr_counter_name(int i, const char *name) { thr_counter_names[i] = name; }
static inline void thr_counter_set(int i, long v) {
  atomic_store_explicit(&thr_counters[i], v, memory_order_relaxed);
}
static inline void thr_counter_add(int i, long v) {
  atomic_fetch_add_explicit(&thr_counters[i], v, memory_order_relaxed);
}

/* ------------------------------------------------------------------------ */
/* Seeds and a small RNG                                                    */
/* ------------------------------------------------------------------------ */

/* The seed: argv[1] if given, else NXRT_SEED from the environment, else
 * `fallback`. Printed, so any run can be repeated. */
static inline uint64_t thr_seed(int argc, char **argv, int argi, uint64_t fallback) {
  const char *s = argc > argi ? argv[argi] : getenv("NXRT_SEED");
  uint64_t seed = fallback;
  if (s != NULL && *s != '\0') {
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0') {
      fprintf(stderr, "bad seed '%s': want an unsigned integer\n", s);
      exit(1);
    }
    seed = v;
  }
  printf("%s: seed %" PRIu64 " (rerun with NXRT_SEED=%" PRIu64 ")\n", thr_test_name, seed, seed);
  return seed;
}

/* splitmix64: tiny, good enough, and every thread can have its own. */
typedef struct thr_rng { uint64_t s; } thr_rng;

static inline thr_rng thr_rng_make(uint64_t seed, uint64_t stream) {
  thr_rng r = {seed ^ (stream * 0x9E3779B97F4A7C15ull) ^ 0xD1B54A32D192ED03ull};
  return r;
}

static inline uint64_t thr_rng_next(thr_rng *r) {
  uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Uniform in [0, n). n > 0. */
static inline uint32_t thr_rng_below(thr_rng *r, uint32_t n) {
  return (uint32_t)(((thr_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* ------------------------------------------------------------------------ */
/* Waiting                                                                  */
/* ------------------------------------------------------------------------ */

static inline void thr_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* Spins on a 32-bit word, yielding the core now and then: this machine has
 * two cores and ctest may run another test beside us, so a pure spin could
 * starve the thread it waits for. */
static inline uint32_t thr_spin_until_ne(_Atomic uint32_t *word, uint32_t old) {
  uint32_t v;
  unsigned spins = 0;
  while ((v = atomic_load_explicit(word, memory_order_acquire)) == old) {
    if (++spins % 1024 == 0)
      sched_yield();
    else
      thr_cpu_relax();
  }
  return v;
}

/* Blocks while *word == old (futex). Returns the new value. */
static inline uint32_t thr_futex_wait_ne(_Atomic uint32_t *word, uint32_t old) {
  uint32_t v;
  while ((v = atomic_load_explicit(word, memory_order_acquire)) == old)
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, old, NULL, NULL, 0);
  return v;
}

static inline void thr_futex_wake_all(_Atomic uint32_t *word) {
  syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

static inline double thr_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void thr_start_thread(pthread_t *th, void *(*fn)(void *), void *arg) {
  int rc = pthread_create(th, NULL, fn, arg);
  if (rc != 0) nx_test_fail(__FILE__, __LINE__, "pthread_create: %s", strerror(rc));
}

static inline void thr_join_thread(pthread_t th) {
  int rc = pthread_join(th, NULL);
  if (rc != 0) nx_test_fail(__FILE__, __LINE__, "pthread_join: %s", strerror(rc));
}

#endif /* NXRT_TESTS_THREADS_TEST_H */

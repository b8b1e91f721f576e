/* What the services tests share (include after nx_test.h). */
#ifndef NXRT_TESTS_SVC_TEST_H
#define NXRT_TESTS_SVC_TEST_H

#include "nx_test.h"
#include "nxrt_services.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/resource.h>

/* A default executor (fails the test on error). */
static inline nx_executor *svc_executor(void) { return nx_test_executor(0, 0, NULL, NULL); }

/* Spawns a future whose state is `init` (copied), detached. */
#define SVC_SPAWN(ex, type, poll, drop, init_ptr)                   \
  do {                                                              \
    nx_future_desc d_ = NX_FUTURE(type, poll, drop);                \
    NX_CHECK_OK(nx_spawn((ex), &d_, (init_ptr), NULL, NULL));       \
  } while (0)

static inline void svc_set_nonblocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  NX_CHECK(fl >= 0);
  NX_CHECK(fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0);
}

/* Counts value drops (channel tests): each value is an int id; drops[id]++. */
#define SVC_MAX_IDS 200000
static int svc_drops[SVC_MAX_IDS] __attribute__((unused));
static atomic_int svc_drop_total __attribute__((unused));
static inline void svc_drop_int(void *v) {
  int id = *(int *)v;
  if (id >= 0 && id < SVC_MAX_IDS) svc_drops[id]++;
  atomic_fetch_add(&svc_drop_total, 1);
}

/* Voluntary context switches of the calling thread so far. */
static inline long svc_nvcsw(void) {
  struct rusage ru;
  NX_CHECK(getrusage(RUSAGE_THREAD, &ru) == 0);
  return ru.ru_nvcsw;
}

#endif /* NXRT_TESTS_SVC_TEST_H */

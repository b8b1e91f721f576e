/* An eventfd made readable by another thread wakes a parked executor and the
 * task waiting on it, 2000 times in a row; the task reads each count. */
#include "nx_test.h"
#include "svc_test.h"

#include <sys/eventfd.h>

#define ROUNDS 2000

static int efd;
static atomic_int waiting; /* round the task waits for */
static uint64_t total;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_io io;
  int round, rc;
  size_t n;
  uint64_t v;
} st;

static nx_poll st_poll(void *p, nx_cx *cx) {
  st *s = p;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_io_register(&s->io, nx_cx_executor(cx), efd, NX_IO_READ));
  for (s->round = 1; s->round <= ROUNDS; s->round++) {
    atomic_store(&waiting, s->round);
    NX_AWAIT(s, s->rc = nx_io_read_poll(&s->io, cx, &s->v, sizeof s->v, &s->n));
    NX_CHECK_RC(s->rc, NX_READY);
    NX_CHECK_EQ_U(s->n, 8);
    total += s->v;
  }
  NX_CHECK_OK(nx_io_deregister(&s->io));
  NX_END(s);
}

static void st_drop(void *p) { nx_io_drop(&((st *)p)->io); }

static void *writer(void *arg) {
  (void)arg;
  for (int r = 1; r <= ROUNDS; r++) {
    while (atomic_load(&waiting) != r) sched_yield();
    uint64_t v = (uint64_t)r;
    NX_CHECK(write(efd, &v, sizeof v) == (ssize_t)sizeof v);
  }
  return NULL;
}

int main(void) {
  nx_test_start();
  efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  NX_CHECK(efd >= 0);
  nx_executor *ex = svc_executor();
  SVC_SPAWN(ex, st, st_poll, st_drop, NULL);
  pthread_t th;
  NX_CHECK(pthread_create(&th, NULL, writer, NULL) == 0);
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  pthread_join(th, NULL);
  NX_CHECK_EQ_U(total, (uint64_t)ROUNDS * (ROUNDS + 1) / 2);
  close(efd);
  nx_executor_destroy(ex);
  return 0;
}

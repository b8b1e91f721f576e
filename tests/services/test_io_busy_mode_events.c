/* In busy mode the executor never blocks, yet IO readiness still arrives:
 * while tasks keep running, epoll is polled without blocking every few
 * cycles; when nothing runs, on every idle pass. A reader waits on a pipe
 * that another task writes after 500 yields (a busy executor throughout),
 * 100 times. */
#include "nx_test.h"
#include "svc_test.h"

static int pfd[2], got;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_io io;
  int i, rc;
  size_t n;
  char c;
} reader;

static nx_poll reader_poll(void *p, nx_cx *cx) {
  reader *s = p;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_io_register(&s->io, nx_cx_executor(cx), pfd[0], NX_IO_READ));
  for (s->i = 0; s->i < 100; s->i++) {
    NX_AWAIT(s, s->rc = nx_io_read_poll(&s->io, cx, &s->c, 1, &s->n));
    NX_CHECK_RC(s->rc, NX_READY);
    NX_CHECK_EQ_U(s->n, 1);
    got++;
  }
  NX_CHECK_OK(nx_io_deregister(&s->io));
  NX_END(s);
}

static void reader_drop(void *p) { nx_io_drop(&((reader *)p)->io); }

typedef struct {
  NX_ASYNC_FIELDS;
  nx_yield y;
  int i, j;
} spinner;

static nx_poll spinner_poll(void *p, nx_cx *cx) {
  spinner *s = p;
  NX_BEGIN(s);
  for (s->i = 0; s->i < 100; s->i++) {
    for (s->j = 0; s->j < 500; s->j++) {
      nx_yield_init(&s->y);
      NX_AWAIT(s, nx_yield_poll(&s->y, cx));
    }
    NX_CHECK(write(pfd[1], "z", 1) == 1);
  }
  NX_END(s);
}

int main(void) {
  nx_test_start();
  NX_CHECK(pipe(pfd) == 0);
  svc_set_nonblocking(pfd[0]);
  nx_executor *ex = svc_executor();
  SVC_SPAWN(ex, reader, reader_poll, reader_drop, NULL);
  SVC_SPAWN(ex, spinner, spinner_poll, NULL, NULL);
  NX_CHECK_OK(nx_run(ex, NX_RUN_BUSY));
  NX_CHECK_EQ(got, 100);
  close(pfd[0]);
  close(pfd[1]);
  nx_executor_destroy(ex);
  return 0;
}

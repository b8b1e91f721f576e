/* SPEC 9.12 (seed: one waker per IO token, so a reader task and a writer
 * task on one socket overwrite each other's waker and one of them is never
 * woken). Here socket A is registered once for read and write; task R waits
 * to read from it, then task W fills its send buffer and waits to write.
 * Task C, on the other end B, first drains everything W writes (W must be
 * woken each time room appears), then writes one byte (R must be woken,
 * although W registered after R). */
#include "nx_test.h"
#include "svc_test.h"

#include <sys/socket.h>

#define TOTAL (4 << 20)

static nx_io io_a; /* shared by R and W: one registration */
static int fd_a, fd_b, r_done, w_done, w_waits;
static size_t drained;

static nx_poll r_poll(void *p, nx_cx *cx) {
  (void)p;
  unsigned char c;
  size_t n;
  int rc = nx_io_read_poll(&io_a, cx, &c, 1, &n);
  if (rc == NX_PENDING) return NX_PENDING;
  NX_CHECK_RC(rc, NX_READY);
  NX_CHECK_EQ_U(n, 1);
  NX_CHECK_EQ(c, 'x');
  r_done = 1;
  return NX_READY;
}

typedef struct {
  size_t sent;
  unsigned char buf[16384];
} w_state;

static nx_poll w_poll(void *p, nx_cx *cx) {
  w_state *s = p;
  while (s->sent < TOTAL) {
    size_t n, len = TOTAL - s->sent < sizeof s->buf ? TOTAL - s->sent : sizeof s->buf;
    int rc = nx_io_write_poll(&io_a, cx, s->buf, len, &n);
    if (rc == NX_PENDING) {
      w_waits++;
      return NX_PENDING;
    }
    NX_CHECK_RC(rc, NX_READY);
    s->sent += n;
  }
  w_done = 1;
  return NX_READY;
}

typedef struct {
  NX_ASYNC_FIELDS;
  nx_io io_b;
  nx_yield y;
  int rc;
  size_t n;
  unsigned char buf[16384];
} c_state;

static nx_poll c_poll(void *p, nx_cx *cx) {
  c_state *s = p;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_io_register(&s->io_b, nx_cx_executor(cx), fd_b, NX_IO_READ | NX_IO_WRITE));
  nx_yield_init(&s->y); /* R and W have both registered after this */
  NX_AWAIT(s, nx_yield_poll(&s->y, cx));
  while (drained < TOTAL) {
    NX_AWAIT(s, s->rc = nx_io_read_poll(&s->io_b, cx, s->buf, sizeof s->buf, &s->n));
    NX_CHECK_RC(s->rc, NX_READY);
    NX_CHECK(s->n > 0);
    drained += s->n;
  }
  NX_AWAIT(s, s->rc = nx_io_write_poll(&s->io_b, cx, "x", 1, &s->n));
  NX_CHECK_RC(s->rc, NX_READY);
  NX_END(s);
}

static void c_drop(void *p) { nx_io_drop(&((c_state *)p)->io_b); }

int main(void) {
  nx_test_start();
  int sv[2];
  NX_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
  fd_a = sv[0];
  fd_b = sv[1];
  nx_executor *ex = svc_executor();
  NX_CHECK_OK(nx_io_register(&io_a, ex, fd_a, NX_IO_READ | NX_IO_WRITE));
  nx_future_desc dr = {r_poll, NULL, 0, 0, 0};
  NX_CHECK_OK(nx_spawn(ex, &dr, NULL, NULL, NULL)); /* R first: registers first */
  nx_future_desc dw = NX_FUTURE(w_state, w_poll, NULL);
  NX_CHECK_OK(nx_spawn(ex, &dw, NULL, NULL, NULL));
  nx_future_desc dc = NX_FUTURE(c_state, c_poll, c_drop);
  NX_CHECK_OK(nx_spawn(ex, &dc, NULL, NULL, NULL));
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  NX_CHECK_EQ(w_done, 1);
  NX_CHECK_EQ(r_done, 1);
  NX_CHECK(w_waits > 0);
  NX_CHECK_EQ_U(drained, TOTAL);
  NX_CHECK_OK(nx_io_deregister(&io_a));
  close(fd_a);
  close(fd_b);
  nx_executor_destroy(ex);
  return 0;
}

/* A reader task and a writer task move 1 MiB through a pipe (64 KiB of
 * kernel buffer, so the writer waits for room many times and the reader for
 * data), in parked and in busy mode; the bytes arrive intact and in order,
 * and the reader sees end of file after the writer deregisters and closes
 * its end (the documented closing order). */
#include "nx_test.h"
#include "svc_test.h"

#define TOTAL (1 << 20)

static unsigned char pattern(size_t i) { return (unsigned char)((i * 131u + 7u) >> 3); }

static size_t got, bad, writer_waits, reader_waits;
static int eof_seen;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_io io;
  int fd, rc;
  size_t n;
  unsigned char buf[4096];
} reader;

static nx_poll reader_poll(void *p, nx_cx *cx) {
  reader *s = p;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_io_register(&s->io, nx_cx_executor(cx), s->fd, NX_IO_READ));
  for (;;) {
    s->rc = nx_io_read_poll(&s->io, cx, s->buf, sizeof s->buf, &s->n);
    if (s->rc == NX_PENDING) {
      reader_waits++;
      NX_AWAIT(s, s->rc = nx_io_read_poll(&s->io, cx, s->buf, sizeof s->buf, &s->n));
    }
    NX_CHECK_RC(s->rc, NX_READY);
    if (s->n == 0) break;
    for (size_t i = 0; i < s->n; i++)
      if (s->buf[i] != pattern(got + i)) bad++;
    got += s->n;
  }
  eof_seen = 1;
  NX_CHECK_OK(nx_io_deregister(&s->io));
  close(s->fd);
  NX_END(s);
}

static void reader_drop(void *p) { nx_io_drop(&((reader *)p)->io); }

typedef struct {
  NX_ASYNC_FIELDS;
  nx_io io;
  int fd, rc;
  size_t off, n, len;
  unsigned char buf[8192];
} writer;

static nx_poll writer_poll(void *p, nx_cx *cx) {
  writer *s = p;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_io_register(&s->io, nx_cx_executor(cx), s->fd, NX_IO_WRITE));
  while (s->off < TOTAL) {
    s->len = TOTAL - s->off < sizeof s->buf ? TOTAL - s->off : sizeof s->buf;
    for (size_t i = 0; i < s->len; i++) s->buf[i] = pattern(s->off + i);
    s->rc = nx_io_write_poll(&s->io, cx, s->buf, s->len, &s->n);
    if (s->rc == NX_PENDING) {
      writer_waits++;
      NX_AWAIT(s, s->rc = nx_io_write_poll(&s->io, cx, s->buf, s->len, &s->n));
    }
    NX_CHECK_RC(s->rc, NX_READY);
    s->off += s->n;
  }
  NX_CHECK_OK(nx_io_deregister(&s->io)); /* first deregister, then close */
  close(s->fd);
  NX_END(s);
}

static void writer_drop(void *p) { nx_io_drop(&((writer *)p)->io); }

static void run(nx_run_mode mode) {
  int fds[2];
  NX_CHECK(pipe(fds) == 0);
  svc_set_nonblocking(fds[0]);
  svc_set_nonblocking(fds[1]);
  got = bad = writer_waits = reader_waits = 0;
  eof_seen = 0;
  nx_executor *ex = svc_executor();
  writer *w = calloc(1, sizeof *w);
  reader *r = calloc(1, sizeof *r);
  w->fd = fds[1];
  r->fd = fds[0];
  SVC_SPAWN(ex, writer, writer_poll, writer_drop, w);
  SVC_SPAWN(ex, reader, reader_poll, reader_drop, r);
  free(w);
  free(r);
  NX_CHECK_OK(nx_run(ex, mode));
  NX_CHECK_EQ_U(got, TOTAL);
  NX_CHECK_EQ_U(bad, 0);
  NX_CHECK_EQ(eof_seen, 1);
  NX_CHECK(writer_waits > 0); /* the pipe really filled up */
  NX_CHECK(reader_waits > 0);
  nx_executor_destroy(ex);
}

int main(void) {
  nx_test_start();
  run(NX_RUN_PARKED);
  run(NX_RUN_BUSY);
  return 0;
}

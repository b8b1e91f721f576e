/* Readiness futures in NX_RUN_BUSY: with two sockets registered, a busy
 * executor wakes waiting socket futures to try instead of asking epoll, so
 * a readiness future may be READY with nothing to read ("try now"). Code
 * written as documented (await readable, try_read, wait again on
 * NX_EAGAIN) still gets every byte, in order, and end of file. The writer
 * task sleeps 1 ms between its sends, so the executor idles while the
 * reader waits, and the reader is woken to try (at least once after its
 * first bytes: it counts; a new socket's first try is always early). */
#include "nx_test.h"
#include "net/net_test.h"

enum { kSends = 50, kChunk = 100 };
static nx_tcp_stream client, server;
static size_t received;
static int reader_done, writer_done, tried_early;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_sock_ready ready;
  unsigned char buf[512];
  size_t n;
  int rc;
} reader;

static nx_poll reader_poll(void *p, nx_cx *cx) {
  reader *r = p;
  NX_BEGIN(r);
  for (;;) {
    NX_CHECK_OK(nx_tcp_stream_ready_init(&r->ready, &server, NX_IO_READ));
    NX_AWAIT(r, r->rc = nx_sock_ready_poll(&r->ready, cx));
    NX_CHECK_RC(r->rc, NX_READY);
    nx_sock_ready_drop(&r->ready);
    r->rc = nx_tcp_try_read(&server, r->buf, sizeof r->buf, &r->n);
    if (r->rc == NX_EAGAIN) { /* READY meant "try now" */
      if (received > 0) tried_early++; /* not the new socket's first try */
      continue;
    }
    NX_CHECK_OK(r->rc);
    if (r->n == 0) break;
    for (size_t i = 0; i < r->n; i++) NX_CHECK_EQ(r->buf[i], net_pattern(received + i));
    received += r->n;
  }
  NX_CHECK_OK(nx_tcp_stream_close(&server));
  reader_done = 1;
  NX_END(r);
}

static void reader_drop(void *p) { nx_sock_ready_drop(&((reader *)p)->ready); }

typedef struct {
  NX_ASYNC_FIELDS;
  nx_tcp_write wr;
  nx_sleep sl;
  unsigned char out[kChunk];
  int i, rc;
} writer;

static nx_poll writer_poll(void *p, nx_cx *cx) {
  writer *w = p;
  NX_BEGIN(w);
  for (w->i = 0; w->i < kSends; w->i++) {
    for (int k = 0; k < kChunk; k++) w->out[k] = net_pattern((size_t)w->i * kChunk + (size_t)k);
    NX_CHECK_OK(nx_tcp_write_all_init(&w->wr, &client, w->out, kChunk));
    NX_AWAIT(w, w->rc = nx_tcp_write_poll(&w->wr, cx, NULL));
    NX_CHECK_RC(w->rc, NX_READY);
    nx_tcp_write_drop(&w->wr);
    NX_CHECK_OK(nx_sleep_init(&w->sl, nx_cx_executor(cx), 1000000));
    NX_AWAIT(w, w->rc = nx_sleep_poll(&w->sl, cx));
    NX_CHECK_RC(w->rc, NX_READY);
  }
  NX_CHECK_OK(nx_tcp_stream_close(&client)); /* the reader sees end of file */
  writer_done = 1;
  NX_END(w);
}

static void writer_drop(void *p) {
  nx_tcp_write_drop(&((writer *)p)->wr);
  nx_sleep_drop(&((writer *)p)->sl);
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  net_connected_pair(ex, AF_INET, &client, &server);
  nx_future_desc rd = NX_FUTURE(reader, reader_poll, reader_drop);
  NX_CHECK_OK(nx_spawn(ex, &rd, NULL, NULL, NULL));
  nx_future_desc wd = NX_FUTURE(writer, writer_poll, writer_drop);
  NX_CHECK_OK(nx_spawn(ex, &wd, NULL, NULL, NULL));
  NX_CHECK_OK(nx_run(ex, NX_RUN_BUSY));
  NX_CHECK(reader_done && writer_done);
  NX_CHECK_EQ_U(received, (size_t)kSends * kChunk);
  NX_CHECK(tried_early > 0);
  NX_CHECK_EQ(nx_executor_allocated_tasks(ex), 0);
  nx_executor_destroy(ex);
  return 0;
}

/* Backpressure: a writer task sends 2 MiB with one write_all to a peer task
 * that has not started reading. Once the socket buffers are full the write
 * stays pending: the executor goes idle (no task runnable) with the write
 * unfinished. Then a slow reader starts (1 KiB per read, yielding between
 * reads): every byte arrives in order and the writer finishes, having been
 * woken for room many times. Small SO_SNDBUF/SO_RCVBUF make the buffers
 * fill early. */
#include "nx_test.h"
#include "net/net_test.h"

#define TOTAL (2u << 20)

static unsigned char *out_buf;
static int writer_done, reader_done, writer_polls;
static size_t received, bad;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_tcp_stream s;
  nx_tcp_write wr;
  int rc;
} writer;

static nx_poll writer_poll(void *p, nx_cx *cx) {
  writer *w = p;
  writer_polls++;
  NX_BEGIN(w);
  NX_CHECK_OK(nx_tcp_write_all_init(&w->wr, &w->s, out_buf, TOTAL));
  NX_AWAIT(w, w->rc = nx_tcp_write_poll(&w->wr, cx, NULL));
  NX_CHECK_RC(w->rc, NX_READY);
  NX_CHECK_EQ_U(nx_tcp_write_done(&w->wr), TOTAL);
  nx_tcp_write_drop(&w->wr);
  NX_CHECK_OK(nx_tcp_stream_close(&w->s));
  writer_done = 1;
  NX_END(w);
}

typedef struct {
  NX_ASYNC_FIELDS;
  nx_tcp_stream s;
  nx_tcp_read rd;
  size_t n;
  int rc;
  unsigned char buf[1024];
} reader;

static nx_poll reader_poll(void *p, nx_cx *cx) {
  reader *r = p;
  NX_BEGIN(r);
  for (;;) {
    NX_CHECK_OK(nx_tcp_read_init(&r->rd, &r->s, r->buf, sizeof r->buf));
    NX_AWAIT(r, r->rc = nx_tcp_read_poll(&r->rd, cx, &r->n));
    NX_CHECK_RC(r->rc, NX_READY);
    nx_tcp_read_drop(&r->rd);
    if (r->n == 0) break;
    for (size_t i = 0; i < r->n; i++)
      if (r->buf[i] != out_buf[received + i]) bad++;
    received += r->n;
    NX_YIELD(r, cx);
  }
  NX_CHECK_OK(nx_tcp_stream_close(&r->s));
  reader_done = 1;
  NX_END(r);
}

int main(void) {
  nx_test_start();
  out_buf = malloc(TOTAL);
  NX_CHECK(out_buf != NULL);
  for (size_t i = 0; i < TOTAL; i++) out_buf[i] = net_pattern(i);
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_tcp_stream client, server;
  net_connected_pair(ex, AF_INET, &client, &server);
  NX_CHECK_OK(nx_tcp_stream_setopt(&client, NX_SOCKOPT_SNDBUF, 16384));
  NX_CHECK_OK(nx_tcp_stream_setopt(&server, NX_SOCKOPT_RCVBUF, 16384));

  writer w = {.s = client};
  nx_future_desc dw = NX_FUTURE(writer, writer_poll, NULL);
  NX_CHECK_OK(nx_spawn(ex, &dw, &w, NULL, NULL));
  /* Nobody reads: run until no task is runnable. The write cannot finish. */
  for (int i = 0; i < 50; i++) nx_test_run_idle(ex);
  NX_CHECK_EQ(writer_done, 0);
  NX_CHECK_EQ(nx_executor_live_tasks(ex), 1);
  int polls_when_full = writer_polls;

  reader r = {.s = server};
  nx_future_desc dr = NX_FUTURE(reader, reader_poll, NULL);
  NX_CHECK_OK(nx_spawn(ex, &dr, &r, NULL, NULL));
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  NX_CHECK_EQ(writer_done, 1);
  NX_CHECK_EQ(reader_done, 1);
  NX_CHECK_EQ_U(received, TOTAL);
  NX_CHECK_EQ_U(bad, 0);
  NX_CHECK(writer_polls > polls_when_full + 10); /* woken for room again and again */
  nx_executor_destroy(ex);
  free(out_buf);
  return 0;
}

/* A stream split into a read half and a write half, used by two tasks at
 * once (SPEC 9.12: the seed shared one waker per socket, so one of the two
 * was never woken). The writer sends 4 MiB through an nxrt echo server
 * while the reader reads the echo; each blocks many times while the other
 * is blocked too. Closing the write half sends FIN: the echo server sees
 * end of file and closes, so the reader gets end of file; the socket is
 * freed with the last half. A half refuses the other side's operations. */
#include "nx_test.h"
#include "net/net_test.h"

#define TOTAL (4u << 20)

static unsigned char *out_buf;
static size_t received, bad;
static int writer_waits, reader_waits, writer_done, reader_done;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_tcp_stream wr;
  nx_tcp_write w;
  size_t off;
  int rc;
} writer;

static nx_poll writer_poll(void *p, nx_cx *cx) {
  writer *s = p;
  NX_BEGIN(s);
  while (s->off < TOTAL) {
    NX_CHECK_OK(nx_tcp_write_init(&s->w, &s->wr, out_buf + s->off, TOTAL - s->off));
    s->rc = nx_tcp_write_poll(&s->w, cx, NULL);
    if (s->rc == NX_PENDING) writer_waits++;
    NX_AWAIT(s, s->rc = nx_tcp_write_poll(&s->w, cx, NULL));
    NX_CHECK_RC(s->rc, NX_READY);
    s->off += nx_tcp_write_done(&s->w);
    nx_tcp_write_drop(&s->w);
  }
  NX_CHECK_OK(nx_tcp_stream_close(&s->wr)); /* FIN */
  writer_done = 1;
  NX_END(s);
}

typedef struct {
  NX_ASYNC_FIELDS;
  nx_tcp_stream rd;
  nx_tcp_read r;
  size_t n;
  int rc;
  unsigned char buf[8192];
} reader;

static nx_poll reader_poll(void *p, nx_cx *cx) {
  reader *s = p;
  NX_BEGIN(s);
  for (;;) {
    NX_CHECK_OK(nx_tcp_read_init(&s->r, &s->rd, s->buf, sizeof s->buf));
    s->rc = nx_tcp_read_poll(&s->r, cx, &s->n);
    if (s->rc == NX_PENDING) reader_waits++;
    NX_AWAIT(s, s->rc = nx_tcp_read_poll(&s->r, cx, &s->n));
    NX_CHECK_RC(s->rc, NX_READY);
    nx_tcp_read_drop(&s->r);
    if (s->n == 0) break;
    for (size_t i = 0; i < s->n; i++)
      if (s->buf[i] != out_buf[received + i]) bad++;
    received += s->n;
  }
  NX_CHECK_OK(nx_tcp_stream_close(&s->rd));
  reader_done = 1;
  NX_END(s);
}

typedef struct {
  NX_ASYNC_FIELDS;
  nx_sockaddr addr;
  nx_tcp_connect c;
  nx_tcp_stream s, rd, wr;
  int rc;
} starter;

static nx_poll starter_poll(void *p, nx_cx *cx) {
  starter *s = p;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_tcp_connect_init(&s->c, &s->addr));
  NX_AWAIT(s, s->rc = nx_tcp_connect_poll(&s->c, cx, &s->s));
  NX_CHECK_RC(s->rc, NX_READY);
  {
    nx_tcp_stream bad_rd, bad_wr;
    NX_CHECK_RC(nx_tcp_stream_split(&s->s, &bad_rd, &bad_rd), NX_EINVAL);
    NX_CHECK_OK(nx_tcp_stream_split(&s->s, &s->rd, &s->wr));
    NX_CHECK(s->s.sock_ == NULL); /* the full handle is consumed */
    NX_CHECK_RC(nx_tcp_stream_split(&s->rd, &bad_rd, &bad_wr), NX_EINVAL);
    size_t n;
    nx_tcp_read r;
    nx_tcp_write w;
    char c = 0;
    NX_CHECK_RC(nx_tcp_try_write(&s->rd, &c, 1, &n), NX_EINVAL);
    NX_CHECK_RC(nx_tcp_try_read(&s->wr, &c, 1, &n), NX_EINVAL);
    NX_CHECK_RC(nx_tcp_write_init(&w, &s->rd, &c, 1), NX_EINVAL);
    NX_CHECK_RC(nx_tcp_read_init(&r, &s->wr, &c, 1), NX_EINVAL);
    NX_CHECK_RC(nx_tcp_stream_shutdown(&s->rd, SHUT_WR), NX_EINVAL);
    NX_CHECK_RC(nx_tcp_stream_shutdown(&s->wr, SHUT_RD), NX_EINVAL);
    NX_CHECK(w.x_.sock_ == NULL && r.x_.sock_ == NULL); /* empty after an error */
  }
  {
    writer w = {.wr = s->wr};
    reader r = {.rd = s->rd};
    nx_future_desc dw = NX_FUTURE(writer, writer_poll, NULL);
    nx_future_desc dr = NX_FUTURE(reader, reader_poll, NULL);
    NX_CHECK_OK(nx_spawn(nx_cx_executor(cx), &dw, &w, NULL, NULL));
    NX_CHECK_OK(nx_spawn(nx_cx_executor(cx), &dr, &r, NULL, NULL));
  }
  NX_END(s);
}

int main(void) {
  nx_test_start();
  out_buf = malloc(TOTAL);
  NX_CHECK(out_buf != NULL);
  for (size_t i = 0; i < TOTAL; i++) out_buf[i] = net_pattern(i);
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  starter st = {0};
  net_spawn_echo_server(ex, net_listen(ex, AF_INET, &st.addr), 1);
  nx_future_desc d = NX_FUTURE(starter, starter_poll, NULL);
  NX_CHECK_OK(nx_spawn(ex, &d, &st, NULL, NULL));
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  NX_CHECK_EQ(writer_done, 1);
  NX_CHECK_EQ(reader_done, 1);
  NX_CHECK_EQ_U(received, TOTAL);
  NX_CHECK_EQ_U(bad, 0);
  NX_CHECK(writer_waits > 0);
  NX_CHECK(reader_waits > 0);
  NX_CHECK_EQ(net_echo_stats.connections_done, 1);
  NX_CHECK_EQ(nx_executor_allocated_tasks(ex), 0);
  nx_executor_destroy(ex);
  free(out_buf);
  return 0;
}

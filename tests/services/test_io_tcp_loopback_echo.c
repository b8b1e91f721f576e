/* TCP over loopback, all on one executor: a listener task accepts (waiting
 * for the listening socket to become readable), an echo task sends back what
 * it reads, and a client task connects without blocking (waiting for the
 * socket to become writable), sends 256 KiB while reading the echo, and
 * checks every byte. */
#include "nx_test.h"
#include "svc_test.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#define TOTAL (256 * 1024)

static struct sockaddr_in addr;
static int listen_fd, echo_done, client_done;
static size_t echoed_bad;

static unsigned char pattern(size_t i) { return (unsigned char)(i * 7 + (i >> 9)); }

typedef struct {
  NX_ASYNC_FIELDS;
  nx_io io;
  int fd, rc;
  size_t n, pending_off, pending_len;
  unsigned char buf[8192];
} echo;

static nx_poll echo_poll(void *p, nx_cx *cx) {
  echo *s = p;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_io_register(&s->io, nx_cx_executor(cx), s->fd, NX_IO_READ | NX_IO_WRITE));
  for (;;) {
    NX_AWAIT(s, s->rc = nx_io_read_poll(&s->io, cx, s->buf, sizeof s->buf, &s->n));
    NX_CHECK_RC(s->rc, NX_READY);
    if (s->n == 0) break;
    s->pending_off = 0;
    s->pending_len = s->n;
    while (s->pending_off < s->pending_len) {
      NX_AWAIT(s, s->rc = nx_io_write_poll(&s->io, cx, s->buf + s->pending_off,
                                           s->pending_len - s->pending_off, &s->n));
      NX_CHECK_RC(s->rc, NX_READY);
      s->pending_off += s->n;
    }
  }
  NX_CHECK_OK(nx_io_deregister(&s->io));
  close(s->fd);
  echo_done = 1;
  NX_END(s);
}

static void echo_drop(void *p) { nx_io_drop(&((echo *)p)->io); }

typedef struct {
  NX_ASYNC_FIELDS;
  nx_io io;
  int rc;
} acceptor;

static nx_poll acceptor_poll(void *p, nx_cx *cx) {
  acceptor *s = p;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_io_register(&s->io, nx_cx_executor(cx), listen_fd, NX_IO_READ));
  for (;;) {
    NX_AWAIT(s, s->rc = nx_io_poll_readable(&s->io, cx));
    NX_CHECK_RC(s->rc, NX_READY);
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      echo e;
      memset(&e, 0, sizeof e);
      e.fd = fd;
      SVC_SPAWN(nx_cx_executor(cx), echo, echo_poll, echo_drop, &e);
      break;
    }
    NX_CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
    nx_io_clear_readable(&s->io);
  }
  NX_CHECK_OK(nx_io_deregister(&s->io));
  NX_END(s);
}

static void acceptor_drop(void *p) { nx_io_drop(&((acceptor *)p)->io); }

typedef struct {
  NX_ASYNC_FIELDS;
  nx_io io;
  int fd, rc;
  size_t sent, recvd, n, len;
  unsigned char out[4096], in[4096];
} client;

static nx_poll client_poll(void *p, nx_cx *cx) {
  client *s = p;
  NX_BEGIN(s);
  s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  NX_CHECK(s->fd >= 0);
  if (connect(s->fd, (struct sockaddr *)&addr, sizeof addr) != 0) NX_CHECK(errno == EINPROGRESS);
  NX_CHECK_OK(nx_io_register(&s->io, nx_cx_executor(cx), s->fd, NX_IO_READ | NX_IO_WRITE));
  NX_AWAIT(s, s->rc = nx_io_poll_writable(&s->io, cx));
  {
    int err = -1;
    socklen_t len = sizeof err;
    NX_CHECK(getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0);
    NX_CHECK_EQ(err, 0);
  }
  while (s->recvd < TOTAL) {
    if (s->sent < TOTAL) {
      s->len = TOTAL - s->sent < sizeof s->out ? TOTAL - s->sent : sizeof s->out;
      for (size_t i = 0; i < s->len; i++) s->out[i] = pattern(s->sent + i);
      s->rc = nx_io_write_poll(&s->io, cx, s->out, s->len, &s->n);
      if (s->rc == NX_READY) s->sent += s->n;
      else NX_CHECK_RC(s->rc, NX_PENDING);
    }
    s->rc = nx_io_read_poll(&s->io, cx, s->in, sizeof s->in, &s->n);
    if (s->rc == NX_READY) {
      NX_CHECK(s->n > 0);
      for (size_t i = 0; i < s->n; i++)
        if (s->in[i] != pattern(s->recvd + i)) echoed_bad++;
      s->recvd += s->n;
    } else {
      NX_CHECK_RC(s->rc, NX_PENDING);
      /* Both sides registered their wakers: wait for either. */
      if (s->sent == TOTAL || !(s->io.readiness_ & NX_IO_WRITE)) return NX_PENDING;
    }
  }
  NX_CHECK_OK(nx_io_deregister(&s->io));
  close(s->fd); /* the echo task then reads end of file */
  client_done = 1;
  NX_END(s);
}

static void client_drop(void *p) { nx_io_drop(&((client *)p)->io); }

int main(void) {
  nx_test_start();
  listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  NX_CHECK(listen_fd >= 0);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  NX_CHECK(bind(listen_fd, (struct sockaddr *)&addr, sizeof addr) == 0);
  socklen_t alen = sizeof addr;
  NX_CHECK(getsockname(listen_fd, (struct sockaddr *)&addr, &alen) == 0);
  NX_CHECK(listen(listen_fd, 8) == 0);
  nx_executor *ex = svc_executor();
  SVC_SPAWN(ex, acceptor, acceptor_poll, acceptor_drop, NULL);
  client *c = calloc(1, sizeof *c);
  SVC_SPAWN(ex, client, client_poll, client_drop, c);
  free(c);
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  NX_CHECK_EQ(client_done, 1);
  NX_CHECK_EQ(echo_done, 1);
  NX_CHECK_EQ_U(echoed_bad, 0);
  close(listen_fd);
  nx_executor_destroy(ex);
  return 0;
}

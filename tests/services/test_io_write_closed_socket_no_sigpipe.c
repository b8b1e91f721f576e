/* Writing to a socket whose peer has closed returns NX_EPIPE (or
 * NX_ECONNRESET) and never raises SIGPIPE: the test keeps SIGPIPE's default
 * action, which would kill the process. Both stream socket families. A pipe
 * keeps write(2)'s behaviour (nxrt.h: ignore SIGPIPE to get NX_EPIPE); with
 * SIGPIPE ignored, as documented, the pipe's write is NX_EPIPE too. */
#include "nx_test.h"
#include "svc_test.h"

#include <netinet/in.h>
#include <sys/socket.h>

typedef struct {
  nx_io io;
  int fd, rc;
} writer;

static nx_poll writer_poll(void *p, nx_cx *cx) {
  writer *s = p;
  if (nx_io_fd(&s->io) < 0) NX_CHECK_OK(nx_io_register(&s->io, nx_cx_executor(cx), s->fd, NX_IO_WRITE));
  static const char msg[] = "hello";
  size_t n = 0;
  /* The first write may still land in the socket buffer; keep writing. */
  for (int i = 0; i < 1000; i++) {
    s->rc = nx_io_write_poll(&s->io, cx, msg, sizeof msg, &n);
    if (s->rc != NX_READY) break;
  }
  return NX_READY;
}

static void writer_drop(void *p) { nx_io_drop(&((writer *)p)->io); }

static int last_rc;
static nx_poll rc_poll(void *p, nx_cx *cx) {
  int r = writer_poll(p, cx);
  last_rc = ((writer *)p)->rc;
  return (nx_poll)r;
}

static int run_writer(int fd) {
  nx_executor *ex = svc_executor();
  writer w = {{0}, fd, 1};
  nx_future_desc d = NX_FUTURE(writer, rc_poll, writer_drop);
  NX_CHECK_OK(nx_spawn(ex, &d, &w, NULL, NULL));
  nx_test_run_idle(ex);
  nx_executor_destroy(ex);
  return last_rc;
}

int main(void) {
  nx_test_start();
  NX_CHECK(signal(SIGPIPE, SIG_DFL) != SIG_ERR);

  int sv[2];
  NX_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
  close(sv[1]);
  int rc = run_writer(sv[0]);
  NX_CHECK(rc == NX_EPIPE || rc == NX_ECONNRESET);
  close(sv[0]);

  /* TCP over loopback: the peer accepts, then closes. */
  int lst = socket(AF_INET, SOCK_STREAM, 0);
  NX_CHECK(lst >= 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  NX_CHECK(bind(lst, (struct sockaddr *)&a, sizeof a) == 0);
  NX_CHECK(listen(lst, 1) == 0);
  NX_CHECK(getsockname(lst, (struct sockaddr *)&a, &alen) == 0);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  NX_CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
  int s = accept(lst, NULL, NULL);
  NX_CHECK(s >= 0);
  close(s);
  svc_set_nonblocking(c);
  rc = run_writer(c);
  NX_CHECK(rc == NX_EPIPE || rc == NX_ECONNRESET);
  close(c);
  close(lst);

  /* A pipe: documented to need SIGPIPE ignored. */
  NX_CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
  int pfd[2];
  NX_CHECK(pipe(pfd) == 0);
  svc_set_nonblocking(pfd[1]);
  close(pfd[0]);
  NX_CHECK_RC(run_writer(pfd[1]), NX_EPIPE);
  close(pfd[1]);
  return 0;
}

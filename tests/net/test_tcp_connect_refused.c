/* A connect to a loopback port nobody listens on ends with -ECONNREFUSED
 * (IPv4 and, where ::1 exists, IPv6). The future is finished: polling it
 * again repeats the error; its socket is already closed (no descriptor
 * left behind), and dropping it afterwards is a no-op. */
#include "nx_test.h"
#include "net/net_test.h"

static int result, again;

typedef struct {
  nx_sockaddr addr;
  nx_tcp_connect c;
  int polls, rc, again;
} refused;

static nx_poll refused_poll(void *p, nx_cx *cx) {
  refused *s = p;
  nx_tcp_stream out = {0};
  s->polls++;
  if (s->polls == 1) NX_CHECK_OK(nx_tcp_connect_init(&s->c, &s->addr));
  s->rc = nx_tcp_connect_poll(&s->c, cx, &out);
  if (s->rc == NX_PENDING) return NX_PENDING;
  NX_CHECK(out.sock_ == NULL);
  s->again = nx_tcp_connect_poll(&s->c, cx, &out);
  result = s->rc;
  again = s->again;
  return NX_READY;
}

static void refused_drop(void *p) { nx_tcp_connect_drop(&((refused *)p)->c); }

/* A port on loopback that was just free (bound, then closed). */
static nx_sockaddr unused_port(int family) {
  nx_sockaddr a;
  NX_CHECK_OK(nx_sockaddr_loopback(&a, family, 0));
  int fd = socket(family, SOCK_STREAM, 0);
  NX_CHECK(fd >= 0);
  NX_CHECK(bind(fd, &a.u.sa, a.len) == 0);
  socklen_t len = a.len;
  NX_CHECK(getsockname(fd, &a.u.sa, &len) == 0);
  close(fd);
  return a;
}

static void run(int family) {
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  int fds_before = net_open_fds();
  refused init = {.addr = unused_port(family)};
  nx_future_desc d = NX_FUTURE(refused, refused_poll, refused_drop);
  NX_CHECK_OK(nx_block_on(ex, NX_RUN_PARKED, &d, &init, NULL, 0));
  NX_CHECK_RC(result, -ECONNREFUSED);
  NX_CHECK_RC(again, -ECONNREFUSED); /* the second poll repeats it */
  NX_CHECK_EQ(net_open_fds(), fds_before);
  nx_executor_destroy(ex);
}

int main(void) {
  nx_test_start();
  run(AF_INET);
  if (net_have_ipv6_loopback()) run(AF_INET6);
  else printf("no IPv6 loopback (::1): the IPv6 half is skipped\n");
  return 0;
}

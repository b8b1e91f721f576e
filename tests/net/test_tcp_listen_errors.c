/* Listening fails cleanly, with the kernel's code and nothing left open:
 * -EADDRINUSE (a second listener on a port in use), -EADDRNOTAVAIL (an
 * address that is not this machine's), -EACCES (a port below 1024 without
 * privilege; skipped as root, with a message), NX_EINVAL (no address,
 * unknown flags, IPV6_V6ONLY on an IPv4 socket), and the handle stays
 * empty. NX_NET_REUSEPORT lets two listeners share a port. */
#include "nx_test.h"
#include "net/net_test.h"

/* An IPv4 address this machine does not have (TEST-NET-2/3), or 0. */
static int foreign_address(nx_sockaddr *a) {
  const char *candidates[] = {"198.51.100.77", "203.0.113.77"};
  for (int i = 0; i < 2; i++) {
    NX_CHECK_OK(nx_sockaddr_ip(a, candidates[i], 0));
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int r = bind(fd, &a->u.sa, a->len);
    int err = errno;
    close(fd);
    if (r != 0 && err == EADDRNOTAVAIL) return 1;
  }
  return 0;
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  int fds = net_open_fds(); /* before any socket */
  nx_sockaddr addr, any;
  nx_tcp_listener l1, l2 = {(struct nx_socket *)1};
  l1 = net_listen(ex, AF_INET, &addr);

  NX_CHECK_RC(nx_tcp_listen(ex, &addr, 8, 0, &l2), -EADDRINUSE);
  NX_CHECK(l2.sock_ == NULL);

  if (foreign_address(&any)) NX_CHECK_RC(nx_tcp_listen(ex, &any, 8, 0, &l2), -EADDRNOTAVAIL);
  else printf("both TEST-NET addresses are local here: EADDRNOTAVAIL case skipped\n");

  if (geteuid() != 0) {
    NX_CHECK_OK(nx_sockaddr_loopback(&any, AF_INET, 80));
    NX_CHECK_RC(nx_tcp_listen(ex, &any, 8, 0, &l2), -EACCES);
  } else {
    printf("running as root: the EACCES case (port < 1024) cannot happen, skipped\n");
  }

  nx_sockaddr none = {0};
  NX_CHECK_RC(nx_tcp_listen(ex, &none, 8, 0, &l2), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_listen(ex, NULL, 8, 0, &l2), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_listen(NULL, &addr, 8, 0, &l2), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_listen(ex, &addr, 8, 0, NULL), NX_EINVAL);
  NX_CHECK_OK(nx_sockaddr_loopback(&any, AF_INET, 0));
  NX_CHECK_RC(nx_tcp_listen(ex, &any, 8, 0x100, &l2), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_listen(ex, &any, 8, NX_NET_V6ONLY, &l2), NX_EINVAL);
  NX_CHECK(l2.sock_ == NULL);
  NX_CHECK_OK(nx_tcp_listener_close(&l1));
  NX_CHECK_EQ(net_open_fds(), fds); /* every failed listen closed its socket */

  /* REUSEPORT: two listeners on one port */
  NX_CHECK_OK(nx_tcp_listen(ex, &any, 8, NX_NET_REUSEPORT, &l1));
  NX_CHECK_OK(nx_tcp_listener_local_addr(&l1, &addr));
  NX_CHECK_OK(nx_tcp_listen(ex, &addr, 8, NX_NET_REUSEPORT, &l2));
  NX_CHECK_OK(nx_tcp_listener_close(&l1));
  NX_CHECK_OK(nx_tcp_listener_close(&l2));
  NX_CHECK_EQ(net_open_fds(), fds);
  nx_executor_destroy(ex);
  return 0;
}

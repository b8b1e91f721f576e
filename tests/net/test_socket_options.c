/* Socket options round-trip through setopt/getopt on a TCP stream and a
 * UDP socket; options a kind of socket does not have, and values out of
 * range, are NX_EINVAL (a positive linger too: close() would block the
 * executor). */
#include "nx_test.h"
#include "net/net_test.h"

static int get_stream(const nx_tcp_stream *s, nx_sockopt opt) {
  int v = -12345;
  NX_CHECK_OK(nx_tcp_stream_getopt(s, opt, &v));
  return v;
}

static int get_udp(const nx_udp_socket *u, nx_sockopt opt) {
  int v = -12345;
  NX_CHECK_OK(nx_udp_getopt(u, opt, &v));
  return v;
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_tcp_stream c, s;
  net_connected_pair(ex, AF_INET, &c, &s);

  NX_CHECK_EQ(get_stream(&c, NX_SOCKOPT_NODELAY), 0);
  NX_CHECK_OK(nx_tcp_stream_setopt(&c, NX_SOCKOPT_NODELAY, 1));
  NX_CHECK_EQ(get_stream(&c, NX_SOCKOPT_NODELAY), 1);
  NX_CHECK_OK(nx_tcp_stream_setopt(&c, NX_SOCKOPT_KEEPALIVE, 1));
  NX_CHECK_EQ(get_stream(&c, NX_SOCKOPT_KEEPALIVE), 1);
  NX_CHECK_OK(nx_tcp_stream_setopt(&c, NX_SOCKOPT_KEEPIDLE, 33));
  NX_CHECK_EQ(get_stream(&c, NX_SOCKOPT_KEEPIDLE), 33);
  NX_CHECK_EQ(get_stream(&c, NX_SOCKOPT_LINGER), -1);
  NX_CHECK_OK(nx_tcp_stream_setopt(&c, NX_SOCKOPT_LINGER, 0));
  NX_CHECK_EQ(get_stream(&c, NX_SOCKOPT_LINGER), 0);
  NX_CHECK_RC(nx_tcp_stream_setopt(&c, NX_SOCKOPT_LINGER, 5), NX_EINVAL);
  NX_CHECK_OK(nx_tcp_stream_setopt(&c, NX_SOCKOPT_LINGER, -1));
  NX_CHECK_EQ(get_stream(&c, NX_SOCKOPT_LINGER), -1);
  NX_CHECK_OK(nx_tcp_stream_setopt(&c, NX_SOCKOPT_SNDBUF, 32768));
  NX_CHECK(get_stream(&c, NX_SOCKOPT_SNDBUF) >= 32768); /* the kernel doubles it */
  NX_CHECK_OK(nx_tcp_stream_setopt(&c, NX_SOCKOPT_RCVBUF, 32768));
  NX_CHECK(get_stream(&c, NX_SOCKOPT_RCVBUF) >= 32768);
  NX_CHECK_OK(nx_tcp_stream_setopt(&c, NX_SOCKOPT_TTL, 17));
  NX_CHECK_EQ(get_stream(&c, NX_SOCKOPT_TTL), 17);
  NX_CHECK_RC(nx_tcp_stream_setopt(&c, NX_SOCKOPT_TTL, 0), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_stream_setopt(&c, NX_SOCKOPT_NODELAY, 2), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_stream_setopt(&c, NX_SOCKOPT_BROADCAST, 1), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_stream_setopt(&c, (nx_sockopt)999, 1), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_stream_getopt(&c, NX_SOCKOPT_NODELAY, NULL), NX_EINVAL);

  nx_udp_socket u;
  nx_sockaddr a;
  NX_CHECK_OK(nx_sockaddr_loopback(&a, AF_INET, 0));
  NX_CHECK_OK(nx_udp_bind(ex, &a, 0, &u));
  NX_CHECK_OK(nx_udp_setopt(&u, NX_SOCKOPT_BROADCAST, 1));
  NX_CHECK_EQ(get_udp(&u, NX_SOCKOPT_BROADCAST), 1);
  NX_CHECK_OK(nx_udp_setopt(&u, NX_SOCKOPT_MULTICAST_TTL, 3));
  NX_CHECK_EQ(get_udp(&u, NX_SOCKOPT_MULTICAST_TTL), 3);
  NX_CHECK_OK(nx_udp_setopt(&u, NX_SOCKOPT_MULTICAST_LOOP, 0));
  NX_CHECK_EQ(get_udp(&u, NX_SOCKOPT_MULTICAST_LOOP), 0);
  NX_CHECK_OK(nx_udp_setopt(&u, NX_SOCKOPT_MULTICAST_IF, 0));
  int v;
  NX_CHECK_RC(nx_udp_getopt(&u, NX_SOCKOPT_MULTICAST_IF, &v), NX_EINVAL);
  NX_CHECK_RC(nx_udp_setopt(&u, NX_SOCKOPT_NODELAY, 1), NX_EINVAL);
  NX_CHECK_RC(nx_udp_setopt(&u, NX_SOCKOPT_LINGER, 0), NX_EINVAL);

  NX_CHECK_OK(nx_udp_close(&u));
  NX_CHECK_OK(nx_tcp_stream_close(&c));
  NX_CHECK_OK(nx_tcp_stream_close(&s));
  nx_executor_destroy(ex);
  return 0;
}

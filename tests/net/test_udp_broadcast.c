/* UDP broadcast: without SO_BROADCAST a send to 255.255.255.255 is refused
 * (-EACCES); with NX_SOCKOPT_BROADCAST it is sent, and Linux loops it back
 * to a socket bound to the wildcard address on that port. Where the
 * machine cannot send a broadcast (no route) or does not loop it back
 * within two seconds, the test is skipped with a message. */
#include "nx_test.h"
#include "net/net_test.h"

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_udp_socket rx, tx;
  nx_sockaddr any, bound, dst;
  char buf[16];
  size_t n;
  NX_CHECK_OK(nx_sockaddr_any(&any, AF_INET, 0));
  NX_CHECK_OK(nx_udp_bind(ex, &any, 0, &rx));
  NX_CHECK_OK(nx_udp_local_addr(&rx, &bound));
  NX_CHECK_OK(nx_udp_bind(ex, &any, 0, &tx));
  NX_CHECK_OK(nx_sockaddr_ip(&dst, "255.255.255.255", nx_sockaddr_port(&bound)));
  NX_CHECK_RC(nx_udp_try_send(&tx, "hello", 5, &dst, &n), -EACCES);
  NX_CHECK_OK(nx_udp_setopt(&tx, NX_SOCKOPT_BROADCAST, 1));
  int rc = nx_udp_try_send(&tx, "hello", 5, &dst, &n);
  if (rc == -ENETUNREACH || rc == -EHOSTUNREACH || rc == -ENODEV) {
    printf("SKIP: no route for a broadcast here (%s)\n", strerror(-rc));
    exit(NET_SKIP_CODE);
  }
  NX_CHECK_OK(rc);
  int got = net_udp_recv_within(ex, &rx, buf, sizeof buf, &n);
  NX_CHECK_OK(nx_udp_close(&rx));
  NX_CHECK_OK(nx_udp_close(&tx));
  nx_executor_destroy(ex);
  if (!got) net_skip("the broadcast was sent but not looped back to this host in 2 s");
  NX_CHECK_EQ_U(n, 5);
  NX_CHECK(memcmp(buf, "hello", 5) == 0);
  return 0;
}

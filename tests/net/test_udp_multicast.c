/* UDP multicast on the loopback interface: a receiver joins a group,
 * a sender sends to it with NX_SOCKOPT_MULTICAST_IF = lo and loopback on,
 * and the receiver gets it; after leaving the group, leaving again is
 * -EADDRNOTAVAIL; joining a unicast address is NX_EINVAL. IPv4 and IPv6;
 * a family whose multicast cannot use lo here (IPv6 needs a multicast
 * route on lo, which few machines have) is skipped with a message, and the
 * whole test is skipped if neither works. */
#include "nx_test.h"
#include "net/net_test.h"

#include <net/if.h>

/* 1 passed, 0 skipped (with the reason printed). */
static int run(int family, const char *group_ip) {
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  unsigned lo = if_nametoindex("lo");
  NX_CHECK(lo != 0);
  nx_udp_socket rx, tx;
  char buf[16];
  nx_sockaddr any, bound, group, unicast;
  size_t n = 0;
  int ok = 0;
  NX_CHECK_OK(nx_sockaddr_any(&any, family, 0));
  NX_CHECK_OK(nx_udp_bind(ex, &any, NX_NET_REUSEADDR, &rx));
  NX_CHECK_OK(nx_udp_local_addr(&rx, &bound));
  NX_CHECK_OK(nx_sockaddr_ip(&group, group_ip, nx_sockaddr_port(&bound)));
  NX_CHECK_OK(nx_sockaddr_loopback(&unicast, family, 0));
  NX_CHECK_RC(nx_udp_join_multicast(&rx, &unicast, lo), NX_EINVAL);
  NX_CHECK_OK(nx_udp_bind(ex, &any, 0, &tx));
  int rc = nx_udp_join_multicast(&rx, &group, lo);
  if (rc == NX_OK) {
    NX_CHECK_OK(nx_udp_setopt(&tx, NX_SOCKOPT_MULTICAST_IF, (int)lo));
    NX_CHECK_OK(nx_udp_setopt(&tx, NX_SOCKOPT_MULTICAST_LOOP, 1));
    if (family == AF_INET6) group.u.in6.sin6_scope_id = lo; /* link-local group */
    rc = nx_udp_try_send(&tx, "multicast", 9, &group, &n);
  }
  if (rc == NX_OK) {
    if (net_udp_recv_within(ex, &rx, buf, sizeof buf, &n)) {
      NX_CHECK_EQ_U(n, 9);
      NX_CHECK(memcmp(buf, "multicast", 9) == 0);
      NX_CHECK_OK(nx_udp_leave_multicast(&rx, &group, lo));
      NX_CHECK_RC(nx_udp_leave_multicast(&rx, &group, lo), -EADDRNOTAVAIL);
      ok = 1;
    } else {
      printf("%s multicast sent on lo but not received in 2 s: skipped\n",
             family == AF_INET ? "IPv4" : "IPv6");
    }
  } else {
    printf("%s multicast cannot use lo here (%s): skipped\n", family == AF_INET ? "IPv4" : "IPv6",
           strerror(-rc));
  }
  NX_CHECK_OK(nx_udp_close(&rx));
  NX_CHECK_OK(nx_udp_close(&tx));
  nx_executor_destroy(ex);
  return ok;
}

int main(void) {
  nx_test_start();
  int passed = run(AF_INET, "239.255.77.77");
  if (net_have_ipv6_loopback()) passed += run(AF_INET6, "ff02::1:77");
  else printf("no IPv6 loopback: the IPv6 case is skipped\n");
  if (passed == 0) net_skip("multicast over the loopback interface works in no family here");
  return 0;
}

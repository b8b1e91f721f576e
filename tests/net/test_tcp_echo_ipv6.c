/* The IPv4 echo exchange (test_tcp_echo_ipv4.c) over the IPv6 loopback,
 * [::1]. Skipped, with a message, on a machine without ::1. */
#include "nx_test.h"
#include "net/net_test.h"

int main(void) {
  nx_test_start();
  net_require_family(AF_INET6);
  net_echo_loopback(AF_INET6, 3, 40);
  return 0;
}

/* test_udp_send_recv_ipv4.c over the IPv6 loopback ([::1]); skipped, with
 * a message, on a machine without it. */
#include "nx_test.h"
#include "net/net_udp_exchange.h"

int main(void) {
  nx_test_start();
  net_require_family(AF_INET6);
  udp_exchange_run(AF_INET6);
  return 0;
}

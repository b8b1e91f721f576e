/* UDP over IPv4 loopback: 50 datagrams of 1..1400 bytes with send futures
 * and receive futures, source addresses, an empty socket's EAGAIN, and a
 * datagram longer than the buffer (-EMSGSIZE, full length reported). */
#include "nx_test.h"
#include "net/net_udp_exchange.h"

int main(void) {
  nx_test_start();
  udp_exchange_run(AF_INET);
  return 0;
}

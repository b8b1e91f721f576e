/* TCP echo with the executor in NX_RUN_BUSY, all nxrt (as test_tcp_echo_ipv4).
 * A busy executor with at most two sockets registered wakes the waiting
 * socket futures to try their transfer instead of asking epoll; with more,
 * it asks epoll. One client (listener, client and server sockets: epoll
 * while connecting, then trying first once the listener is closed) and
 * three clients (epoll throughout) each send messages of 1..6000 bytes, so
 * reads come back short and whole, and every byte is compared. */
#include "nx_test.h"
#include "net/net_test.h"

int main(void) {
  nx_test_start();
  net_echo_loopback_run(AF_INET, 1, 200, NX_RUN_BUSY);
  net_echo_loopback_run(AF_INET, 3, 40, NX_RUN_BUSY);
  return 0;
}

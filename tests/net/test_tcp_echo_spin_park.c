/* TCP echo with the executor in NX_RUN_SPIN_PARK, all nxrt (as
 * test_tcp_echo_ipv4). Every transfer's peer runs on the same executor, so
 * the data a task waits for arrives while the executor spins: the spin's
 * IO readiness check is what finds it. One client and three clients each
 * send messages of 1..6000 bytes, and every byte is compared. */
#include "nx_test.h"
#include "net/net_test.h"

int main(void) {
  nx_test_start();
  net_echo_loopback_run(AF_INET, 1, 200, NX_RUN_SPIN_PARK);
  net_echo_loopback_run(AF_INET, 3, 40, NX_RUN_SPIN_PARK);
  return 0;
}

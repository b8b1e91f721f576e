/* TCP over IPv4 loopback, all nxrt: a listener task accepts three
 * connections, an echo task per connection sends back what it reads; three
 * client tasks connect, check their addresses, and each sends 40 messages
 * of 1..6000 bytes with write_all and reads each echo with read_exact. Every
 * byte is compared and every socket and task is gone at the end. */
#include "nx_test.h"
#include "net/net_test.h"

int main(void) {
  nx_test_start();
  net_echo_loopback(AF_INET, 3, 40);
  return 0;
}

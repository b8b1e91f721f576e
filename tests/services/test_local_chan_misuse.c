/* Local channel misuse: clear errors, nothing changed, and empty handles are
 * errors (or no-ops for close). Zero-size values carry counts. */
#include "nx_test.h"
#include "svc_test.h"

int main(void) {
  nx_test_start();
  nx_local_tx tx, empty_tx = {0};
  nx_local_rx rx, empty_rx = {0};
  NX_CHECK_RC(nx_local_chan_create(0, 4, NULL, &tx, &rx), NX_EINVAL);
  NX_CHECK(tx.ch_ == NULL && rx.ch_ == NULL);
  NX_CHECK_RC(nx_local_chan_create(4, 4, NULL, NULL, &rx), NX_EINVAL);
  NX_CHECK_RC(nx_local_chan_create(4, 4, NULL, &tx, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_local_chan_create(SIZE_MAX / 2, 16, NULL, &tx, &rx), NX_EINVAL);
  NX_CHECK_RC(nx_local_try_send(&empty_tx, &(int){1}), NX_EINVAL);
  NX_CHECK_RC(nx_local_try_send(NULL, &(int){1}), NX_EINVAL);
  NX_CHECK_RC(nx_local_try_recv(&empty_rx, &(int){0}), NX_EINVAL);
  NX_CHECK_RC(nx_local_recv_poll(&empty_rx, NULL, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_local_tx_clone(&empty_tx, &tx), NX_EINVAL);
  nx_local_send s;
  NX_CHECK_RC(nx_local_send_init(&s, &empty_tx, &(int){1}), NX_EINVAL);
  NX_CHECK_RC(nx_local_send_poll(&s, NULL), NX_EINVAL);
  nx_local_send_drop(&s);
  nx_local_send_drop(NULL);
  nx_local_tx_close(&empty_tx);
  nx_local_rx_close(&empty_rx);
  nx_local_tx_close(NULL);
  nx_local_rx_close(NULL);
  NX_CHECK_EQ_U(nx_local_len(&empty_rx), 0);

  NX_CHECK_OK(nx_local_chan_create(2, sizeof(int), NULL, &tx, &rx));
  NX_CHECK_RC(nx_local_try_send(&tx, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_local_try_recv(&rx, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_local_send_init(&s, &tx, NULL), NX_EINVAL);
  NX_CHECK_EQ_U(nx_local_len(&rx), 0);
  nx_local_rx_close(&rx);
  nx_local_tx_close(&tx);

  /* Zero-size values. */
  NX_CHECK_OK(nx_local_chan_create(2, 0, NULL, &tx, &rx));
  NX_CHECK_OK(nx_local_try_send(&tx, NULL));
  NX_CHECK_OK(nx_local_try_send(&tx, NULL));
  NX_CHECK_RC(nx_local_try_send(&tx, NULL), NX_EAGAIN);
  NX_CHECK_EQ_U(nx_local_len(&rx), 2);
  NX_CHECK_OK(nx_local_try_recv(&rx, NULL));
  NX_CHECK_EQ_U(nx_local_len(&rx), 1);
  nx_local_tx_close(&tx);
  NX_CHECK_OK(nx_local_try_recv(&rx, NULL));
  NX_CHECK_RC(nx_local_try_recv(&rx, NULL), NX_EPIPE);
  nx_local_rx_close(&rx);
  return 0;
}

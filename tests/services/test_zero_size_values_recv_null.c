/* Channels of zero-size values (elem_size 0: only counts travel). A receive
 * with out == NULL takes a value and hands it to the caller: the channel's
 * drop function must not run on it (it did for mpsc and spsc, where a NULL
 * out doubled as "drop this one"). Values still queued when the receiver
 * closes are dropped exactly once. Every channel kind runs the same steps. */
#include "svc_test.h"

typedef struct {
  const char *name;
  int (*create)(size_t cap, size_t elem, nx_value_drop_fn drop, void *tx, void *rx);
  int (*send)(const void *tx, const void *v);
  int (*recv)(const void *rx, void *out);
  void (*tx_close)(void *tx);
  void (*rx_close)(void *rx);
} chan_kind;

#define CHAN(k)                                                                          \
  static int k##_create_(size_t c, size_t e, nx_value_drop_fn d, void *tx, void *rx) {   \
    return nx_##k##_create(c, e, d, tx, rx);                                             \
  }                                                                                      \
  static int k##_send_(const void *tx, const void *v) { return nx_##k##_try_send(tx, v); } \
  static int k##_recv_(const void *rx, void *o) { return nx_##k##_try_recv(rx, o); }     \
  static void k##_txc_(void *tx) { nx_##k##_tx_close(tx); }                              \
  static void k##_rxc_(void *rx) { nx_##k##_rx_close(rx); }
static int local_create_(size_t c, size_t e, nx_value_drop_fn d, void *tx, void *rx) {
  return nx_local_chan_create(c, e, d, tx, rx);
}
static int local_send_(const void *tx, const void *v) { return nx_local_try_send(tx, v); }
static int local_recv_(const void *rx, void *o) { return nx_local_try_recv(rx, o); }
static void local_txc_(void *tx) { nx_local_tx_close(tx); }
static void local_rxc_(void *rx) { nx_local_rx_close(rx); }
CHAN(mpsc)
CHAN(spsc)

#define KIND(k) {#k, k##_create_, k##_send_, k##_recv_, k##_txc_, k##_rxc_}
static const chan_kind kinds[] = {KIND(local), KIND(mpsc), KIND(spsc)};

static int value_drops;
static void count_drop(void *v) {
  (void)v;
  value_drops++;
}

int main(void) {
  nx_test_start();
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    const chan_kind *c = &kinds[k];
    printf("%s\n", c->name);
    void *tx[1], *rx[1]; /* each handle is one pointer */
    value_drops = 0;
    NX_CHECK_OK(c->create(4, 0, count_drop, tx, rx));
    for (int i = 0; i < 3; i++) NX_CHECK_OK(c->send(tx, NULL));
    NX_CHECK_OK(c->recv(rx, NULL));
    NX_CHECK_OK(c->recv(rx, NULL));
    NX_CHECK_EQ(value_drops, 0); /* two values handed out, none dropped */
    c->tx_close(tx);
    NX_CHECK_OK(c->recv(rx, NULL));
    NX_CHECK_RC(c->recv(rx, NULL), NX_EPIPE);
    NX_CHECK_EQ(value_drops, 0);
    c->rx_close(rx);
    NX_CHECK_EQ(value_drops, 0);

    /* Queued values still get dropped, once, when the receiver closes. */
    NX_CHECK_OK(c->create(4, 0, count_drop, tx, rx));
    NX_CHECK_OK(c->send(tx, NULL));
    NX_CHECK_OK(c->send(tx, NULL));
    NX_CHECK_OK(c->recv(rx, NULL));
    c->rx_close(rx);
    NX_CHECK_EQ(value_drops, 1);
    c->tx_close(tx);
    NX_CHECK_EQ(value_drops, 1);
  }
  return 0;
}

/* Producers waiting for room in an MPSC byte-record channel are served in
 * FIFO order, and a producer woken for room that is dropped before it
 * claims passes the wake on (SPEC 9.16: the seed's waiter list was LIFO and
 * a dropped woken sender swallowed the wake). Deterministic, one executor:
 * the ring (128 bytes) is filled with two 56-byte records; producers P1,
 * P2, P3 (in that order) wait to claim 56 bytes each. */
#include "nx_test.h"
#include "nxrt_net.h"

static nx_mpsc_bytes_tx tx;
static nx_mpsc_bytes_rx rx;
static int claimed[4]; /* order in which they claimed: 1, 2, ... */
static int order;

typedef struct {
  int id, polls;
  nx_mpsc_bytes_tx tx;
  nx_mpsc_bytes_claim f;
  nx_byte_claim c;
} producer;

static nx_poll producer_poll(void *p, nx_cx *cx) {
  producer *s = p;
  if (s->polls++ == 0) NX_CHECK_OK(nx_mpsc_bytes_claim_init(&s->f, &s->tx, 56));
  int rc = nx_mpsc_bytes_claim_poll(&s->f, cx, &s->c);
  if (rc == NX_PENDING) return NX_PENDING;
  NX_CHECK_RC(rc, NX_READY);
  memset(s->c.data, s->id, 56);
  NX_CHECK_OK(nx_byte_claim_commit(&s->c));
  claimed[s->id] = ++order;
  NX_CHECK_OK(nx_mpsc_bytes_tx_close(&s->tx));
  return NX_READY;
}

static void producer_drop(void *p) {
  producer *s = p;
  nx_mpsc_bytes_claim_drop(&s->f);
  if (s->tx.ch_ != NULL) NX_CHECK_OK(nx_mpsc_bytes_tx_close(&s->tx));
}

/* Receives and releases one record (frees 64 bytes: room for one). */
static int take_one(void) {
  nx_byte_record r;
  NX_CHECK_OK(nx_mpsc_bytes_try_recv(&rx, &r));
  int first = ((unsigned char *)r.data)[0];
  nx_byte_record_release(&r);
  return first;
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  NX_CHECK_OK(nx_mpsc_bytes_create(128, &tx, &rx));
  nx_byte_claim c;
  for (int i = 0; i < 2; i++) {
    NX_CHECK_OK(nx_mpsc_bytes_try_claim(&tx, 56, &c));
    memset(c.data, 0, 56);
    NX_CHECK_OK(nx_byte_claim_commit(&c));
  }
  NX_CHECK_RC(nx_mpsc_bytes_try_claim(&tx, 1, &c), NX_EAGAIN);

  nx_task_id ids[4];
  nx_future_desc d = NX_FUTURE(producer, producer_poll, producer_drop);
  for (int id = 1; id <= 3; id++) {
    producer p = {.id = id};
    NX_CHECK_OK(nx_mpsc_bytes_tx_clone(&tx, &p.tx));
    NX_CHECK_OK(nx_spawn(ex, &d, &p, &ids[id], NULL));
    nx_test_run_idle(ex); /* waits, in spawn order */
  }
  /* a sender with a claim future waiting cannot close */
  NX_CHECK_EQ(nx_executor_live_tasks(ex), 3);

  /* room for one: the first waiter, P1, gets it */
  NX_CHECK_EQ(take_one(), 0);
  nx_test_run_idle(ex);
  NX_CHECK_EQ(claimed[1], 1);
  NX_CHECK_EQ(claimed[2] + claimed[3], 0);

  /* room for one again: P2 is woken ... and cancelled before it runs: its
   * drop hands the wake to P3, which claims */
  NX_CHECK_EQ(take_one(), 0);
  NX_CHECK_OK(nx_cancel(ex, ids[2]));
  nx_test_run_idle(ex);
  NX_CHECK_EQ(claimed[2], 0);
  NX_CHECK_EQ(claimed[3], 2);
  NX_CHECK_EQ(nx_executor_live_tasks(ex), 0);

  NX_CHECK_EQ(take_one(), 1);
  NX_CHECK_EQ(take_one(), 3);
  NX_CHECK_OK(nx_mpsc_bytes_tx_close(&tx));
  nx_byte_record r;
  NX_CHECK_RC(nx_mpsc_bytes_try_recv(&rx, &r), NX_EPIPE);
  NX_CHECK_OK(nx_mpsc_bytes_rx_close(&rx));
  nx_executor_destroy(ex);
  return 0;
}

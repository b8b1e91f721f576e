/* Backpressure by waker, on one executor, for both byte-record channels:
 * producer tasks claim with claim futures on a small ring while a consumer
 * task receives slowly (yielding between records). Every record arrives,
 * in order per producer, with its bytes; producers were made to wait many
 * times (the ring was full); the consumer waited when it was empty. For
 * MPSC three producers wait together, and a fourth, endless one is
 * cancelled halfway in whatever state it is in: the others still finish
 * (test_bytes_mpsc_waiting_producers.c checks the order and hand-over
 * exactly). */
#include "nx_test.h"
#include "nxrt_net.h"

#define RECORDS 400

static int producer_waits, consumer_waits, received[4], done_producers;

typedef struct {
  NX_ASYNC_FIELDS;
  int mpsc, id, i, rc, forever;
  nx_spsc_bytes_tx *stx;
  nx_mpsc_bytes_tx mtx;
  nx_spsc_bytes_claim sf;
  nx_mpsc_bytes_claim mf;
  nx_byte_claim c;
} producer;

static size_t rec_len(int id, int i) { return (size_t)((i * 17 + id * 5) % 90) + 2; }

static nx_poll producer_poll(void *p, nx_cx *cx) {
  producer *s = p;
  NX_BEGIN(s);
  for (s->i = 0; s->forever || s->i < RECORDS; s->i++) {
    if (s->mpsc) NX_CHECK_OK(nx_mpsc_bytes_claim_init(&s->mf, &s->mtx, rec_len(s->id, s->i)));
    else NX_CHECK_OK(nx_spsc_bytes_claim_init(&s->sf, s->stx, rec_len(s->id, s->i)));
    s->rc = s->mpsc ? nx_mpsc_bytes_claim_poll(&s->mf, cx, &s->c)
                    : nx_spsc_bytes_claim_poll(&s->sf, cx, &s->c);
    if (s->rc == NX_PENDING) {
      producer_waits++;
      NX_AWAIT(s, (s->rc = s->mpsc ? nx_mpsc_bytes_claim_poll(&s->mf, cx, &s->c)
                                   : nx_spsc_bytes_claim_poll(&s->sf, cx, &s->c)));
    }
    NX_CHECK_RC(s->rc, NX_READY);
    unsigned char *d = s->c.data;
    d[0] = (unsigned char)s->id;
    d[1] = (unsigned char)s->i;
    memset(d + 2, s->id * 3 + s->i, s->c.len - 2);
    NX_CHECK_OK(nx_byte_claim_commit(&s->c));
  }
  if (s->mpsc) NX_CHECK_OK(nx_mpsc_bytes_tx_close(&s->mtx));
  else NX_CHECK_OK(nx_spsc_bytes_tx_close(s->stx));
  done_producers++;
  NX_END(s);
}

static void producer_drop(void *p) {
  producer *s = p;
  nx_mpsc_bytes_claim_drop(&s->mf);
  nx_spsc_bytes_claim_drop(&s->sf);
  nx_byte_claim_abort(&s->c);
  if (s->mpsc && s->mtx.ch_) NX_CHECK_OK(nx_mpsc_bytes_tx_close(&s->mtx));
}

typedef struct {
  NX_ASYNC_FIELDS;
  int mpsc, rc;
  nx_spsc_bytes_rx *srx;
  nx_mpsc_bytes_rx *mrx;
  nx_byte_record r;
} consumer;

static nx_poll consumer_poll(void *p, nx_cx *cx) {
  consumer *s = p;
  NX_BEGIN(s);
  for (;;) {
    s->rc = s->mpsc ? nx_mpsc_bytes_recv_poll(s->mrx, cx, &s->r)
                    : nx_spsc_bytes_recv_poll(s->srx, cx, &s->r);
    if (s->rc == NX_PENDING) {
      consumer_waits++;
      NX_AWAIT(s, (s->rc = s->mpsc ? nx_mpsc_bytes_recv_poll(s->mrx, cx, &s->r)
                                   : nx_spsc_bytes_recv_poll(s->srx, cx, &s->r)));
    }
    if (s->rc == NX_EPIPE) break;
    NX_CHECK_RC(s->rc, NX_READY);
    {
      unsigned char *d = s->r.data;
      int id = d[0];
      NX_CHECK(id < 4);
      NX_CHECK_EQ(d[1], (unsigned char)received[id]);
      NX_CHECK_EQ_U(s->r.len, rec_len(id, received[id]));
      for (size_t k = 2; k < s->r.len; k++) NX_CHECK_EQ(d[k], (unsigned char)(id * 3 + received[id]));
      received[id]++;
    }
    nx_byte_record_release(&s->r);
    NX_YIELD(s, cx);
    NX_YIELD(s, cx);
  }
  NX_END(s);
}

static void run_spsc(void) {
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  static nx_spsc_bytes_tx tx;
  static nx_spsc_bytes_rx rx;
  NX_CHECK_OK(nx_spsc_bytes_create(256, &tx, &rx));
  producer pr = {.mpsc = 0, .id = 0, .stx = &tx};
  consumer co = {.mpsc = 0, .srx = &rx};
  nx_future_desc dp = NX_FUTURE(producer, producer_poll, producer_drop);
  nx_future_desc dc = NX_FUTURE(consumer, consumer_poll, NULL);
  NX_CHECK_OK(nx_spawn(ex, &dc, &co, NULL, NULL));
  NX_CHECK_OK(nx_spawn(ex, &dp, &pr, NULL, NULL));
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  NX_CHECK_EQ(received[0], RECORDS);
  NX_CHECK(producer_waits > 10);
  NX_CHECK(consumer_waits > 0);
  NX_CHECK_OK(nx_spsc_bytes_rx_close(&rx));
  nx_executor_destroy(ex);
}

static void run_mpsc(void) {
  memset(received, 0, sizeof received);
  producer_waits = consumer_waits = done_producers = 0;
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  static nx_mpsc_bytes_tx tx;
  static nx_mpsc_bytes_rx rx;
  NX_CHECK_OK(nx_mpsc_bytes_create(512, &tx, &rx));
  nx_future_desc dp = NX_FUTURE(producer, producer_poll, producer_drop);
  nx_future_desc dc = NX_FUTURE(consumer, consumer_poll, NULL);
  consumer co = {.mpsc = 1, .mrx = &rx};
  NX_CHECK_OK(nx_spawn(ex, &dc, &co, NULL, NULL));
  nx_task_id victim = 0;
  for (int id = 0; id < 4; id++) {
    producer pr = {.mpsc = 1, .id = id, .forever = id == 3};
    NX_CHECK_OK(nx_mpsc_bytes_tx_clone(&tx, &pr.mtx));
    NX_CHECK_OK(nx_spawn(ex, &dp, &pr, id == 3 ? &victim : NULL, NULL));
  }
  NX_CHECK_OK(nx_mpsc_bytes_tx_close(&tx));
  /* run a while, then cancel the endless producer (waiting or woken) */
  for (int i = 0; i < 300; i++) NX_CHECK(nx_run_once(ex) >= 0);
  NX_CHECK(received[3] > 0);
  NX_CHECK_OK(nx_cancel(ex, victim));
  NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
  for (int id = 0; id < 3; id++) NX_CHECK_EQ(received[id], RECORDS);
  NX_CHECK_EQ(done_producers, 3);
  NX_CHECK(producer_waits > 10);
  NX_CHECK_OK(nx_mpsc_bytes_rx_close(&rx));
  nx_executor_destroy(ex);
}

int main(void) {
  nx_test_start();
  run_spsc();
  run_mpsc();
  return 0;
}

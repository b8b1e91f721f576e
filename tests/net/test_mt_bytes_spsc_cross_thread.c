/* SPSC byte records across threads: the producer is a task on an executor
 * of its own thread, claiming with claim futures on a small ring, so it
 * waits for room often and is woken by the consumer's releases from the
 * main thread (a cross-thread wake); the consumer task waits for records
 * and is woken by the producer's commits. Every record arrives in order
 * with its bytes, in parked mode and in busy mode. Fewer records under
 * valgrind. (TSan runs this: label threads.) */
#include "net/net_bytes_mt.h"

static uint32_t records;
static nx_spsc_bytes_tx tx;
static nx_spsc_bytes_rx rx;
static int producer_waits;

typedef struct {
  NX_ASYNC_FIELDS;
  uint32_t seq;
  int rc;
  nx_spsc_bytes_claim f;
  nx_byte_claim c;
} producer;

static nx_poll producer_poll(void *p, nx_cx *cx) {
  producer *s = p;
  NX_BEGIN(s);
  for (s->seq = 0; s->seq < records; s->seq++) {
    NX_CHECK_OK(nx_spsc_bytes_claim_init(&s->f, &tx, mt_len(0, s->seq)));
    s->rc = nx_spsc_bytes_claim_poll(&s->f, cx, &s->c);
    if (s->rc == NX_PENDING) {
      producer_waits++;
      NX_AWAIT(s, s->rc = nx_spsc_bytes_claim_poll(&s->f, cx, &s->c));
    }
    NX_CHECK_RC(s->rc, NX_READY);
    mt_fill(s->c.data, 0, s->seq);
    NX_CHECK_OK(nx_byte_claim_commit(&s->c));
  }
  NX_CHECK_OK(nx_spsc_bytes_tx_close(&tx));
  NX_END(s);
}

static void producer_drop(void *p) { nx_spsc_bytes_claim_drop(&((producer *)p)->f); }

static void *producer_thread(void *arg) {
  nx_run_mode mode = *(nx_run_mode *)arg;
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_future_desc d = NX_FUTURE(producer, producer_poll, producer_drop);
  NX_CHECK_OK(nx_block_on(ex, mode, &d, NULL, NULL, 0));
  nx_executor_destroy(ex);
  return NULL;
}

typedef struct {
  NX_ASYNC_FIELDS;
  uint32_t next[1];
  int rc;
  nx_byte_record r;
} consumer;

static nx_poll consumer_poll(void *p, nx_cx *cx) {
  consumer *s = p;
  NX_BEGIN(s);
  for (;;) {
    NX_AWAIT(s, s->rc = nx_spsc_bytes_recv_poll(&rx, cx, &s->r));
    if (s->rc == NX_EPIPE) break;
    NX_CHECK_RC(s->rc, NX_READY);
    if (!mt_check(s->r.data, s->r.len, s->next, 1))
      nx_test_fail(__FILE__, __LINE__, "record %u wrong", (unsigned)s->next[0]);
    nx_byte_record_release(&s->r);
  }
  *(uint32_t *)nx_cx_output(cx) = s->next[0];
  NX_END(s);
}

static void run(nx_run_mode mode) {
  NX_CHECK_OK(nx_spsc_bytes_create(512, &tx, &rx));
  producer_waits = 0;
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  pthread_t t;
  NX_CHECK(pthread_create(&t, NULL, producer_thread, &mode) == 0);
  nx_future_desc d = NX_FUTURE_OUT(consumer, consumer_poll, NULL, uint32_t);
  uint32_t got = 0;
  NX_CHECK_OK(nx_block_on(ex, mode, &d, NULL, &got, sizeof got));
  NX_CHECK(pthread_join(t, NULL) == 0);
  NX_CHECK_EQ(got, records);
  NX_CHECK_OK(nx_spsc_bytes_rx_close(&rx));
  nx_executor_destroy(ex);
  printf("%s: %u records, producer waited %d times\n",
         mode == NX_RUN_BUSY ? "busy" : "parked", (unsigned)records, producer_waits);
}

int main(void) {
  nx_test_start();
  records = NX_TEST_ON_VALGRIND() ? 1000 : 5000;
  run(NX_RUN_PARKED);
  run(NX_RUN_BUSY);
  return 0;
}

/* MPSC byte records from four threads at once into one consumer task: two
 * threads run producer tasks on their own executors (claim futures, waiting
 * for room and woken across threads by the consumer's releases), two are
 * plain threads spinning on try_claim. Each producer's records arrive in
 * its order, with their bytes; the stream ends (NX_EPIPE) after the last
 * sender closes. Some claims are aborted (they must never show up). Fewer
 * records under valgrind. (TSan runs this: label threads.) */
#include "net/net_bytes_mt.h"

#define PRODUCERS 4

static uint32_t records;
static nx_mpsc_bytes_rx rx;
static nx_mpsc_bytes_tx txs[PRODUCERS];
static _Atomic int waits;

typedef struct {
  NX_ASYNC_FIELDS;
  uint32_t id, seq;
  int rc;
  nx_mpsc_bytes_claim f;
  nx_byte_claim c;
} producer;

static nx_poll producer_poll(void *p, nx_cx *cx) {
  producer *s = p;
  NX_BEGIN(s);
  for (s->seq = 0; s->seq < records; s->seq++) {
    NX_CHECK_OK(nx_mpsc_bytes_claim_init(&s->f, &txs[s->id], mt_len(s->id, s->seq)));
    s->rc = nx_mpsc_bytes_claim_poll(&s->f, cx, &s->c);
    if (s->rc == NX_PENDING) {
      atomic_fetch_add(&waits, 1);
      NX_AWAIT(s, s->rc = nx_mpsc_bytes_claim_poll(&s->f, cx, &s->c));
    }
    NX_CHECK_RC(s->rc, NX_READY);
    mt_fill(s->c.data, s->id, s->seq);
    NX_CHECK_OK(nx_byte_claim_commit(&s->c));
  }
  NX_CHECK_OK(nx_mpsc_bytes_tx_close(&txs[s->id]));
  NX_END(s);
}

static void producer_drop(void *p) { nx_mpsc_bytes_claim_drop(&((producer *)p)->f); }

static void *task_producer(void *arg) {
  producer init;
  memset(&init, 0, sizeof init);
  init.id = (uint32_t)(uintptr_t)arg;
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_future_desc d = NX_FUTURE(producer, producer_poll, producer_drop);
  NX_CHECK_OK(nx_block_on(ex, NX_RUN_PARKED, &d, &init, NULL, 0));
  nx_executor_destroy(ex);
  return NULL;
}

static void *spin_producer(void *arg) {
  uint32_t id = (uint32_t)(uintptr_t)arg;
  nx_byte_claim c;
  uint32_t aborted = 0;
  for (uint32_t seq = 0; seq < records;) {
    int rc = nx_mpsc_bytes_try_claim(&txs[id], mt_len(id, seq), &c);
    if (rc == NX_EAGAIN) {
      sched_yield();
      continue;
    }
    NX_CHECK_OK(rc);
    if (seq % 97 == 5 && aborted <= seq) { /* one abort per 97: never seen */
      memset(c.data, 0xee, c.len);
      nx_byte_claim_abort(&c);
      aborted = seq + 1;
      continue;
    }
    mt_fill(c.data, id, seq);
    NX_CHECK_OK(nx_byte_claim_commit(&c));
    seq++;
  }
  NX_CHECK_OK(nx_mpsc_bytes_tx_close(&txs[id]));
  return NULL;
}

typedef struct {
  NX_ASYNC_FIELDS;
  uint32_t next[PRODUCERS];
  int rc;
  nx_byte_record r;
} consumer;

static nx_poll consumer_poll(void *p, nx_cx *cx) {
  consumer *s = p;
  NX_BEGIN(s);
  for (;;) {
    NX_AWAIT(s, s->rc = nx_mpsc_bytes_recv_poll(&rx, cx, &s->r));
    if (s->rc == NX_EPIPE) break;
    NX_CHECK_RC(s->rc, NX_READY);
    if (!mt_check(s->r.data, s->r.len, s->next, PRODUCERS))
      nx_test_fail(__FILE__, __LINE__, "a record out of order or damaged");
    nx_byte_record_release(&s->r);
  }
  for (int i = 0; i < PRODUCERS; i++) NX_CHECK_EQ(s->next[i], records);
  NX_END(s);
}

int main(void) {
  nx_test_start();
  records = NX_TEST_ON_VALGRIND() ? 500 : 5000;
  nx_mpsc_bytes_tx tx;
  NX_CHECK_OK(nx_mpsc_bytes_create(1024, &tx, &rx));
  for (int i = 0; i < PRODUCERS; i++) NX_CHECK_OK(nx_mpsc_bytes_tx_clone(&tx, &txs[i]));
  NX_CHECK_OK(nx_mpsc_bytes_tx_close(&tx));
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  pthread_t t[PRODUCERS];
  for (int i = 0; i < PRODUCERS; i++)
    NX_CHECK(pthread_create(&t[i], NULL, i < 2 ? task_producer : spin_producer,
                            (void *)(uintptr_t)i) == 0);
  nx_future_desc d = NX_FUTURE(consumer, consumer_poll, NULL);
  NX_CHECK_OK(nx_block_on(ex, NX_RUN_PARKED, &d, NULL, NULL, 0));
  for (int i = 0; i < PRODUCERS; i++) NX_CHECK(pthread_join(t[i], NULL) == 0);
  NX_CHECK_OK(nx_mpsc_bytes_rx_close(&rx));
  nx_executor_destroy(ex);
  printf("%d producers x %u records; task producers waited %d times\n", PRODUCERS,
         (unsigned)records, atomic_load(&waits));
  return 0;
}

/* SPEC 9.10 (the seed's byte channels never checked again after registering
 * the receiver's waker, so a commit landing between "empty" and "registered"
 * was never noticed). Two executors on two threads play ping-pong with one
 * record in flight at a time, through a pair of SPSC byte channels and then
 * a pair of MPSC ones, once with both executors spinning (busy: the threads
 * run in lockstep, so a commit often lands inside the receiver's window)
 * and once parked. Every record's wake is the only one: a lost wake hangs,
 * and the watchdog fails the test. Fewer rounds under valgrind, which runs
 * one thread at a time, and under TSan (label threads). */
#include "nx_test.h"
#include "nxrt_net.h"

#include <pthread.h>

/* Under ThreadSanitizer the point is the race check, which a few thousand
 * round trips give; its overhead on two spinning threads would make the
 * full count take half a minute. */
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

static int rounds, use_mpsc;
static nx_run_mode mode;
static nx_spsc_bytes_tx s_tx[2];
static nx_spsc_bytes_rx s_rx[2];
static nx_mpsc_bytes_tx m_tx[2];
static nx_mpsc_bytes_rx m_rx[2];

/* Channel 0 carries pings (side 0 -> side 1), channel 1 pongs. */
static void send_u32(int ch, uint32_t v) {
  nx_byte_claim c;
  int rc = use_mpsc ? nx_mpsc_bytes_try_claim(&m_tx[ch], sizeof v, &c)
                    : nx_spsc_bytes_try_claim(&s_tx[ch], sizeof v, &c);
  NX_CHECK_OK(rc); /* one record in flight: always room */
  memcpy(c.data, &v, sizeof v);
  NX_CHECK_OK(nx_byte_claim_commit(&c));
}

static int recv_poll(int ch, nx_cx *cx, nx_byte_record *r) {
  return use_mpsc ? nx_mpsc_bytes_recv_poll(&m_rx[ch], cx, r)
                  : nx_spsc_bytes_recv_poll(&s_rx[ch], cx, r);
}

typedef struct {
  NX_ASYNC_FIELDS;
  int side, rc;
  uint32_t i, v;
  nx_byte_record r;
} player;

static nx_poll player_poll(void *p, nx_cx *cx) {
  player *s = p;
  NX_BEGIN(s);
  for (s->i = 0; s->i < (uint32_t)rounds; s->i++) {
    if (s->side == 0) send_u32(0, s->i);
    NX_AWAIT(s, s->rc = recv_poll(s->side == 0 ? 1 : 0, cx, &s->r));
    NX_CHECK_RC(s->rc, NX_READY);
    NX_CHECK_EQ_U(s->r.len, sizeof s->v);
    memcpy(&s->v, s->r.data, sizeof s->v);
    nx_byte_record_release(&s->r);
    NX_CHECK_EQ(s->v, s->i);
    if (s->side == 1) send_u32(1, s->v);
  }
  NX_END(s);
}

static void play(int side) {
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  player pl;
  memset(&pl, 0, sizeof pl);
  pl.side = side;
  nx_future_desc d = NX_FUTURE(player, player_poll, NULL);
  NX_CHECK_OK(nx_block_on(ex, mode, &d, &pl, NULL, 0));
  nx_executor_destroy(ex);
}

static void *ponger(void *arg) {
  (void)arg;
  play(1);
  return NULL;
}

static void run(int mpsc, nx_run_mode m) {
  use_mpsc = mpsc;
  mode = m;
  for (int ch = 0; ch < 2; ch++) {
    if (mpsc) NX_CHECK_OK(nx_mpsc_bytes_create(64, &m_tx[ch], &m_rx[ch]));
    else NX_CHECK_OK(nx_spsc_bytes_create(64, &s_tx[ch], &s_rx[ch]));
  }
  pthread_t t;
  NX_CHECK(pthread_create(&t, NULL, ponger, NULL) == 0);
  play(0);
  NX_CHECK(pthread_join(t, NULL) == 0);
  for (int ch = 0; ch < 2; ch++) {
    if (mpsc) {
      NX_CHECK_OK(nx_mpsc_bytes_tx_close(&m_tx[ch]));
      NX_CHECK_OK(nx_mpsc_bytes_rx_close(&m_rx[ch]));
    } else {
      NX_CHECK_OK(nx_spsc_bytes_tx_close(&s_tx[ch]));
      NX_CHECK_OK(nx_spsc_bytes_rx_close(&s_rx[ch]));
    }
  }
  printf("%s %s: %d round trips\n", mpsc ? "mpsc" : "spsc", m == NX_RUN_BUSY ? "busy" : "parked",
         rounds);
}

int main(void) {
  nx_test_start();
  for (int mpsc = 0; mpsc < 2; mpsc++) {
    rounds = NX_TEST_ON_VALGRIND() ? 300 : UNDER_TSAN ? 2000 : 10000;
    run(mpsc, NX_RUN_BUSY);
    rounds = NX_TEST_ON_VALGRIND() ? 300 : UNDER_TSAN ? 1000 : 3000;
    run(mpsc, NX_RUN_PARKED);
  }
  return 0;
}

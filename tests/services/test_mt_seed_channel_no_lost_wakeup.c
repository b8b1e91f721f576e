/* SPEC 9.10 (seed: "push, then check whether the receiver registered"
 * against "register, then re-check the queue" without ordering, so a wake
 * can be lost; the byte channels never re-checked at all). Two executors on
 * two threads play ping-pong, 20000 round trips through an mpsc pair and
 * 20000 through an spsc pair, capacity 1, once with both executors parked
 * and once with both spinning (busy: the two threads run in lockstep, so a
 * send lands inside the receiver's register/re-check window often). Every
 * message needs a cross-thread wake. A lost wake hangs the test (the
 * watchdog then fails it). */
#include "nx_test.h"
#include "svc_test.h"

/* Fewer under valgrind, which runs one thread at a time (a spinning
 * executor then costs a scheduler timeslice per message). */
#define ROUNDS (NX_TEST_ON_VALGRIND() ? 300 : 20000)

static nx_mpsc_tx m_ping_tx, m_pong_tx;
static nx_mpsc_rx m_ping_rx, m_pong_rx;
static nx_spsc_tx s_ping_tx, s_pong_tx;
static nx_spsc_rx s_ping_rx, s_pong_rx;
static int use_spsc, pings_done, pongs_done;
static nx_run_mode mode;

static int recv_poll(int pong_side, nx_cx *cx, int *v) {
  if (use_spsc) return nx_spsc_recv_poll(pong_side ? &s_pong_rx : &s_ping_rx, cx, v);
  return nx_mpsc_recv_poll(pong_side ? &m_pong_rx : &m_ping_rx, cx, v);
}

static int try_send(int pong_side, int v) {
  if (use_spsc) return nx_spsc_try_send(pong_side ? &s_pong_tx : &s_ping_tx, &v);
  return nx_mpsc_try_send(pong_side ? &m_pong_tx : &m_ping_tx, &v);
}

/* side 0 (pinger): sends i, waits for i back. side 1 (ponger): echoes. */
typedef struct {
  NX_ASYNC_FIELDS;
  int side, i, v, rc;
} player;

static nx_poll player_poll(void *p, nx_cx *cx) {
  player *s = p;
  NX_BEGIN(s);
  for (s->i = 0; s->i < ROUNDS; s->i++) {
    if (s->side == 0) NX_CHECK_OK(try_send(0, s->i));
    NX_AWAIT(s, s->rc = recv_poll(s->side == 0, cx, &s->v));
    NX_CHECK_RC(s->rc, NX_READY);
    NX_CHECK_EQ(s->v, s->i);
    if (s->side == 1) NX_CHECK_OK(try_send(1, s->v));
  }
  if (s->side == 0) pings_done = 1;
  else pongs_done = 1;
  NX_END(s);
}

static void *ponger(void *arg) {
  (void)arg;
  nx_executor *b = svc_executor();
  player pl = {0};
  pl.side = 1;
  SVC_SPAWN(b, player, player_poll, NULL, &pl);
  NX_CHECK_OK(nx_run(b, mode));
  nx_executor_destroy(b);
  return NULL;
}

static void run(int spsc, nx_run_mode m) {
  use_spsc = spsc;
  mode = m;
  pings_done = pongs_done = 0;
  if (spsc) {
    NX_CHECK_OK(nx_spsc_create(1, sizeof(int), NULL, &s_ping_tx, &s_ping_rx));
    NX_CHECK_OK(nx_spsc_create(1, sizeof(int), NULL, &s_pong_tx, &s_pong_rx));
  } else {
    NX_CHECK_OK(nx_mpsc_create(1, sizeof(int), NULL, &m_ping_tx, &m_ping_rx));
    NX_CHECK_OK(nx_mpsc_create(1, sizeof(int), NULL, &m_pong_tx, &m_pong_rx));
  }
  nx_executor *a = svc_executor();
  player pl = {0};
  SVC_SPAWN(a, player, player_poll, NULL, &pl);
  pthread_t th;
  NX_CHECK(pthread_create(&th, NULL, ponger, NULL) == 0);
  NX_CHECK_OK(nx_run(a, m));
  pthread_join(th, NULL);
  NX_CHECK_EQ(pings_done, 1);
  NX_CHECK_EQ(pongs_done, 1);
  nx_executor_destroy(a);
  if (spsc) {
    nx_spsc_tx_close(&s_ping_tx);
    nx_spsc_rx_close(&s_ping_rx);
    nx_spsc_tx_close(&s_pong_tx);
    nx_spsc_rx_close(&s_pong_rx);
  } else {
    nx_mpsc_tx_close(&m_ping_tx);
    nx_mpsc_rx_close(&m_ping_rx);
    nx_mpsc_tx_close(&m_pong_tx);
    nx_mpsc_rx_close(&m_pong_rx);
  }
}

int main(void) {
  nx_test_start();
  run(0, NX_RUN_PARKED);
  run(1, NX_RUN_PARKED);
  run(0, NX_RUN_BUSY);
  run(1, NX_RUN_BUSY);
  return 0;
}

/* An executor in NX_RUN_SPIN_PARK whose only task waits on a UDP receive
 * spins for its budget, then sleeps: a registered socket that stays quiet
 * must not keep it spinning (as a speculative "try the transfer" wake from
 * the spin would, since each idle step starts a fresh budget). A thread
 * sends the datagram long after the budget; the receive gets it, and the
 * executor thread blocked at least once meanwhile (a voluntary context
 * switch: spinning and sched_yield() make none). */
#include "nx_test.h"
#include "net/net_test.h"

#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

typedef struct {
  NX_ASYNC_FIELDS;
  nx_udp_socket sock;
  nx_udp_recv rcv;
  char buf[16];
  size_t n;
  int rc;
  long csw_before;
} waiter;

static int done;
static long csw_during;

static long voluntary_switches(void) {
  struct rusage ru;
  NX_CHECK(getrusage(RUSAGE_THREAD, &ru) == 0);
  return ru.ru_nvcsw;
}

static nx_poll waiter_poll(void *p, nx_cx *cx) {
  waiter *s = p;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_udp_recv_init(&s->rcv, &s->sock, s->buf, sizeof s->buf));
  s->csw_before = voluntary_switches();
  NX_AWAIT(s, s->rc = nx_udp_recv_poll(&s->rcv, cx, &s->n, NULL));
  csw_during = voluntary_switches() - s->csw_before;
  NX_CHECK_RC(s->rc, NX_READY);
  nx_udp_recv_drop(&s->rcv);
  NX_CHECK_EQ_U(s->n, 5);
  NX_CHECK(memcmp(s->buf, "late!", 5) == 0);
  NX_CHECK_OK(nx_udp_close(&s->sock));
  done = 1;
  NX_END(s);
}

static nx_sockaddr target;

static void *late_sender(void *arg) {
  (void)arg;
  /* far beyond any spin budget the default config or a slow sanitizer
   * build gives */
  struct timespec delay = {0, 200 * 1000 * 1000};
  nanosleep(&delay, NULL);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  NX_CHECK(fd >= 0);
  NX_CHECK(sendto(fd, "late!", 5, 0, &target.u.sa, target.len) == 5);
  close(fd);
  return NULL;
}

int main(void) {
  nx_test_start();
  nx_executor_config cfg;
  NX_CHECK_OK(nx_executor_config_init(&cfg));
  cfg.idle_spin_ns = 1000 * 1000; /* 1 ms: the sender waits 200 */
  nx_executor *ex = NULL;
  NX_CHECK_OK(nx_executor_create(&cfg, &ex));
  waiter s;
  memset(&s, 0, sizeof s);
  nx_sockaddr lo;
  NX_CHECK_OK(nx_sockaddr_loopback(&lo, AF_INET, 0));
  NX_CHECK_OK(nx_udp_bind(ex, &lo, 0, &s.sock));
  NX_CHECK_OK(nx_udp_local_addr(&s.sock, &target));
  nx_future_desc d = NX_FUTURE(waiter, waiter_poll, NULL);
  NX_CHECK_OK(nx_spawn(ex, &d, &s, NULL, NULL));
  pthread_t t;
  NX_CHECK(pthread_create(&t, NULL, late_sender, NULL) == 0);
  NX_CHECK_OK(nx_run(ex, NX_RUN_SPIN_PARK));
  NX_CHECK(pthread_join(t, NULL) == 0);
  NX_CHECK_EQ(done, 1);
  NX_CHECK(csw_during >= 1);
  NX_CHECK_EQ(nx_executor_allocated_tasks(ex), 0);
  nx_executor_destroy(ex);
  return 0;
}

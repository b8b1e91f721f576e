/* A socket is used from a thread that does not own its executor: every
 * operation answers NX_EWRONGTHREAD and changes nothing (the handle stays usable,
 * the socket open, no reference taken), close included. After the
 * executor is shut down, closing is allowed on any thread. */
#include "nx_test.h"
#include "net/net_test.h"

#include <pthread.h>

static nx_tcp_stream c, s;
static nx_tcp_listener l;
static nx_udp_socket u;

static void *other_thread(void *arg) {
  (void)arg;
  nx_tcp_stream copy = c, out;
  nx_tcp_listener lcopy = l;
  nx_udp_socket ucopy = u;
  nx_tcp_read rd;
  nx_tcp_accept acc;
  nx_sockaddr a;
  size_t n;
  char b[4] = "abc";
  int v;
  NX_CHECK_RC(nx_tcp_try_write(&c, b, 3, &n), NX_EWRONGTHREAD);
  NX_CHECK_RC(nx_tcp_try_read(&c, b, 3, &n), NX_EWRONGTHREAD);
  NX_CHECK_RC(nx_tcp_stream_clone(&c, &out), NX_EWRONGTHREAD);
  NX_CHECK_RC(nx_tcp_stream_setopt(&c, NX_SOCKOPT_NODELAY, 1), NX_EWRONGTHREAD);
  NX_CHECK_RC(nx_tcp_stream_getopt(&c, NX_SOCKOPT_NODELAY, &v), NX_EWRONGTHREAD);
  NX_CHECK_RC(nx_tcp_stream_local_addr(&c, &a), NX_EWRONGTHREAD);
  NX_CHECK_RC(nx_tcp_stream_shutdown(&c, SHUT_WR), NX_EWRONGTHREAD);
  NX_CHECK_RC(nx_tcp_read_init(&rd, &c, b, 3), NX_EWRONGTHREAD);
  NX_CHECK_RC(nx_tcp_accept_init(&acc, &l), NX_EWRONGTHREAD);
  NX_CHECK_RC(nx_tcp_stream_close(&copy), NX_EWRONGTHREAD);
  NX_CHECK(copy.sock_ == c.sock_); /* not emptied */
  NX_CHECK_RC(nx_tcp_listener_close(&lcopy), NX_EWRONGTHREAD);
  NX_CHECK_RC(nx_udp_close(&ucopy), NX_EWRONGTHREAD);
  NX_CHECK_RC(nx_udp_try_send(&u, b, 3, NULL, &n), NX_EWRONGTHREAD);
  NX_CHECK_RC(nx_tcp_listen(nx_cx_executor(NULL), &a, 1, 0, &lcopy), NX_EINVAL);
  return NULL;
}

static void *closer_thread(void *arg) {
  (void)arg;
  NX_CHECK_OK(nx_tcp_stream_close(&c));
  NX_CHECK_OK(nx_tcp_stream_close(&s));
  NX_CHECK_OK(nx_tcp_listener_close(&l));
  NX_CHECK_OK(nx_udp_close(&u));
  return NULL;
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_sockaddr a;
  net_connected_pair(ex, AF_INET, &c, &s);
  l = net_listen(ex, AF_INET, &a);
  NX_CHECK_OK(nx_sockaddr_loopback(&a, AF_INET, 0));
  NX_CHECK_OK(nx_udp_bind(ex, &a, 0, &u));
  /* also: creating sockets on another thread's executor */
  pthread_t t;
  NX_CHECK(pthread_create(&t, NULL, other_thread, NULL) == 0);
  NX_CHECK(pthread_join(t, NULL) == 0);
  /* still usable on the owner thread */
  size_t n;
  NX_CHECK_OK(nx_tcp_try_write(&c, "x", 1, &n));
  NX_CHECK_EQ_U(n, 1);
  NX_CHECK_OK(nx_executor_shutdown(ex));
  NX_CHECK(pthread_create(&t, NULL, closer_thread, NULL) == 0);
  NX_CHECK(pthread_join(t, NULL) == 0);
  nx_executor_destroy(ex);
  return 0;
}

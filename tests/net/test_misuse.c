/* Misuse gets NX_EINVAL and changes nothing: NULL pointers and empty
 * (zero-filled) handles and futures everywhere, a future polled with the cx
 * of another executor (it stays usable), operations from a drop function
 * of a task (they work there). Dropping zero-filled futures and closing
 * empty handles twice is harmless. */
#include "nx_test.h"
#include "net/net_test.h"

static nx_tcp_stream shared_client;
static int drop_ran;

typedef struct {
  nx_tcp_read rd;
} foreign_poller;

/* Polls a read future of executor A with a cx of executor B. */
static nx_poll foreign_poll(void *p, nx_cx *cx) {
  foreign_poller *f = p;
  NX_CHECK_RC(nx_tcp_read_poll(&f->rd, cx, NULL), NX_EINVAL);
  return NX_READY;
}

typedef struct {
  int unused;
} dropper;

static nx_poll dropper_poll(void *p, nx_cx *cx) {
  (void)p;
  (void)cx;
  return NX_PENDING;
}

/* From a drop function: sockets still work (close, clone, options). */
static void dropper_drop(void *p) {
  (void)p;
  nx_tcp_stream c;
  NX_CHECK_OK(nx_tcp_stream_clone(&shared_client, &c));
  NX_CHECK_OK(nx_tcp_stream_setopt(&c, NX_SOCKOPT_NODELAY, 1));
  NX_CHECK_OK(nx_tcp_stream_close(&c));
  drop_ran = 1;
}

int main(void) {
  nx_test_start();
  nx_executor *ex = nx_test_executor(0, 0, NULL, NULL);
  nx_tcp_stream c, s, empty = {0}, out;
  nx_tcp_listener el = {0};
  nx_udp_socket eu = {0};
  nx_sockaddr a;
  size_t n;
  char buf[4];
  int v;
  net_connected_pair(ex, AF_INET, &c, &s);

  /* NULL and empty handles */
  NX_CHECK_RC(nx_tcp_try_read(NULL, buf, 1, &n), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_try_read(&empty, buf, 1, &n), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_try_read(&c, NULL, 1, &n), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_try_read(&c, buf, 1, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_try_write(&empty, buf, 1, &n), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_stream_clone(&empty, &out), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_stream_clone(&c, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_stream_close(&empty), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_stream_close(NULL), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_stream_shutdown(&c, 42), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_stream_local_addr(&c, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_stream_peer_addr(&empty, &a), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_stream_getopt(&empty, NX_SOCKOPT_NODELAY, &v), NX_EINVAL);
  NX_CHECK_EQ(nx_tcp_stream_fd(&empty), -1);
  NX_CHECK_EQ(nx_tcp_stream_fd(NULL), -1);
  NX_CHECK(nx_tcp_stream_fd(&c) >= 0);
  NX_CHECK_RC(nx_tcp_listener_close(&el), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_listener_local_addr(&el, &a), NX_EINVAL);
  NX_CHECK_EQ(nx_tcp_listener_fd(&el), -1);
  NX_CHECK_RC(nx_udp_close(&eu), NX_EINVAL);
  NX_CHECK_RC(nx_udp_try_send(&eu, buf, 1, NULL, &n), NX_EINVAL);
  NX_CHECK_RC(nx_udp_connect(&eu, &a), NX_EINVAL);
  NX_CHECK_EQ(nx_udp_fd(NULL), -1);
  NX_CHECK_RC(nx_udp_bind(ex, NULL, 0, &eu), NX_EINVAL);
  NX_CHECK_RC(nx_udp_bind(ex, &a, 0, NULL), NX_EINVAL);

  /* futures: init errors leave them empty; empty ones are EINVAL to poll
   * and no-ops to drop */
  nx_tcp_read rd;
  nx_tcp_write wr;
  nx_tcp_accept acc;
  nx_tcp_connect con;
  nx_udp_send us;
  nx_udp_recv ur;
  nx_sock_ready rdy;
  NX_CHECK_RC(nx_tcp_read_init(NULL, &c, buf, 1), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_read_init(&rd, &empty, buf, 1), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_read_exact_init(&rd, &c, NULL, 1), NX_EINVAL);
  NX_CHECK(rd.x_.sock_ == NULL);
  NX_CHECK_RC(nx_tcp_write_all_init(&wr, &empty, buf, 1), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_accept_init(&acc, &el), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_accept_init(&acc, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_connect_init(&con, NULL), NX_EINVAL);
  nx_sockaddr unset = {0};
  NX_CHECK_RC(nx_tcp_connect_init(&con, &unset), NX_EINVAL);
  NX_CHECK_RC(nx_udp_send_init(&us, &eu, buf, 1, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_udp_recv_init(&ur, &eu, buf, 1), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_stream_ready_init(&rdy, &c, NX_IO_READ | NX_IO_WRITE), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_stream_ready_init(&rdy, &c, 0), NX_EINVAL);
  NX_CHECK_RC(nx_udp_ready_init(&rdy, &eu, NX_IO_READ), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_listener_ready_init(&rdy, &el), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_read_poll(&rd, NULL, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_accept_poll(&acc, NULL, &out, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_sock_ready_poll(&rdy, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_tcp_connect_poll(NULL, NULL, &out), NX_EINVAL);
  nx_tcp_read zr = {{0}};
  nx_tcp_write zw = {{0}};
  nx_tcp_accept za = {0};
  nx_tcp_connect zc = {0};
  nx_udp_send zs = {0};
  nx_udp_recv zu = {0};
  nx_sock_ready zy = {0};
  for (int i = 0; i < 2; i++) {
    nx_tcp_read_drop(&zr);
    nx_tcp_write_drop(&zw);
    nx_tcp_accept_drop(&za);
    nx_tcp_connect_drop(&zc);
    nx_udp_send_drop(&zs);
    nx_udp_recv_drop(&zu);
    nx_sock_ready_drop(&zy);
  }
  nx_tcp_read_drop(NULL);
  nx_tcp_connect_drop(NULL);
  NX_CHECK_EQ_U(nx_tcp_read_done(NULL), 0);
  NX_CHECK_EQ_U(nx_tcp_write_done(NULL), 0);

  /* a cx of another executor: NX_EINVAL, and the future stays usable */
  {
    nx_executor *other = nx_test_executor(0, 0, NULL, NULL);
    foreign_poller f;
    NX_CHECK_OK(nx_tcp_read_init(&f.rd, &c, buf, 1));
    nx_future_desc d = NX_FUTURE(foreign_poller, foreign_poll, NULL);
    NX_CHECK_OK(nx_block_on(other, NX_RUN_BUSY, &d, &f, NULL, 0));
    NX_CHECK(f.rd.x_.sock_ != NULL);
    NX_CHECK_EQ(f.rd.x_.rc_, 0);
    nx_tcp_read_drop(&f.rd);
    nx_executor_destroy(other);
  }

  /* sockets from a drop function */
  shared_client = c;
  {
    nx_task_id id;
    nx_future_desc d = NX_FUTURE(dropper, dropper_poll, dropper_drop);
    NX_CHECK_OK(nx_spawn(ex, &d, NULL, &id, NULL));
    nx_test_run_idle(ex);
    NX_CHECK_OK(nx_cancel(ex, id));
    nx_test_run_idle(ex);
    NX_CHECK_EQ(drop_ran, 1);
  }

  NX_CHECK_OK(nx_tcp_stream_close(&c));
  NX_CHECK_RC(nx_tcp_stream_close(&c), NX_EINVAL); /* emptied by the first */
  NX_CHECK_OK(nx_tcp_stream_close(&s));
  nx_executor_destroy(ex);
  return 0;
}

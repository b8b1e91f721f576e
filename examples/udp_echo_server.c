/* udp_echo_server: sends every datagram back to its sender, until Ctrl-C.
 *
 * One task: receive a datagram (with its source address), send it back,
 * repeat; it also awaits the executor's shutdown handle, which Ctrl-C and
 * SIGTERM trigger. Datagrams up to 64 KiB; a longer one is cut by the
 * kernel and reported, not echoed.
 *
 * Licensed under the MIT license (see LICENSE). */
#include "example_util.h"

#include <nxrt.h>

static const char usage[] =
    "usage: udp_echo_server [--listen ADDR] [--help]\n"
    "\n"
    "Echo server over UDP: every datagram goes back to the address it came from.\n"
    "\n"
    "  --listen ADDR  where to receive (default 127.0.0.1:7001); [::1]:7001 for\n"
    "                 IPv6; port 0 picks a free port. The first line printed is\n"
    "                 'listening on ADDR' with the real port.\n"
    "  --help         this text\n"
    "\n"
    "Stop it with Ctrl-C (or SIGTERM); it prints 'echoed N datagrams, M bytes'.\n"
    "Exit status: 0 after a clean stop, 1 if it could not bind (the reason is\n"
    "printed), 2 for a bad command line.\n";

static unsigned long long datagrams, bytes;

typedef struct server {
  NX_ASYNC_FIELDS;
  nx_udp_socket u;
  nx_shutdown *h;
  nx_shutdown_wait stop;
  nx_udp_recv rcv;
  nx_udp_send snd;
  nx_sockaddr from;
  size_t n;
  int rc;
  unsigned char buf[65536];
} server;

static nx_poll server_poll(void *p, nx_cx *cx) {
  server *s = p;
  NX_BEGIN(s);
  nx_shutdown_wait_init(&s->stop, s->h);
  for (;;) {
    nx_udp_recv_init(&s->rcv, &s->u, s->buf, sizeof s->buf);
    s->rc = NX_PENDING; /* stays so if the shutdown wins */
    NX_AWAIT_UNTIL(s, nx_shutdown_wait_poll(&s->stop, cx) == NX_READY ||
                          (s->rc = nx_udp_recv_poll(&s->rcv, cx, &s->n, &s->from)) != NX_PENDING);
    nx_udp_recv_drop(&s->rcv);
    if (s->rc == NX_PENDING) break;
    if (s->rc != NX_READY) {
      ex_report("receive", s->rc); /* e.g. a datagram longer than 64 KiB */
      continue;
    }
    /* One send; if the socket's buffer is full the datagram waits. */
    nx_udp_send_init(&s->snd, &s->u, s->buf, s->n, &s->from);
    s->rc = NX_PENDING;
    NX_AWAIT_UNTIL(s, nx_shutdown_wait_poll(&s->stop, cx) == NX_READY ||
                          (s->rc = nx_udp_send_poll(&s->snd, cx, NULL)) != NX_PENDING);
    nx_udp_send_drop(&s->snd);
    if (s->rc == NX_PENDING) break;
    if (s->rc != NX_READY) {
      ex_report("send", s->rc);
      continue;
    }
    datagrams++;
    bytes += s->n;
  }
  NX_END(s);
}

static void server_drop(void *p) {
  server *s = p;
  nx_udp_recv_drop(&s->rcv);
  nx_udp_send_drop(&s->snd);
  nx_shutdown_wait_drop(&s->stop);
  if (s->u.sock_ != NULL) nx_udp_close(&s->u);
}

int main(int argc, char **argv) {
  ex_prog = "udp_echo_server";
  nx_sockaddr addr;
  nx_sockaddr_parse(&addr, "127.0.0.1:7001");
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage, stdout);
      return EX_OK;
    } else if (strcmp(argv[i], "--listen") == 0) {
      ex_parse_addr("--listen", ex_value(argc, argv, &i), &addr);
    } else {
      ex_usage_error("unknown option '%s'", argv[i]);
    }
  }
  static server s; /* 64 KiB buffer: not on the stack */
  nx_executor *ex;
  if (ex_start(&ex, &s.h) != NX_OK) return EX_FAILED;
  int rc = nx_udp_bind(ex, &addr, 0, &s.u);
  if (rc != NX_OK) {
    ex_report_addr("cannot bind", &addr, rc);
    nx_shutdown_release(s.h);
    nx_executor_destroy(ex);
    return EX_FAILED;
  }
  nx_udp_local_addr(&s.u, &addr);
  ex_print_listening(&addr);
  nx_future_desc d = NX_FUTURE(server, server_poll, server_drop);
  rc = nx_spawn(ex, &d, &s, NULL, NULL);
  if (rc == NX_OK) rc = nx_run(ex, NX_RUN_PARKED);
  else nx_udp_close(&s.u);
  nx_shutdown_release(s.h);
  nx_executor_destroy(ex);
  if (rc != NX_OK) {
    ex_report("run", rc);
    return EX_FAILED;
  }
  printf("echoed %llu datagrams, %llu bytes\n", datagrams, bytes);
  return EX_OK;
}

/* tcp_echo_server: sends back every byte each client sends, until Ctrl-C.
 *
 * One task accepts; each connection is a task that reads and writes back.
 * Every task also awaits the executor's shutdown handle, which Ctrl-C and
 * SIGTERM trigger (nx_shutdown_signals_install): the acceptor closes the
 * listener, each connection closes its socket, nx_run() returns when no
 * task is left, and the program prints what it served.
 *
 * Licensed under the MIT license (see LICENSE). */
#include "example_util.h"

#include <nxrt.h>

static const char usage[] =
    "usage: tcp_echo_server [--listen ADDR] [--quiet] [--help]\n"
    "\n"
    "Echo server over TCP: every byte a client sends comes back to it.\n"
    "\n"
    "  --listen ADDR  where to listen (default 127.0.0.1:7000); [::1]:7000 for IPv6;\n"
    "                 port 0 picks a free port. The first line printed is\n"
    "                 'listening on ADDR' with the real port.\n"
    "  --quiet        no line per connection\n"
    "  --help         this text\n"
    "\n"
    "Stop it with Ctrl-C (or SIGTERM): open connections are closed, and it prints\n"
    "'served N connections, M bytes'. Exit status: 0 after a clean stop, 1 if it\n"
    "could not listen (the reason is printed), 2 for a bad command line.\n";

static struct {
  int quiet;
  unsigned long connections;
  unsigned long long bytes;
} stats;

/* ------------------------------------------------------------------------ */
/* One connection                                                           */
/* ------------------------------------------------------------------------ */

typedef struct conn {
  NX_ASYNC_FIELDS;
  nx_tcp_stream s;
  nx_sockaddr peer;
  nx_shutdown_wait stop;
  nx_tcp_read rd;
  nx_tcp_write wr;
  size_t n;
  int rc;
  unsigned char buf[16384];
} conn;

static void conn_say(conn *c, const char *what) {
  char addr[NX_SOCKADDR_STRLEN];
  if (stats.quiet) return;
  nx_sockaddr_format(&c->peer, addr, sizeof addr);
  printf("%s %s\n", addr, what);
  fflush(stdout);
}

static nx_poll conn_poll(void *p, nx_cx *cx) {
  conn *c = p;
  NX_BEGIN(c);
  nx_tcp_stream_setopt(&c->s, NX_SOCKOPT_NODELAY, 1); /* echoes leave at once */
  for (;;) {
    nx_tcp_read_init(&c->rd, &c->s, c->buf, sizeof c->buf);
    c->rc = NX_PENDING; /* stays so if the shutdown wins */
    NX_AWAIT_UNTIL(c, nx_shutdown_wait_poll(&c->stop, cx) == NX_READY ||
                          (c->rc = nx_tcp_read_poll(&c->rd, cx, &c->n)) != NX_PENDING);
    nx_tcp_read_drop(&c->rd);
    if (c->rc == NX_PENDING) break; /* shutdown */
    if (c->rc != NX_READY) {
      conn_say(c, strerror(-c->rc));
      break;
    }
    if (c->n == 0) break; /* the client closed */
    stats.bytes += c->n;
    nx_tcp_write_all_init(&c->wr, &c->s, c->buf, c->n);
    c->rc = NX_PENDING;
    NX_AWAIT_UNTIL(c, nx_shutdown_wait_poll(&c->stop, cx) == NX_READY ||
                          (c->rc = nx_tcp_write_poll(&c->wr, cx, NULL)) != NX_PENDING);
    nx_tcp_write_drop(&c->wr);
    if (c->rc != NX_READY) {
      if (c->rc != NX_PENDING) conn_say(c, strerror(-c->rc));
      break;
    }
  }
  conn_say(c, "closed");
  NX_END(c);
}

/* Runs after READY too, and when the executor drops the task. */
static void conn_drop(void *p) {
  conn *c = p;
  nx_tcp_read_drop(&c->rd);
  nx_tcp_write_drop(&c->wr);
  nx_shutdown_wait_drop(&c->stop);
  if (c->s.sock_ != NULL) nx_tcp_stream_close(&c->s);
}

/* ------------------------------------------------------------------------ */
/* The acceptor                                                             */
/* ------------------------------------------------------------------------ */

typedef struct acceptor {
  NX_ASYNC_FIELDS;
  nx_tcp_listener l;
  nx_shutdown *h;
  nx_shutdown_wait stop;
  nx_tcp_accept acc;
  nx_sleep pause;
  int paused; /* pause initialized (a zero-filled nx_sleep must not be dropped) */
  int rc;
} acceptor;

static conn conn_init; /* large: built here, copied into the task */

static nx_poll acceptor_poll(void *p, nx_cx *cx) {
  acceptor *a = p;
  NX_BEGIN(a);
  nx_shutdown_wait_init(&a->stop, a->h);
  nx_tcp_accept_init(&a->acc, &a->l);
  for (;;) {
    a->rc = NX_PENDING; /* stays so if the shutdown wins */
    NX_AWAIT_UNTIL(a, nx_shutdown_wait_poll(&a->stop, cx) == NX_READY ||
                          (a->rc = nx_tcp_accept_poll(&a->acc, cx, &conn_init.s,
                                                      &conn_init.peer)) != NX_PENDING);
    if (a->rc == NX_PENDING) break; /* shutdown */
    if (a->rc != NX_READY) {
      /* Out of descriptors or memory: the client waits in the backlog.
       * Accepting again at once would fail the same way: pause first. */
      ex_report("accept (retrying in 100 ms)", a->rc);
      nx_sleep_init(&a->pause, nx_cx_executor(cx), 100000000);
      a->paused = 1;
      NX_AWAIT(a, nx_sleep_poll(&a->pause, cx));
      continue;
    }
    stats.connections++;
    nx_shutdown_wait_init(&conn_init.stop, a->h);
    nx_future_desc d = NX_FUTURE(conn, conn_poll, conn_drop);
    int rc = nx_spawn(nx_cx_executor(cx), &d, &conn_init, NULL, NULL);
    if (rc != NX_OK) {
      ex_report("spawn", rc);
      nx_shutdown_wait_drop(&conn_init.stop);
      nx_tcp_stream_close(&conn_init.s);
      continue;
    }
    conn_say(&conn_init, "connected");
  }
  NX_END(a);
}

static void acceptor_drop(void *p) {
  acceptor *a = p;
  nx_tcp_accept_drop(&a->acc);
  nx_shutdown_wait_drop(&a->stop);
  if (a->paused) nx_sleep_drop(&a->pause);
  if (a->l.sock_ != NULL) nx_tcp_listener_close(&a->l);
}

int main(int argc, char **argv) {
  ex_prog = "tcp_echo_server";
  nx_sockaddr addr;
  nx_sockaddr_parse(&addr, "127.0.0.1:7000");
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage, stdout);
      return EX_OK;
    } else if (strcmp(argv[i], "--listen") == 0) {
      ex_parse_addr("--listen", ex_value(argc, argv, &i), &addr);
    } else if (strcmp(argv[i], "--quiet") == 0) {
      stats.quiet = 1;
    } else {
      ex_usage_error("unknown option '%s'", argv[i]);
    }
  }

  nx_executor *ex;
  acceptor a;
  memset(&a, 0, sizeof a);
  if (ex_start(&ex, &a.h) != NX_OK) return EX_FAILED;
  int rc = nx_tcp_listen(ex, &addr, 0, 0, &a.l);
  if (rc != NX_OK) {
    ex_report_addr("cannot listen on", &addr, rc);
    nx_shutdown_release(a.h);
    nx_executor_destroy(ex);
    return EX_FAILED;
  }
  nx_tcp_listener_local_addr(&a.l, &addr);
  ex_print_listening(&addr);

  nx_future_desc d = NX_FUTURE(acceptor, acceptor_poll, acceptor_drop);
  rc = nx_spawn(ex, &d, &a, NULL, NULL);
  if (rc == NX_OK) rc = nx_run(ex, NX_RUN_PARKED);
  else nx_tcp_listener_close(&a.l);
  nx_shutdown_release(a.h);
  nx_executor_destroy(ex);
  if (rc != NX_OK) {
    ex_report("run", rc);
    return EX_FAILED;
  }
  printf("served %lu connections, %llu bytes\n", stats.connections, stats.bytes);
  return EX_OK;
}

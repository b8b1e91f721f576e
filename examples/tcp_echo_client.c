/* tcp_echo_client: measures round trips to a TCP echo server.
 *
 * Connects (retrying refused connects with an nx_backoff until
 * --connect-timeout, so it can be started together with the server), then
 * sends --count messages of --size bytes one at a time, each with
 * write_all, and reads each echo with read_exact before sending the next.
 * Each round trip is timed with CLOCK_MONOTONIC; the program prints the
 * percentiles (or one JSON object with --json). Ctrl-C stops it early
 * through the executor's shutdown handle and still prints what it measured.
 *
 * This is a demonstration, not the benchmark of record: the suite's
 * network cases (bench/) time with the cycle counter on pinned cores.
 *
 * Licensed under the MIT license (see LICENSE). */
#include "example_util.h"

#include <nxrt.h>

static const char usage[] =
    "usage: tcp_echo_client [--connect ADDR] [--count N] [--size BYTES] [--warmup N]\n"
    "                       [--connect-timeout SECONDS] [--json] [--help]\n"
    "\n"
    "Sends N messages to a TCP echo server, one at a time, and prints the\n"
    "round-trip time percentiles in microseconds.\n"
    "\n"
    "  --connect ADDR       the server (default 127.0.0.1:7000; [::1]:7000 for IPv6)\n"
    "  --count N            messages timed (default 10000)\n"
    "  --size BYTES         bytes per message, 1..1048576 (default 64)\n"
    "  --warmup N           untimed messages first (default 100)\n"
    "  --connect-timeout S  keep retrying a refused connect with backoff for S\n"
    "                       seconds (default 5; 0: one attempt)\n"
    "  --json               print one JSON object instead of a table\n"
    "  --help               this text\n"
    "\n"
    "Ctrl-C stops early; what was measured is still printed. Exit status: 0 when\n"
    "the run finished or was stopped, 1 on a network error (the reason is\n"
    "printed), 2 for a bad command line.\n";

static struct {
  nx_sockaddr addr;
  long count, size, warmup, connect_timeout_s;
  int json;
} opt;

typedef struct client {
  NX_ASYNC_FIELDS;
  nx_shutdown *h;
  nx_shutdown_wait stop;
  nx_tcp_connect conn;
  nx_backoff retry;
  nx_tcp_stream s;
  nx_tcp_write wr;
  nx_tcp_read rd;
  ex_samples rtt;
  unsigned char *out, *in;
  long i;
  int64_t t0;
  int rc, stopped, failed;
} client;

/* Awaits `poll_expr` unless the shutdown comes first (then s->stopped). */
#define AWAIT_OR_STOP(s, cx, rc_field, poll_expr)                                       \
  do {                                                                                  \
    (rc_field) = NX_PENDING;                                                            \
    NX_AWAIT_UNTIL(s, ((s)->stopped = nx_shutdown_wait_poll(&(s)->stop, (cx)) == NX_READY) || \
                          ((rc_field) = (poll_expr)) != NX_PENDING);                    \
  } while (0)

static nx_poll client_poll(void *p, nx_cx *cx) {
  client *s = p;
  NX_BEGIN(s);
  nx_shutdown_wait_init(&s->stop, s->h);
  {
    nx_backoff_config cfg;
    nx_backoff_config_init(&cfg);
    cfg.initial_ns = 50 * 1000000LL;
    cfg.max_delay_ns = 1000 * 1000000LL;
    cfg.jitter = 0.2;
    cfg.deadline_ns = nx_now_ns() + opt.connect_timeout_s * 1000000000LL;
    nx_backoff_init(&s->retry, nx_cx_executor(cx), &cfg);
  }
  for (;;) {
    nx_tcp_connect_init(&s->conn, &opt.addr);
    AWAIT_OR_STOP(s, cx, s->rc, nx_tcp_connect_poll(&s->conn, cx, &s->s));
    nx_tcp_connect_drop(&s->conn);
    if (s->stopped || s->rc == NX_READY) break;
    if (s->rc != -ECONNREFUSED || opt.connect_timeout_s == 0) break;
    AWAIT_OR_STOP(s, cx, s->rc, nx_backoff_wait_poll(&s->retry, cx));
    if (s->stopped) break;
    if (s->rc == NX_ETIMEDOUT) {
      s->rc = -ECONNREFUSED; /* the backoff is spent: report why */
      break;
    }
  }
  if (s->stopped) goto done;
  if (s->rc != NX_READY) {
    ex_report_addr("cannot connect to", &opt.addr, s->rc);
    s->failed = 1;
    goto done;
  }
  nx_tcp_stream_setopt(&s->s, NX_SOCKOPT_NODELAY, 1);

  for (s->i = 0; s->i < opt.warmup + opt.count; s->i++) {
    s->out[0] = (unsigned char)s->i;
    s->t0 = nx_now_ns();
    nx_tcp_write_all_init(&s->wr, &s->s, s->out, (size_t)opt.size);
    AWAIT_OR_STOP(s, cx, s->rc, nx_tcp_write_poll(&s->wr, cx, NULL));
    nx_tcp_write_drop(&s->wr);
    if (s->stopped || s->rc != NX_READY) break;
    nx_tcp_read_exact_init(&s->rd, &s->s, s->in, (size_t)opt.size);
    AWAIT_OR_STOP(s, cx, s->rc, nx_tcp_read_poll(&s->rd, cx, NULL));
    nx_tcp_read_drop(&s->rd);
    if (s->stopped || s->rc != NX_READY) break;
    if (s->i >= opt.warmup) ex_samples_add(&s->rtt, nx_now_ns() - s->t0);
    if (memcmp(s->in, s->out, (size_t)opt.size) != 0) {
      fprintf(stderr, "%s: message %ld came back changed\n", ex_prog, s->i);
      s->failed = 1;
      break;
    }
  }
  if (!s->stopped && !s->failed && s->rc != NX_READY) {
    ex_report(s->rc == NX_EPIPE ? "the server closed the connection" : "echo", s->rc);
    s->failed = 1;
  }
done:
  *(client *)nx_cx_output(cx) = *s; /* the samples and the outcome, for main */
  NX_END(s);
}

static void client_drop(void *p) {
  client *s = p;
  nx_shutdown_wait_drop(&s->stop);
  nx_tcp_connect_drop(&s->conn);
  nx_backoff_drop(&s->retry);
  nx_tcp_write_drop(&s->wr);
  nx_tcp_read_drop(&s->rd);
  if (s->s.sock_ != NULL) nx_tcp_stream_close(&s->s);
}

int main(int argc, char **argv) {
  ex_prog = "tcp_echo_client";
  nx_sockaddr_parse(&opt.addr, "127.0.0.1:7000");
  opt.count = 10000;
  opt.size = 64;
  opt.warmup = 100;
  opt.connect_timeout_s = 5;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(usage, stdout);
      return EX_OK;
    } else if (strcmp(a, "--connect") == 0) {
      ex_parse_addr(a, ex_value(argc, argv, &i), &opt.addr);
    } else if (strcmp(a, "--count") == 0) {
      opt.count = ex_parse_long(a, ex_value(argc, argv, &i), 1, 100000000);
    } else if (strcmp(a, "--size") == 0) {
      opt.size = ex_parse_long(a, ex_value(argc, argv, &i), 1, 1 << 20);
    } else if (strcmp(a, "--warmup") == 0) {
      opt.warmup = ex_parse_long(a, ex_value(argc, argv, &i), 0, 100000000);
    } else if (strcmp(a, "--connect-timeout") == 0) {
      opt.connect_timeout_s = ex_parse_long(a, ex_value(argc, argv, &i), 0, 3600);
    } else if (strcmp(a, "--json") == 0) {
      opt.json = 1;
    } else {
      ex_usage_error("unknown option '%s'", a);
    }
  }

  client *c = calloc(1, sizeof *c);
  nx_executor *ex = NULL;
  int status = EX_FAILED;
  int rc = c != NULL && (c->out = malloc((size_t)opt.size)) != NULL &&
                   (c->in = malloc((size_t)opt.size)) != NULL &&
                   ex_samples_init(&c->rtt, (size_t)opt.count)
               ? NX_OK
               : NX_ENOMEM;
  if (rc != NX_OK) ex_report("setup", rc);
  else rc = ex_start(&ex, &c->h);
  if (rc == NX_OK) {
    for (long i = 0; i < opt.size; i++) c->out[i] = (unsigned char)(i * 7 + 1);
    nx_future_desc d = NX_FUTURE_OUT(client, client_poll, client_drop, client);
    client result;
    rc = nx_block_on(ex, NX_RUN_PARKED, &d, c, &result, sizeof result);
    if (rc != NX_OK) {
      ex_report("run", rc);
    } else if (!result.failed) {
      ex_print_rtt(&result.rtt, (size_t)opt.count, (size_t)opt.size, result.stopped, opt.json, "");
      status = EX_OK;
    }
  }
  if (c != NULL) {
    nx_shutdown_release(c->h);
    free(c->rtt.ns); /* the task's copy points at the same array */
    free(c->out);
    free(c->in);
    free(c);
  }
  nx_executor_destroy(ex);
  return status;
}

/* udp_echo_client: measures round trips to a UDP echo server.
 *
 * Sends --count datagrams of --size bytes one at a time to a connected UDP
 * socket and waits for each echo, at most --timeout-ms (a datagram can be
 * lost: it is counted, not fatal). Prints the round-trip percentiles of the
 * echoes that came back (or one JSON object with --json). Each datagram
 * carries its sequence number, so a late echo of an earlier one is skipped,
 * not mistaken for the current one. Ctrl-C stops early through the
 * executor's shutdown handle.
 *
 * Licensed under the MIT license (see LICENSE). */
#include "example_util.h"

#include <nxrt.h>

static const char usage[] =
    "usage: udp_echo_client [--connect ADDR] [--count N] [--size BYTES]\n"
    "                       [--timeout-ms MS] [--json] [--help]\n"
    "\n"
    "Sends N datagrams to a UDP echo server, one at a time, and prints the\n"
    "round-trip time percentiles in microseconds.\n"
    "\n"
    "  --connect ADDR   the server (default 127.0.0.1:7001; [::1]:7001 for IPv6)\n"
    "  --count N        datagrams (default 10000)\n"
    "  --size BYTES     bytes per datagram, 8..65000 (default 64)\n"
    "  --timeout-ms MS  how long to wait for each echo (default 1000); a datagram\n"
    "                   not echoed in time counts as lost\n"
    "  --json           print one JSON object instead of a table\n"
    "  --help           this text\n"
    "\n"
    "Ctrl-C stops early; what was measured is still printed. Exit status: 0 when\n"
    "the run finished or was stopped (lost datagrams are reported, not an error),\n"
    "1 on a network error such as a refused port (the reason is printed), 2 for a\n"
    "bad command line.\n";

static struct {
  nx_sockaddr addr;
  long count, size, timeout_ms;
  int json;
} opt;

typedef struct client {
  NX_ASYNC_FIELDS;
  nx_udp_socket u;
  nx_shutdown *h;
  nx_shutdown_wait stop;
  nx_udp_send snd;
  nx_udp_recv rcv;
  nx_timeout to;
  ex_samples rtt;
  unsigned char *out, *in;
  uint64_t seq;
  size_t n;
  long lost;
  int64_t t0;
  int rc, stopped, failed;
} client;

static nx_poll client_poll(void *p, nx_cx *cx) {
  client *s = p;
  NX_BEGIN(s);
  nx_shutdown_wait_init(&s->stop, s->h);
  for (s->seq = 0; s->seq < (uint64_t)opt.count; s->seq++) {
    memcpy(s->out, &s->seq, sizeof s->seq);
    s->t0 = nx_now_ns();
    nx_udp_send_init(&s->snd, &s->u, s->out, (size_t)opt.size, NULL);
    s->rc = NX_PENDING;
    NX_AWAIT_UNTIL(s, (s->stopped = nx_shutdown_wait_poll(&s->stop, cx) == NX_READY) ||
                          (s->rc = nx_udp_send_poll(&s->snd, cx, NULL)) != NX_PENDING);
    nx_udp_send_drop(&s->snd);
    if (s->stopped || s->rc != NX_READY) break;
    nx_timeout_init(&s->to, nx_cx_executor(cx), opt.timeout_ms * 1000000LL);
    for (;;) { /* until this datagram's echo, or the timeout */
      nx_udp_recv_init(&s->rcv, &s->u, s->in, (size_t)opt.size);
      s->rc = NX_PENDING;
      NX_AWAIT_UNTIL(s, (s->stopped = nx_shutdown_wait_poll(&s->stop, cx) == NX_READY) ||
                            (s->rc = nx_timeout_poll(&s->to, cx, nx_udp_recv_poll(&s->rcv, cx, &s->n,
                                                                                 NULL))) != NX_PENDING);
      nx_udp_recv_drop(&s->rcv);
      if (s->stopped || s->rc != NX_READY) break;
      if (s->n == (size_t)opt.size && memcmp(s->in, s->out, (size_t)opt.size) == 0) break;
      /* a late echo of an earlier datagram: keep waiting for this one */
    }
    nx_timeout_drop(&s->to);
    if (s->stopped) break;
    if (s->rc == NX_ETIMEDOUT) {
      s->lost++;
      continue;
    }
    if (s->rc != NX_READY) break;
    ex_samples_add(&s->rtt, nx_now_ns() - s->t0);
  }
  if (!s->stopped && s->rc != NX_READY && s->rc != NX_ETIMEDOUT) {
    ex_report_addr("echo with", &opt.addr, s->rc);
    s->failed = 1;
  }
  *(client *)nx_cx_output(cx) = *s;
  NX_END(s);
}

/* The socket is main's: it closes it after the executor is gone. */
static void client_drop(void *p) {
  client *s = p;
  nx_udp_send_drop(&s->snd);
  nx_udp_recv_drop(&s->rcv);
  nx_shutdown_wait_drop(&s->stop);
}

int main(int argc, char **argv) {
  ex_prog = "udp_echo_client";
  nx_sockaddr_parse(&opt.addr, "127.0.0.1:7001");
  opt.count = 10000;
  opt.size = 64;
  opt.timeout_ms = 1000;
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
      opt.size = ex_parse_long(a, ex_value(argc, argv, &i), 8, 65000);
    } else if (strcmp(a, "--timeout-ms") == 0) {
      opt.timeout_ms = ex_parse_long(a, ex_value(argc, argv, &i), 1, 3600000);
    } else if (strcmp(a, "--json") == 0) {
      opt.json = 1;
    } else {
      ex_usage_error("unknown option '%s'", a);
    }
  }

  client *c = calloc(1, sizeof *c);
  nx_executor *ex = NULL;
  nx_sockaddr local;
  int status = EX_FAILED;
  int rc = c != NULL && (c->out = calloc(1, (size_t)opt.size)) != NULL &&
                   (c->in = malloc((size_t)opt.size)) != NULL &&
                   ex_samples_init(&c->rtt, (size_t)opt.count)
               ? NX_OK
               : NX_ENOMEM;
  if (rc != NX_OK) ex_report("setup", rc);
  else rc = ex_start(&ex, &c->h);
  if (rc != NX_OK) {
    /* reported */
  } else if (nx_sockaddr_any(&local, nx_sockaddr_family(&opt.addr), 0),
             (rc = nx_udp_bind(ex, &local, 0, &c->u)) != NX_OK ||
                 (rc = nx_udp_connect(&c->u, &opt.addr)) != NX_OK) {
    ex_report("cannot set up the socket", rc);
  } else {
    nx_future_desc d = NX_FUTURE_OUT(client, client_poll, client_drop, client);
    client result;
    rc = nx_block_on(ex, NX_RUN_PARKED, &d, c, &result, sizeof result);
    if (rc != NX_OK) {
      ex_report("run", rc);
    } else if (!result.failed) {
      char extra[64];
      snprintf(extra, sizeof extra, ", \"lost\": %ld", result.lost);
      ex_print_rtt(&result.rtt, (size_t)opt.count, (size_t)opt.size, result.stopped, opt.json,
                   extra);
      if (!opt.json && result.lost > 0)
        printf("%ld datagrams lost (no echo in %ld ms)\n", result.lost, opt.timeout_ms);
      status = EX_OK;
    }
  }
  nx_executor_destroy(ex);
  if (c != NULL) {
    if (c->u.sock_ != NULL) nx_udp_close(&c->u); /* works after the executor is gone */
    nx_shutdown_release(c->h);
    free(c->rtt.ns); /* the task's copy points at the same array */
    free(c->out);
    free(c->in);
    free(c);
  }
  return status;
}

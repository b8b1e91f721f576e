/* What the example programs share: command-line parsing with errors that
 * say what to do, and round-trip percentiles. Not part of nxrt's API; kept
 * small so each example reads on its own.
 *
 * Licensed under the MIT license (see LICENSE). */
#ifndef NXRT_EXAMPLE_UTIL_H
#define NXRT_EXAMPLE_UTIL_H

#include <nxrt_net.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exit statuses every example uses. */
enum { EX_OK = 0, EX_FAILED = 1, EX_USAGE = 2 };

static const char *ex_prog = "example";

/* Prints "prog: message" and the hint, exits EX_USAGE. */
static inline void ex_usage_error(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s: ", ex_prog);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry '%s --help'.\n", ex_prog);
  exit(EX_USAGE);
}

/* The value after option argv[*i] (advances *i). */
static inline const char *ex_value(int argc, char **argv, int *i) {
  if (*i + 1 >= argc) ex_usage_error("%s needs a value", argv[*i]);
  return argv[++*i];
}

static inline void ex_parse_addr(const char *opt, const char *text, nx_sockaddr *out) {
  if (nx_sockaddr_parse(out, text) != NX_OK)
    ex_usage_error("%s: '%s' is not an address with a port (like 127.0.0.1:7000 or [::1]:7000;"
                   " names are not looked up)", opt, text);
}

static inline long ex_parse_long(const char *opt, const char *text, long min, long max) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
    ex_usage_error("%s: '%s' is not a whole number from %ld to %ld", opt, text, min, max);
  return v;
}

/* Prints "prog: what: reason" for an nxrt status (a negative errno). */
static inline void ex_report(const char *what, int rc) {
  fprintf(stderr, "%s: %s: %s (%s)\n", ex_prog, what, strerror(-rc), nx_err_name(rc));
}

/* Prints "prog: what ADDR: reason" for a status about an address. */
static inline void ex_report_addr(const char *what, const nx_sockaddr *a, int rc) {
  char text[NX_SOCKADDR_STRLEN];
  nx_sockaddr_format(a, text, sizeof text);
  fprintf(stderr, "%s: %s %s: %s (%s)\n", ex_prog, what, text, strerror(-rc), nx_err_name(rc));
}

/* The first line a server prints: where it really listens (port 0 chosen). */
static inline void ex_print_listening(const nx_sockaddr *a) {
  char text[NX_SOCKADDR_STRLEN];
  nx_sockaddr_format(a, text, sizeof text);
  printf("listening on %s\n", text);
  fflush(stdout);
}

/* An executor whose shutdown handle Ctrl-C and SIGTERM trigger, and that
 * handle (*h: one reference, the caller's to release). On error the reason
 * is printed and nothing is left. */
static inline int ex_start(nx_executor **ex, nx_shutdown **h) {
  int rc = nx_executor_create(NULL, ex);
  if (rc != NX_OK) {
    ex_report("cannot create the executor", rc);
    return rc;
  }
  if ((rc = nx_shutdown_signals_install(*ex)) != NX_OK || (rc = nx_shutdown_handle(*ex, h)) != NX_OK) {
    ex_report("cannot set up Ctrl-C handling", rc);
    nx_executor_destroy(*ex);
    *ex = NULL;
  }
  return rc;
}

/* ------------------------------------------------------------------------ */
/* Round-trip times                                                         */
/* ------------------------------------------------------------------------ */

typedef struct ex_samples {
  int64_t *ns;
  size_t n, cap;
} ex_samples;

static inline int ex_samples_init(ex_samples *s, size_t cap) {
  s->ns = malloc((cap ? cap : 1) * sizeof *s->ns);
  s->n = 0;
  s->cap = cap;
  return s->ns != NULL;
}

static inline void ex_samples_add(ex_samples *s, int64_t ns) {
  if (s->n < s->cap) s->ns[s->n++] = ns;
}

static inline int ex_cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted samples, in microseconds. */
static inline double ex_pct_us(const ex_samples *s, double p) {
  size_t rank = (size_t)(p / 100.0 * (double)s->n + 0.999999);
  if (rank < 1) rank = 1;
  if (rank > s->n) rank = s->n;
  return (double)s->ns[rank - 1] / 1000.0;
}

/* Prints the percentiles (sorts the samples): a table, or one JSON object.
 * `extra_json` is appended inside the object (may be ""). */
static inline void ex_print_rtt(ex_samples *s, size_t requested, size_t bytes, int interrupted, int json,
                         const char *extra_json) {
  static const double pcts[] = {50, 90, 99, 99.9};
  qsort(s->ns, s->n, sizeof *s->ns, ex_cmp_i64);
  if (json) {
    printf("{\"messages\": %zu, \"requested\": %zu, \"bytes\": %zu, \"interrupted\": %s", s->n,
           requested, bytes, interrupted ? "true" : "false");
    if (s->n > 0) {
      printf(", \"rtt_us\": {\"min\": %.3f, \"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, "
             "\"p99.9\": %.3f, \"max\": %.3f}",
             (double)s->ns[0] / 1000.0, ex_pct_us(s, 50), ex_pct_us(s, 90), ex_pct_us(s, 99),
             ex_pct_us(s, 99.9), (double)s->ns[s->n - 1] / 1000.0);
    }
    printf("%s}\n", extra_json);
    return;
  }
  printf("%zu of %zu round trips of %zu bytes%s\n", s->n, requested, bytes,
         interrupted ? " (stopped early by a signal)" : "");
  if (s->n == 0) return;
  printf("round-trip time, microseconds (CLOCK_MONOTONIC):\n");
  printf("  min %10.1f\n", (double)s->ns[0] / 1000.0);
  for (size_t i = 0; i < sizeof pcts / sizeof pcts[0]; i++)
    printf("  p%-5g%8.1f\n", pcts[i], ex_pct_us(s, pcts[i]));
  printf("  max %10.1f\n", (double)s->ns[s->n - 1] / 1000.0);
}

#endif /* NXRT_EXAMPLE_UTIL_H */

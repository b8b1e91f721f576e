/*
 * nx_opcount: runs nxrt's hot operations between two marker calls so that
 * `valgrind --tool=callgrind --collect-atstart=no` counts exactly their
 * instructions (tools/nxbench_lib/gate.py and profile.py drive it; the
 * operations are defined in bench/opcount/README.md).
 *
 * One binary per allocator backend (linked with nxrt_backend_<name>), like
 * the benchmark harnesses: jemalloc and mimalloc both replace malloc, so two
 * backends never share a process.
 *
 * Every operation is measured at two counts N1 < N2 in the same process, each
 * in its own callgrind dump named "<op>@<n>"; the caller takes
 * (I(N2) - I(N1)) / (N2 - N1), which cancels the fixed cost of the markers
 * and of entering and leaving the loop.
 *
 * Usage: nx_opcount [--n N1,N2] [--warmup W] [--info] [--list] OP[:key=value]...
 * Exit status: 0 ok, 2 bad usage, 3 an nxrt call failed (message on stderr).
 *
 * Licensed under the MIT license (see LICENSE).
 */
#include "opcount.h"

#include "nx_backend.h"
#include "nxrt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/callgrind.h>

#ifndef NX_OPCOUNT_BUILD
#define NX_OPCOUNT_BUILD "unknown"
#endif
#if defined(__clang__)
#define NX_OPCOUNT_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define NX_OPCOUNT_COMPILER "gcc " __VERSION__
#else
#define NX_OPCOUNT_COMPILER "unknown"
#endif

/* ------------------------------------------------------------------------ */
/* Command line                                                             */
/* ------------------------------------------------------------------------ */

static int usage(const char *msg) {
  if (msg) fprintf(stderr, "nx_opcount: %s\n", msg);
  fprintf(stderr,
          "usage: nx_opcount [--n N1,N2] [--warmup W] [--info] [--list] OP[:key=value,...]...\n"
          "  runs each OP W times (not measured), then N1 and N2 times between markers;\n"
          "  counts are rounded up to a multiple of %u. Run under\n"
          "  valgrind --tool=callgrind --collect-atstart=no (nxbench does).\n",
          OPC_BATCH);
  return 2;
}

static int parse_size(const char *s, size_t *out) {
  char *end;
  if (*s < '0' || *s > '9') return -1;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end != '\0' && *end != ',' && *end != ':') return -1;
  *out = (size_t)v;
  return (int)(end - s);
}

static size_t round_batch(size_t n) { return (n + OPC_BATCH - 1) / OPC_BATCH * OPC_BATCH; }

/* "name[:key=value,...]" -> op and params; NULL with a message on error. */
static const opc_op *parse_op(const char *spec, opc_params *p) {
  size_t len = strcspn(spec, ":");
  const opc_op *op = NULL;
  for (size_t i = 0; i < opc_nops; i++)
    if (strlen(opc_ops[i].name) == len && strncmp(opc_ops[i].name, spec, len) == 0) op = &opc_ops[i];
  if (op == NULL) {
    fprintf(stderr, "nx_opcount: unknown operation '%.*s' (--list shows them)\n", (int)len,
            spec);
    return NULL;
  }
  p->future_bytes = 0;
  p->live_tasks = strcmp(op->name, "spawn_with_live") == 0 ? 1000 : 0;
  const char *s = spec + len;
  while (*s == ':' || *s == ',') {
    s++;
    size_t klen = strcspn(s, "=");
    size_t *field = NULL;
    if (klen == strlen("future_bytes") && strncmp(s, "future_bytes", klen) == 0)
      field = &p->future_bytes;
    else if (klen == strlen("live_tasks") && strncmp(s, "live_tasks", klen) == 0)
      field = &p->live_tasks;
    int used;
    if (field == NULL || s[klen] != '=' || (used = parse_size(s + klen + 1, field)) < 0) {
      fprintf(stderr, "nx_opcount: bad parameter in '%s' (known: future_bytes=N, "
                      "live_tasks=N)\n", spec);
      return NULL;
    }
    s += klen + 1 + (size_t)used;
  }
  if (p->future_bytes > OPC_MAX_FUTURE) {
    fprintf(stderr, "nx_opcount: future_bytes must be <= %u\n", OPC_MAX_FUTURE);
    return NULL;
  }
  return op;
}

int main(int argc, char **argv) {
  size_t n[2] = {2048, 6144}, warmup = 1024;
  int first_op = 0, want_list = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--n") == 0 && i + 1 < argc) {
      int used = parse_size(argv[++i], &n[0]);
      if (used < 0 || argv[i][used] != ',' || parse_size(argv[i] + used + 1, &n[1]) < 0)
        return usage("--n wants N1,N2");
    } else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc) {
      if (parse_size(argv[++i], &warmup) < 0) return usage("--warmup wants a number");
    } else if (strcmp(argv[i], "--list") == 0) {
      want_list = 1;
    } else if (strcmp(argv[i], "--info") == 0) {
      /* info is always printed below */
    } else if (argv[i][0] == '-') {
      return usage("unknown option");
    } else {
      first_op = first_op ? first_op : i;
    }
  }
  n[0] = round_batch(n[0]);
  n[1] = round_batch(n[1]);
  warmup = round_batch(warmup);
  if (n[0] >= n[1]) return usage("--n wants N1 < N2");
  if (want_list) {
    /* name, params, gated or not, description: `nxbench profile` and the
       gate read this list instead of keeping one. */
    for (size_t i = 0; i < opc_nops; i++)
      printf("%-18s %-24s %-5s %s\n", opc_ops[i].name, opc_ops[i].params, opc_ops[i].gated ? "gate" : "-",
             opc_ops[i].what);
    return 0;
  }
  /* mimalloc wants its first call on the executor's thread: this one. */
  (void)nx_backend_allocator();
  printf("backend: %s\n", nx_backend_name());
  printf("backend_version: %s\n", nx_backend_version());
  printf("nxrt_version: %s\n", nx_version());
  printf("compiler: %s\n", NX_OPCOUNT_COMPILER);
  printf("build: %s\n", NX_OPCOUNT_BUILD);
  printf("batch: %u\n", OPC_BATCH);
  printf("under_valgrind: %d\n", (int)RUNNING_ON_VALGRIND);
  fflush(stdout);
  if (!first_op) return 0;
  /* Check every OP before running any, so a typo costs no valgrind time. */
  for (int pass = 0; pass < 2; pass++) {
    for (int i = first_op; i < argc; i++) {
      if (argv[i][0] == '-') {
        i += (strcmp(argv[i], "--n") == 0 || strcmp(argv[i], "--warmup") == 0);
        continue;
      }
      opc_params p;
      const opc_op *op = parse_op(argv[i], &p);
      if (op == NULL) return 2;
      if (pass == 1) {
        opc_measure(op, argv[i], &p, warmup, n);
        fflush(stdout);
      }
    }
  }
  return 0;
}

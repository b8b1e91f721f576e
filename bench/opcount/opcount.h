/*
 * nx_opcount's operations (opcount_ops.c) as its command line (opcount.c)
 * sees them: the table of named operations and the function that measures
 * one.
 *
 * Licensed under the MIT license (see LICENSE).
 */
#ifndef NX_OPCOUNT_H
#define NX_OPCOUNT_H

#include <stddef.h>

/* Tasks polled per nx_run_once: the executor's default tasks_per_cycle, so
 * one cycle's fixed cost is shared by a full batch, as in a busy program. */
#define OPC_BATCH 64u
#define OPC_MAX_FUTURE 1024u

typedef struct opc_params {
  size_t future_bytes; /* spawn_poll_free, spawn_with_live */
  size_t live_tasks;   /* spawn_with_live */
} opc_params;

typedef struct opc_env opc_env;

typedef struct opc_op {
  const char *name;    /* the benchmark case it counts (bench/ catalogue) */
  const char *params;  /* the params it takes, comma-separated, "-" for none */
  int gated;           /* checked by the callgrind gate */
  const char *what;
  void (*setup)(opc_env *env);
  void (*run)(opc_env *env, size_t n);
} opc_op;

extern const opc_op opc_ops[];
extern const size_t opc_nops;

/* Runs op `warmup` times unmeasured, then n[0] and n[1] times, each between
 * the markers in a callgrind dump named "<spec>@<n>", and prints a "region:"
 * line per dump. Exits 3 with a message when an nxrt call fails. */
void opc_measure(const opc_op *op, const char *spec, const opc_params *p, size_t warmup,
                 const size_t n[2]);

#endif

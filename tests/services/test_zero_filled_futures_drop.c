/* A task spawned with init == NULL has a zero-filled state. Dropping any
 * service future or handle in that state (the task is cancelled, or the
 * executor shut down, before its first poll) is a no-op: a zeroed timer
 * entry used to read as "registered in the heap at index 0" with a NULL
 * service, and crashed. Every future kind is listed once; each is dropped
 * through a task cancelled before its first poll, and through a shutdown. */
#include "svc_test.h"

#define ZERO_FUTURES(X)                                   \
  X(nx_sleep, nx_sleep_drop)                              \
  X(nx_timeout, nx_timeout_drop)                          \
  X(nx_interval, nx_interval_drop)                        \
  X(nx_io, nx_io_drop)                                    \
  X(nx_local_send, nx_local_send_drop)                    \
  X(nx_mpsc_send, nx_mpsc_send_drop)                      \
  X(nx_spsc_send, nx_spsc_send_drop)                      \
  X(nx_cancel_wait, nx_cancel_wait_drop)                  \
  X(nx_shutdown_wait, nx_shutdown_wait_drop)              \
  X(nx_local_tx, nx_local_tx_close)                       \
  X(nx_local_rx, nx_local_rx_close)                       \
  X(nx_mpsc_tx, nx_mpsc_tx_close)                         \
  X(nx_mpsc_rx, nx_mpsc_rx_close)                         \
  X(nx_spsc_tx, nx_spsc_tx_close)                         \
  X(nx_spsc_rx, nx_spsc_rx_close)                         \
  X(nx_join, nx_join_detach)

static int polls, drops;

#define DEFINE_FUT(type, drop_fn)                                   \
  typedef struct { type f; } zf_##type;                             \
  static nx_poll zf_poll_##type(void *s, nx_cx *cx) {               \
    (void)s;                                                        \
    (void)cx;                                                       \
    polls++;                                                        \
    return NX_PENDING;                                              \
  }                                                                 \
  static void zf_drop_##type(void *s) {                             \
    drop_fn(&((zf_##type *)s)->f);                                  \
    drop_fn(&((zf_##type *)s)->f); /* idempotent */                 \
    drops++;                                                        \
  }
ZERO_FUTURES(DEFINE_FUT)

typedef struct {
  const char *name;
  nx_future_desc desc;
} zf_kind;

#define KIND(type, drop_fn) {#type, NX_FUTURE(zf_##type, zf_poll_##type, zf_drop_##type)},
static const zf_kind kinds[] = {ZERO_FUTURES(KIND)};
enum { NKINDS = sizeof kinds / sizeof kinds[0] };

int main(void) {
  nx_test_start();
  for (int k = 0; k < NKINDS; k++) {
    printf("%s\n", kinds[k].name);
    /* Cancelled before its first poll. */
    nx_executor *ex = svc_executor();
    nx_task_id id;
    NX_CHECK_OK(nx_spawn(ex, &kinds[k].desc, NULL, &id, NULL));
    NX_CHECK_OK(nx_cancel(ex, id));
    NX_CHECK_EQ(drops, 1);
    /* Dropped by shutdown before its first poll. */
    NX_CHECK_OK(nx_spawn(ex, &kinds[k].desc, NULL, NULL, NULL));
    NX_CHECK_OK(nx_executor_shutdown(ex));
    NX_CHECK_EQ(drops, 2);
    NX_CHECK_EQ(polls, 0);
    nx_executor_destroy(ex);
    drops = 0;
  }
  return 0;
}

/*
 * nxrt services: yield, timers, IO readiness, channels, cancellation tokens
 * and shutdown, built on the executor of nxrt.h.
 *
 * Conventions (as nxrt.h): every name is prefixed `nx_`; functions that can
 * fail return 0 (NX_OK) or a negative errno-style code; a poll function
 * returns NX_READY (1), NX_PENDING (0) or a negative code, so
 * `NX_AWAIT(s, rc = nx_..._poll(...))` ends on success AND on error: check rc.
 *
 * Futures are structs the caller embeds in its own task state (they must not
 * move while registered), with an init function, a poll function and a drop
 * function. The drop function unregisters the future and releases every
 * waker it holds; call it from the task's nx_drop_fn (it is idempotent, and
 * safe after the future completed or the executor shut down). A future that
 * is polled by a different task than before re-registers that task's waker.
 * Every *_poll function needs the cx of the poll running now: a cx kept
 * past its poll (used from a drop function, a callback, or top level) names
 * no task and is refused with NX_EINVAL.
 *
 * Threads: everything runs on the executor's thread unless marked "any
 * thread". Struct fields ending in `_` are private.
 *
 * Licensed under the MIT license (see LICENSE).
 */
#ifndef NXRT_SERVICES_H
#define NXRT_SERVICES_H

#include "nxrt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes: nxrt.h's table (NX_ERR_MAP) holds the services' too:
 * NX_EAGAIN (channel full or empty), NX_EPIPE (the other side closed),
 * NX_ETIMEDOUT (nx_timeout_poll: the deadline came first), and the
 * descriptor errors of nx_io_register. */

/* Releases what a channel value owns (called with a pointer to the value's
 * bytes inside the channel). May be NULL: values own nothing. */
typedef void (*nx_value_drop_fn)(void *value);

/* The clock every timer uses: CLOCK_MONOTONIC in nanoseconds. Any thread. */
int64_t nx_now_ns(void);

/* ------------------------------------------------------------------------ */
/* Yield                                                                    */
/* ------------------------------------------------------------------------ */

/* Returns NX_PENDING once (after waking its own task, so the other ready
 * tasks run first), then NX_READY. */
typedef struct nx_yield { int yielded_; } nx_yield;

/* NX_EINVAL: y NULL. */
int nx_yield_init(nx_yield *y);
/* NX_EINVAL: y or cx NULL. */
int nx_yield_poll(nx_yield *y, nx_cx *cx);

/* ------------------------------------------------------------------------ */
/* Timers                                                                   */
/* ------------------------------------------------------------------------ */
/*
 * A timer never fires early: a sleep completes only at a poll where
 * nx_now_ns() >= its deadline (a wake before that re-registers it). In
 * NX_RUN_PARKED the idle executor sleeps until the earliest deadline; in
 * NX_RUN_BUSY each cycle checks the earliest deadline against the clock (no
 * other syscall). Dropping a sleep unregisters it and releases its waker at
 * once. Durations and deadlines are nanoseconds; deadlines are absolute
 * nx_now_ns() values.
 */

typedef struct nx_timer_entry {      /* private: a registration in the timer heap */
  int64_t deadline_ns;
  uint64_t seq;                      /* tie-break: equal deadlines fire in order */
  uint32_t heap_index;               /* meaningful while registered */
  nx_waker waker;
  struct nx_timer_service *svc;      /* non-NULL exactly while registered, so a
                                        zero-filled entry reads as empty */
} nx_timer_entry;

typedef struct nx_sleep {
  nx_executor *ex_;
  nx_timer_entry entry_;
} nx_sleep;

/* A sleep of `duration_ns` from now (0: ready at the first poll).
 * NX_EINVAL: s or ex NULL, duration negative. NX_ESHUTDOWN: ex shut down. */
int nx_sleep_init(nx_sleep *s, nx_executor *ex, int64_t duration_ns);
/* A sleep until `deadline_ns` (a past deadline is ready at the first poll).
 * NX_EINVAL: s or ex NULL. NX_ESHUTDOWN. */
int nx_sleep_init_until(nx_sleep *s, nx_executor *ex, int64_t deadline_ns);
/* NX_READY once the deadline passed, else NX_PENDING (registered).
 * NX_EINVAL: NULL arguments, an uninitialized sleep, or cx of another
 * executor. NX_ENOMEM: the timer heap could not grow. NX_ESHUTDOWN. */
int nx_sleep_poll(nx_sleep *s, nx_cx *cx);
/* Moves the deadline (the sleep stays usable: a READY sleep can be re-armed;
 * a registered one is re-sorted, on the executor's thread).
 * NX_EINVAL: s NULL or uninitialized. */
int nx_sleep_reset(nx_sleep *s, int64_t deadline_ns);
/* The deadline (0 for NULL). */
int64_t nx_sleep_deadline(const nx_sleep *s);
/* Unregisters and releases the waker (executor's thread, or any time after
 * the executor shut down). Idempotent; NULL is a no-op, and so is a
 * zero-filled sleep (task state spawned with init NULL, never polled). */
void nx_sleep_drop(nx_sleep *s);

/* A deadline around another future. The caller polls the inner future and
 * hands its result in; the inner future is polled first, so a result that is
 * ready wins over an expired deadline:
 *
 *   NX_AWAIT(s, s->rc = nx_timeout_poll(&s->to, cx, nx_mpsc_recv_poll(&s->rx, cx, &s->v)));
 *   if (s->rc == NX_ETIMEDOUT) ...   // the caller still owns and drops the inner future
 */
typedef struct nx_timeout { nx_sleep sleep_; } nx_timeout;

/* NX_EINVAL / NX_ESHUTDOWN as nx_sleep_init. */
int nx_timeout_init(nx_timeout *t, nx_executor *ex, int64_t duration_ns);
int nx_timeout_init_until(nx_timeout *t, nx_executor *ex, int64_t deadline_ns);
/* `inner` != NX_PENDING: returns it (and unregisters the deadline).
 * Otherwise NX_ETIMEDOUT once the deadline passed, else NX_PENDING.
 * Errors as nx_sleep_poll. */
int nx_timeout_poll(nx_timeout *t, nx_cx *cx, int inner);
/* As nx_sleep_drop (the inner future is the caller's to drop). */
void nx_timeout_drop(nx_timeout *t);

/* What an interval does when ticks were missed: when a tick is reported
 * after the time of the tick that follows it has already passed (the task
 * was busy, or the executor did not run, for more than one period). */
typedef enum nx_missed_tick {
  NX_TICK_BURST = 0, /* report every missed tick, back to back, to catch up (default) */
  NX_TICK_SKIP = 1,  /* drop the missed ticks; the next one is the next point of the
                        start + k*period grid after now */
  NX_TICK_DELAY = 2  /* the next tick is one period after now */
} nx_missed_tick;

typedef struct nx_interval {
  nx_executor *ex_;
  int64_t start_ns_, period_ns_;
  nx_missed_tick missed_;
  nx_timer_entry entry_;             /* deadline_ns is the next tick */
} nx_interval;

/* First tick one period from now. NX_EINVAL: iv or ex NULL, period <= 0.
 * NX_ESHUTDOWN. */
int nx_interval_init(nx_interval *iv, nx_executor *ex, int64_t period_ns);
/* First tick at `start_ns`. Errors as nx_interval_init. */
int nx_interval_init_at(nx_interval *iv, nx_executor *ex, int64_t start_ns, int64_t period_ns);
/* NX_EINVAL: iv NULL or uninitialized, unknown policy. */
int nx_interval_set_missed_tick(nx_interval *iv, nx_missed_tick policy);
/* NX_READY once per tick (never before the tick's time), else NX_PENDING.
 * Errors as nx_sleep_poll. */
int nx_interval_tick_poll(nx_interval *iv, nx_cx *cx);
/* Restarts the schedule: next tick one period from now. NX_EINVAL. */
int nx_interval_reset(nx_interval *iv);
/* The time of the next tick (0 for NULL). */
int64_t nx_interval_next_ns(const nx_interval *iv);
/* As nx_sleep_drop. */
void nx_interval_drop(nx_interval *iv);

/* ------------------------------------------------------------------------ */
/* IO readiness                                                             */
/* ------------------------------------------------------------------------ */
/*
 * Edge-triggered epoll on the executor's own epoll set, with one waker for
 * the read side and one for the write side, so a reader task and a writer
 * task on the same descriptor never steal each other's wake. The executor
 * polls the set every few cycles without blocking while anything is
 * registered, and blocks in it when parked.
 *
 * Readiness is remembered per side: an event sets it, and the caller clears
 * it when the descriptor says EAGAIN (nx_io_read_poll / nx_io_write_poll do
 * that themselves). Hang-up and error count as both readable and writable,
 * so the next read/write reports them.
 *
 * WHO CLOSES THE DESCRIPTOR: the caller, always, and only AFTER
 * nx_io_deregister() (or nx_io_drop()). nxrt never closes it. Closing first
 * is a bug: if the descriptor was dup()ed or inherited, the kernel keeps the
 * epoll registration alive and could report events for an nx_io that no
 * longer exists. The descriptor should be non-blocking (O_NONBLOCK).
 */
enum { NX_IO_READ = 1, NX_IO_WRITE = 2 };

struct nx_epoll_source;
typedef struct nx_io {
  /* private; must stay the first member (the epoll data pointer) */
  void (*ready_)(struct nx_epoll_source *src, uint32_t events);
  nx_executor *ex_;
  int fd_;
  unsigned interest_, readiness_;
  nx_waker reader_, writer_;
  struct nx_io_service *svc_;        /* non-NULL while registered */
  struct nx_io *prev_, *next_;
} nx_io;

/* Adds `fd` to the executor's epoll set for `interest` (NX_IO_READ and/or
 * NX_IO_WRITE), edge-triggered. `io` must be zero-filled (e.g. `nx_io io =
 * {0}`, or inside task state spawned zeroed) or deregistered, and must not
 * move until deregistered. Readiness starts set on both sides: the first
 * nx_io_poll_* is READY, so the IO is simply tried first.
 * NX_EINVAL: NULL io/ex, fd < 0, interest 0 or unknown bits, io already
 * registered. NX_ESHUTDOWN. NX_EWRONGTHREAD: not the executor's thread.
 * NX_ENOTPOLLABLE: epoll refuses the descriptor (a regular file or a
 * directory). NX_EEXIST: this descriptor is already registered on this
 * executor (one nx_io per descriptor; share it between a reader task and a
 * writer task). NX_EBADF. NX_ENOSPC: the kernel's epoll watch limit
 * (fs.epoll.max_user_watches). NX_ENOMEM. On error nothing is registered. */
int nx_io_register(nx_io *io, nx_executor *ex, int fd, unsigned interest);
/* NX_READY if the read side is ready (data, EOF, error), else NX_PENDING
 * with the task's waker stored as the reader. NX_EINVAL: NULL, not
 * registered, or no NX_IO_READ interest; cx of another executor. */
int nx_io_poll_readable(nx_io *io, nx_cx *cx);
/* Same for the write side (NX_IO_WRITE interest). */
int nx_io_poll_writable(nx_io *io, nx_cx *cx);
/* Forget the readiness after the descriptor returned EAGAIN. NULL: no-op. */
void nx_io_clear_readable(nx_io *io);
void nx_io_clear_writable(nx_io *io);
/* read(2) once readable: NX_READY with *n_out bytes (0 = end of file),
 * NX_PENDING on EAGAIN (readiness cleared, reader registered), or the
 * negative errno of read(). NX_EINVAL as nx_io_poll_readable, or buf/n_out
 * NULL. */
int nx_io_read_poll(nx_io *io, nx_cx *cx, void *buf, size_t len, size_t *n_out);
/* Writes once writable; as nx_io_read_poll. On a socket this is
 * send(MSG_NOSIGNAL): a peer that closed gives NX_EPIPE (or NX_ECONNRESET),
 * never SIGPIPE. On a pipe or other descriptor it is write(2), and a closed
 * read end raises SIGPIPE as for any write: a program writing to pipes
 * ignores SIGPIPE (signal(SIGPIPE, SIG_IGN) at startup) to get NX_EPIPE
 * instead; nxrt never changes signal dispositions itself. */
int nx_io_write_poll(nx_io *io, nx_cx *cx, const void *buf, size_t len, size_t *n_out);
/* The registered descriptor (-1 if not registered). */
int nx_io_fd(const nx_io *io);
/* Removes the descriptor from the epoll set and releases both wakers; `io`
 * is then unregistered (and may be registered again). The descriptor stays
 * open. Returns NX_OK, NX_EINVAL (NULL or not registered), NX_EWRONGTHREAD (wrong
 * thread: nothing changed), or the negative errno of epoll_ctl (e.g. -EBADF
 * when the descriptor was closed first; `io` is unregistered anyway). */
int nx_io_deregister(nx_io *io);
/* nx_io_deregister ignoring its result; for drop functions. NULL: no-op. */
void nx_io_drop(nx_io *io);
/* Wakes the task waiting on each side in `sides` and releases its waker
 * (before closing a descriptor other tasks wait on: they are polled again
 * and find it closed). Executor's thread. NULL or unregistered: no-op. */
void nx_io_wake(nx_io *io, unsigned sides);
/* Releases the waker stored for each side in `sides` if it wakes the same
 * task as `w` (a future of that task stopped waiting there: it was dropped),
 * so a finished task's storage is not kept by the registration. Executor's
 * thread. NULL, empty w, or unregistered: no-op. */
void nx_io_forget_waker(nx_io *io, unsigned sides, const nx_waker *w);

/* ------------------------------------------------------------------------ */
/* Channels                                                                 */
/* ------------------------------------------------------------------------ */
/*
 * Bounded queues of fixed-size values (`elem_size` bytes, copied in and
 * out). A successful send moves the value into the channel; a failed one
 * (full, closed) leaves it with the caller. Values still queued when the
 * receiver closes, or when the last handle goes, are dropped exactly once
 * with the channel's nx_value_drop_fn.
 *
 * Closing: when the receiver closes, sends fail with NX_EPIPE and waiting
 * senders are woken to see it. When the last sender closes, the receiver
 * gets the values still queued and then NX_EPIPE. The channel's memory is
 * freed when every handle is closed. Handles are small structs holding the
 * channel pointer; closing one empties it, and an empty handle is NX_EINVAL
 * (or a no-op for close). A send future must be dropped before its sender
 * handle is closed. A receive poll stores the receiving task's waker in the
 * channel until the next receive poll or the receiver's close: the task that
 * owns a receiver closes it in its drop function.
 */

/* --- local: one thread (the executor's), bounded, senders wait when full --- */
typedef struct nx_local_chan nx_local_chan;
typedef struct nx_local_tx { nx_local_chan *ch_; } nx_local_tx;
typedef struct nx_local_rx { nx_local_chan *ch_; } nx_local_rx;

/* Room for `capacity` (>= 1) values of `elem_size` bytes each (0 is
 * allowed: then only counts travel). NX_EINVAL: tx/rx NULL, capacity 0 or
 * too big (capacity * elem_size overflows). NX_ENOMEM. */
int nx_local_chan_create(size_t capacity, size_t elem_size, nx_value_drop_fn drop,
                         nx_local_tx *tx, nx_local_rx *rx);
/* Another sender. NX_EINVAL: NULL or empty handle. */
int nx_local_tx_clone(const nx_local_tx *tx, nx_local_tx *out);
/* The last sender's close wakes the receiver. NULL/empty: no-op. */
void nx_local_tx_close(nx_local_tx *tx);
/* Drops the queued values now and wakes every waiting sender. NULL/empty:
 * no-op. */
void nx_local_rx_close(nx_local_rx *rx);
/* NX_OK (moved in), NX_EAGAIN (full), NX_EPIPE (receiver closed).
 * NX_EINVAL: NULL/empty handle, value NULL with elem_size > 0. */
int nx_local_try_send(const nx_local_tx *tx, const void *value);
/* NX_OK (copied to out), NX_EAGAIN (empty), NX_EPIPE (empty and every
 * sender closed). NX_EINVAL: NULL/empty handle, out NULL with elem_size > 0. */
int nx_local_try_recv(const nx_local_rx *rx, void *out);
/* NX_READY (a value in out), NX_PENDING (the receiver's waker stored), or
 * the errors of nx_local_try_recv except NX_EAGAIN. */
int nx_local_recv_poll(const nx_local_rx *rx, nx_cx *cx, void *out);
/* Values queued now (0 for NULL/empty). */
size_t nx_local_len(const nx_local_rx *rx);

/* A send that waits for room (FIFO among waiting senders). `value` must
 * stay valid and unchanged until the future is READY or dropped. */
typedef struct nx_local_send {
  nx_local_chan *ch_;
  const void *value_;
  nx_waker waker_;
  struct nx_local_send *prev_, *next_;
  int state_;
} nx_local_send;
/* NX_EINVAL: s NULL, NULL/empty tx, value NULL with elem_size > 0. */
int nx_local_send_init(nx_local_send *s, const nx_local_tx *tx, const void *value);
/* NX_READY (moved in), NX_PENDING (waiting for room), NX_EPIPE (receiver
 * closed: the value is still the caller's). NX_EINVAL: NULL, not initialized. */
int nx_local_send_poll(nx_local_send *s, nx_cx *cx);
/* Leaves the wait list; if room was promised to this sender, passes the
 * wake on to the next waiting one. NULL: no-op. */
void nx_local_send_drop(nx_local_send *s);

/* --- mpsc: senders on any threads, the receiver a task on one executor --- */
typedef struct nx_mpsc nx_mpsc;
typedef struct nx_mpsc_tx { nx_mpsc *ch_; } nx_mpsc_tx;
typedef struct nx_mpsc_rx { nx_mpsc *ch_; } nx_mpsc_rx;

/* capacity is rounded up to a power of two. NX_EINVAL: tx/rx NULL, capacity
 * 0 or > 2^30, elem_size > 65536. NX_ENOMEM. Any thread. */
int nx_mpsc_create(size_t capacity, size_t elem_size, nx_value_drop_fn drop, nx_mpsc_tx *tx,
                   nx_mpsc_rx *rx);
/* Any thread. NX_EINVAL: NULL/empty handle. */
int nx_mpsc_tx_clone(const nx_mpsc_tx *tx, nx_mpsc_tx *out);
/* Any thread. NULL/empty: no-op. */
void nx_mpsc_tx_close(nx_mpsc_tx *tx);
/* Any thread (the receiver's). NULL/empty: no-op. */
void nx_mpsc_rx_close(nx_mpsc_rx *rx);
/* Any thread, lock-free. NX_OK, NX_EAGAIN (full), NX_EPIPE (receiver
 * closed). NX_EINVAL: NULL/empty handle, value NULL with elem_size > 0. */
int nx_mpsc_try_send(const nx_mpsc_tx *tx, const void *value);
/* The receiver's thread. NX_OK, NX_EAGAIN, NX_EPIPE (empty, senders gone).
 * NX_EINVAL as nx_local_try_recv. */
int nx_mpsc_try_recv(const nx_mpsc_rx *rx, void *out);
/* The receiver's task. NX_READY, NX_PENDING, NX_EPIPE, NX_EINVAL. */
int nx_mpsc_recv_poll(const nx_mpsc_rx *rx, nx_cx *cx, void *out);

/* A send that waits for room; polled by a task on ANY executor (FIFO among
 * waiting senders). `value` must stay valid until READY or dropped. */
typedef struct nx_mpsc_send {
  int owner_;                        /* the polling task's view; no lock */
  nx_mpsc *ch_;
  const void *value_;
  nx_waker waker_;                   /* under the channel's lock while queued */
  struct nx_mpsc_send *prev_, *next_;
  int state_;                        /* under the channel's lock */
} nx_mpsc_send;
/* NX_EINVAL as nx_mpsc_try_send. */
int nx_mpsc_send_init(nx_mpsc_send *s, const nx_mpsc_tx *tx, const void *value);
/* NX_READY, NX_PENDING, NX_EPIPE, NX_EINVAL (as nx_local_send_poll). */
int nx_mpsc_send_poll(nx_mpsc_send *s, nx_cx *cx);
/* As nx_local_send_drop. NULL: no-op. */
void nx_mpsc_send_drop(nx_mpsc_send *s);

/* --- spsc: one sender on any thread, the receiver a task on one executor --- */
typedef struct nx_spsc nx_spsc;
typedef struct nx_spsc_tx { nx_spsc *ch_; } nx_spsc_tx;
typedef struct nx_spsc_rx { nx_spsc *ch_; } nx_spsc_rx;

/* As nx_mpsc_create (there is no tx clone: one sender). */
int nx_spsc_create(size_t capacity, size_t elem_size, nx_value_drop_fn drop, nx_spsc_tx *tx,
                   nx_spsc_rx *rx);
/* The sender's thread. NULL/empty: no-op. */
void nx_spsc_tx_close(nx_spsc_tx *tx);
/* The receiver's thread. NULL/empty: no-op. */
void nx_spsc_rx_close(nx_spsc_rx *rx);
/* The sender's thread, wait-free. As nx_mpsc_try_send. */
int nx_spsc_try_send(const nx_spsc_tx *tx, const void *value);
/* The receiver's thread. As nx_mpsc_try_recv. */
int nx_spsc_try_recv(const nx_spsc_rx *rx, void *out);
/* The receiver's task. As nx_mpsc_recv_poll. */
int nx_spsc_recv_poll(const nx_spsc_rx *rx, nx_cx *cx, void *out);

/* A send that waits for room; polled by a task on any executor. */
typedef struct nx_spsc_send {
  nx_spsc *ch_;
  const void *value_;
  int registered_, done_;
} nx_spsc_send;
int nx_spsc_send_init(nx_spsc_send *s, const nx_spsc_tx *tx, const void *value);
/* NX_READY, NX_PENDING, NX_EPIPE, NX_EINVAL. */
int nx_spsc_send_poll(nx_spsc_send *s, nx_cx *cx);
/* Releases the sender's stored waker. NULL: no-op. */
void nx_spsc_send_drop(nx_spsc_send *s);

/* ------------------------------------------------------------------------ */
/* Cancellation tokens                                                      */
/* ------------------------------------------------------------------------ */
/*
 * A reference-counted flag that goes from "not cancelled" to "cancelled"
 * once. Every function here may be called from ANY thread. Cancelling wakes
 * every task awaiting it (on whatever executor) and cancels every child
 * token; cancelling a child does not reach its parent; a child made from a
 * cancelled parent is born cancelled.
 */
typedef struct nx_cancel_token nx_cancel_token;

/* One reference. NX_EINVAL: out NULL. NX_ENOMEM. */
int nx_cancel_token_create(nx_cancel_token **out);
/* A child (one reference to it) that the parent's cancel reaches.
 * NX_EINVAL: NULL arguments. NX_ENOMEM. */
int nx_cancel_token_child(nx_cancel_token *parent, nx_cancel_token **out);
/* One more reference. NX_EINVAL: tok NULL. */
int nx_cancel_token_retain(nx_cancel_token *tok);
/* Gives one reference back; the last frees the token. NULL: no-op. */
void nx_cancel_token_release(nx_cancel_token *tok);
/* Idempotent. When it returns, the token and every descendant that existed
 * are cancelled (one made later is born cancelled) and their waiting futures
 * woken. NULL: no-op. */
void nx_cancel_token_cancel(nx_cancel_token *tok);
/* 1 once cancelled, else 0 (0 for NULL). */
int nx_cancel_token_is_cancelled(const nx_cancel_token *tok);

/* A future that completes when the token is cancelled. It holds a reference
 * to the token until dropped; dropping it removes its registration. */
typedef struct nx_cancel_wait {
  nx_cancel_token *tok_;
  nx_waker waker_;
  struct nx_cancel_wait *prev_, *next_;
  int linked_;
} nx_cancel_wait;
/* NX_EINVAL: w or tok NULL. */
int nx_cancel_wait_init(nx_cancel_wait *w, nx_cancel_token *tok);
/* NX_READY once cancelled, else NX_PENDING. NX_EINVAL: NULL or not
 * initialized (or already dropped). */
int nx_cancel_wait_poll(nx_cancel_wait *w, nx_cx *cx);
/* Unregisters, releases the waker and the token reference. NULL: no-op. */
void nx_cancel_wait_drop(nx_cancel_wait *w);

/* ------------------------------------------------------------------------ */
/* Shutdown                                                                 */
/* ------------------------------------------------------------------------ */
/*
 * An executor's shutdown request: a one-way flag that any thread (or, opted
 * in, SIGINT/SIGTERM) can set, and a future any task can await. Triggering
 * it only tells the tasks; they finish on their own, and nx_run() returns
 * when none is left (nx_executor_shutdown() is the hard stop).
 */
typedef struct nx_shutdown nx_shutdown;

/* The executor's shutdown handle (one reference; created on first use).
 * NX_EINVAL: NULL arguments. NX_EWRONGTHREAD: wrong thread. NX_ESHUTDOWN. NX_ENOMEM. */
int nx_shutdown_handle(nx_executor *ex, nx_shutdown **out);
/* Any thread. NX_EINVAL: h NULL. */
int nx_shutdown_retain(nx_shutdown *h);
/* Any thread. NULL: no-op. */
void nx_shutdown_release(nx_shutdown *h);
/* Any thread; idempotent. NULL: no-op. */
void nx_shutdown_trigger(nx_shutdown *h);
/* 1 once triggered (0 for NULL). Any thread. */
int nx_shutdown_is_triggered(const nx_shutdown *h);

/* Opt-in: SIGINT and SIGTERM trigger this executor's shutdown (instead of
 * killing the process). The handler only writes to an eventfd in the
 * executor's epoll set (async-signal-safe); the trigger happens on the
 * executor's thread. One executor per process at a time; the previous
 * handlers come back at nx_shutdown_signals_remove() or executor shutdown.
 * NX_EINVAL: ex NULL. NX_EWRONGTHREAD. NX_ESHUTDOWN. NX_EBUSY: some executor
 * already installed them. Other: negative errno (eventfd, epoll, sigaction). */
int nx_shutdown_signals_install(nx_executor *ex);
/* NX_EINVAL: ex NULL, or this executor has not installed them. NX_EWRONGTHREAD. */
int nx_shutdown_signals_remove(nx_executor *ex);

/* A future that completes when shutdown is triggered. */
typedef struct nx_shutdown_wait { nx_cancel_wait wait_; } nx_shutdown_wait;
/* NX_EINVAL: w or h NULL. */
int nx_shutdown_wait_init(nx_shutdown_wait *w, nx_shutdown *h);
/* NX_READY once triggered, else NX_PENDING. NX_EINVAL. */
int nx_shutdown_wait_poll(nx_shutdown_wait *w, nx_cx *cx);
/* NULL: no-op. */
void nx_shutdown_wait_drop(nx_shutdown_wait *w);

#ifdef __cplusplus
}
#endif
#endif /* NXRT_SERVICES_H */

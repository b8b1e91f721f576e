/*
 * nxrt — a single-threaded async executor with pre-allocated task storage.
 *
 * One public header. Every function is prefixed `nx_`, every type `nx_`.
 * Functions that can fail return an int: 0 (NX_OK) or a positive count on
 * success, a negative errno-style code (NX_E*) on failure. Misuse a caller can
 * cause (bad config, null pointers, slab full, a dead executor) is always an
 * error code, never an abort. Use nx_strerror() to turn a code into text.
 *
 * Threading: an executor belongs to the thread that created it. Everything
 * here must be called on that thread, EXCEPT the functions marked
 * "any thread": waker clone/wake/drop and nx_executor_unpark(). Wakers woken on
 * another thread travel through a lock-free inbox (see runtime/src/inbox.h).
 *
 * Which error wins. When several apply, a function returns the first of:
 *   1. NX_EINVAL: a NULL executor, or arguments wrong whatever the state
 *      (NULL or malformed desc, unknown flags or run mode);
 *   2. NX_ESHUTDOWN: the executor is shut down, or nx_executor_shutdown is
 *      dropping its futures right now (from any thread: a dead executor
 *      answers the same everywhere); nx_executor_shutdown itself answers
 *      NX_OK here (it is idempotent, from any thread);
 *   3. NX_EWRONGTHREAD: not the executor's thread;
 *   4. NX_EBUSY: re-entry from a callback (below);
 *   5. the function's own errors (NX_EALIGN, NX_ESTALE, NX_EALREADY,
 *      NX_E2BIG, NX_ENOMEM, NX_ESLABFULL, ...).
 * So a cancel from a drop function during shutdown is NX_ESHUTDOWN, a spawn
 * from another thread after shutdown is NX_ESHUTDOWN, and a cancel of a
 * stale id from another thread is NX_EWRONGTHREAD.
 *
 * Callbacks and re-entrancy. nxrt calls your code from these contexts, on
 * the executor's thread:
 *   - a poll function;
 *   - a drop function: run by the run loop after a poll, by nx_cancel, or
 *     by nx_executor_shutdown;
 *   - whatever a waker woken or dropped inside those sets off: the last
 *     reference to a completed task frees its storage (the allocator's free
 *     runs there);
 *   - an allocator's free, wherever nxrt frees a task: in the run loop, in
 *     nx_cancel, in a waker drop or join handle release you make at top
 *     level, in nx_reserve_abort, at shutdown;
 *   - a service hook: timers firing and IO events dispatched by the run loop
 *     wake and drop wakers (and so may free, as above);
 *   - an allocator's alloc, called by nx_spawn and nx_reserve (and so by
 *     nx_block_on): the calling spawn already holds the id-table entry and
 *     ready-ring room of its task, so spawns and reservations made inside
 *     the alloc take (or grow) other room, and the calling spawn then
 *     completes as documented (nx_executor_allocated_tasks does not count
 *     it until then).
 * From every one of them:
 *   - nx_run_once, nx_run and nx_block_on return NX_EBUSY (NX_ESHUTDOWN
 *     during shutdown), nx_executor_shutdown returns NX_EBUSY, and
 *     nx_executor_destroy does nothing: the run loop is never re-entered;
 *   - everything else works as documented: spawn and reserve (the new task
 *     runs in a later cycle), cancel (of the task whose drop function is
 *     running: NX_EALREADY; of the task being polled: it is dropped right
 *     after its poll), wakers, join handles, queries, services, channels,
 *     other executors. The cx functions need the poll's own cx.
 * An allocator's free must tolerate being re-entered by its own alloc (a
 * spawn from inside it), and an alloc that spawns or reserves with the same
 * allocator must tolerate being re-entered by itself, or not call nxrt. In shutdown's last step,
 * and after shutdown when the last waker of an orphaned task is dropped (on
 * whatever thread), the free runs under the executor's lock: there
 * nx_executor_destroy does nothing, nx_executor_shutdown, _allocated_tasks
 * and _held_tasks answer without taking the lock, and the free must not
 * drop or wake wakers or release join handles of that executor. A
 * channel value's drop function (nxrt_services.h) runs inside the channel
 * call that drops the value, with that call's rules. tests/unit/
 * test_reentrancy_matrix.c calls every public function from each context.
 *
 * Licensed under the MIT license (see LICENSE).
 */
#ifndef NXRT_H
#define NXRT_H

#include <stddef.h>
#include <stdint.h>
#include <errno.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NXRT_VERSION_MAJOR 0
#define NXRT_VERSION_MINOR 1
#define NXRT_VERSION_PATCH 0

/* ------------------------------------------------------------------------ */
/* Status codes                                                             */
/* ------------------------------------------------------------------------ */
/*
 * One table generates the codes, their names (nx_err_name) and their texts
 * (nx_strerror): NX_ERR_MAP below, X(NAME, value, text). Every code nxrt or
 * its services return is in it, and no two codes are equal.
 *
 * A code named after an errno IS that errno negated (NX_EPIPE == -EPIPE), so
 * a negative errno from a system call passes through unchanged and prints
 * with its name; the table also names the socket errors a networking layer
 * on top of nxrt returns as -errno. Conditions that have no errno of their
 * own get codes below -4095 (outside the errno range): NX_ESLABFULL,
 * NX_EALIGN, NX_EWRONGTHREAD, NX_ENOTPOLLABLE.
 *
 * Codes and poll results are different things that share the value 0: a
 * function returning a status gives NX_OK (0) or a positive count on
 * success; a poll function gives NX_PENDING (0), NX_READY (1) or a negative
 * code. nx_err_name names statuses (0 is "NX_OK"); nx_poll_name names poll
 * results (0 is "NX_PENDING").
 */
#define NX_ERR_MAP(X)                                                                      \
  /* nxrt's own conditions */                                                              \
  X(EINVAL, -EINVAL, "invalid argument (null pointer, bad config field or flags)")         \
  X(ENOMEM, -ENOMEM, "out of memory: an allocator returned NULL")                          \
  X(ESLABFULL, -4096 - 1, "bounded slab is full: nothing was spawned")                     \
  X(E2BIG, -E2BIG, "future (plus output) does not fit a slab slot")                        \
  X(EALIGN, -4096 - 2, "alignment is not a power of two, or is larger than 64")            \
  X(ESTALE, -ESTALE, "task id is stale: that task no longer exists")                       \
  X(EALREADY, -EALREADY, "already done: the task already completed")                       \
  X(ECANCELED, -ECANCELED, "cancelled: the task was cancelled or dropped at shutdown")     \
  X(ESHUTDOWN, -ESHUTDOWN, "the executor was shut down")                                   \
  X(EOVERFLOW, -EOVERFLOW, "value too large: a counter would overflow")                    \
  X(EWRONGTHREAD, -4096 - 3, "called from a thread that does not own the executor")        \
  X(EBUSY, -EBUSY, "busy: not allowed from inside a poll, drop function or callback")      \
  /* services and descriptors */                                                           \
  X(EAGAIN, -EAGAIN, "would block: try again (channel full or empty, socket not ready)")   \
  X(EPIPE, -EPIPE, "the other side is closed (channel or socket: broken pipe)")            \
  X(ETIMEDOUT, -ETIMEDOUT, "timed out: the deadline passed first")                         \
  X(ENOTPOLLABLE, -4096 - 4, "the descriptor cannot be polled (a regular file or directory)") \
  X(EEXIST, -EEXIST, "already registered: one nx_io per descriptor per executor")          \
  X(EBADF, -EBADF, "bad file descriptor (closed, or never opened)")                        \
  X(ENOSPC, -ENOSPC, "a kernel limit was reached (e.g. epoll watches: max_user_watches)")  \
  X(EPERM, -EPERM, "operation not permitted (by the system)")                              \
  X(EACCES, -EACCES, "permission denied")                                                  \
  X(EINTR, -EINTR, "interrupted by a signal")                                              \
  X(EIO, -EIO, "input/output error")                                                       \
  X(EMFILE, -EMFILE, "too many open files in this process")                                \
  X(ENFILE, -ENFILE, "too many open files in the system")                                  \
  X(ENOENT, -ENOENT, "no such file, directory or host")                                    \
  X(ENOSYS, -ENOSYS, "function not implemented by this kernel")                            \
  X(EFAULT, -EFAULT, "bad address")                                                        \
  /* sockets */                                                                            \
  X(ECONNREFUSED, -ECONNREFUSED, "connection refused")                                     \
  X(ECONNRESET, -ECONNRESET, "connection reset by peer")                                   \
  X(ECONNABORTED, -ECONNABORTED, "connection aborted")                                     \
  X(EADDRINUSE, -EADDRINUSE, "address already in use")                                     \
  X(EADDRNOTAVAIL, -EADDRNOTAVAIL, "address not available")                                \
  X(ENOTCONN, -ENOTCONN, "socket is not connected")                                        \
  X(EISCONN, -EISCONN, "socket is already connected")                                      \
  X(EINPROGRESS, -EINPROGRESS, "operation in progress (non-blocking connect)")             \
  X(ENETUNREACH, -ENETUNREACH, "network is unreachable")                                   \
  X(ENETDOWN, -ENETDOWN, "network is down")                                                \
  X(EHOSTUNREACH, -EHOSTUNREACH, "host is unreachable")                                    \
  X(EHOSTDOWN, -EHOSTDOWN, "host is down")                                                 \
  X(EMSGSIZE, -EMSGSIZE, "message too long")                                               \
  X(EAFNOSUPPORT, -EAFNOSUPPORT, "address family not supported")                           \
  X(EPROTONOSUPPORT, -EPROTONOSUPPORT, "protocol not supported")                           \
  X(EPROTOTYPE, -EPROTOTYPE, "protocol wrong type for socket")                             \
  X(ENOPROTOOPT, -ENOPROTOOPT, "protocol option not available")                            \
  X(EOPNOTSUPP, -EOPNOTSUPP, "operation not supported")                                    \
  X(ENOTSOCK, -ENOTSOCK, "not a socket")                                                   \
  X(EDESTADDRREQ, -EDESTADDRREQ, "destination address required")                           \
  X(ENOBUFS, -ENOBUFS, "no buffer space available")

enum {
  NX_OK = 0,
#define NX_ERR_ENUM_(name, value, text) NX_##name = (value),
  NX_ERR_MAP(NX_ERR_ENUM_)
#undef NX_ERR_ENUM_
};

/* Poll results (a poll function returns one of these). */
typedef enum nx_poll { NX_PENDING = 0, NX_READY = 1 } nx_poll;

/* Short human text for a status code (never NULL; "success" for NX_OK,
 * "unknown error" for a code the table does not name). */
const char *nx_strerror(int code);
/* The symbolic name of a status code, e.g. "NX_ESLABFULL"; "NX_OK" for 0,
 * "NX_UNKNOWN" for a code the table does not name (positive counts too). */
const char *nx_err_name(int code);
/* The name of a poll result: "NX_READY" (1), "NX_PENDING" (0), or the
 * nx_err_name of a negative code; "NX_UNKNOWN" for anything else. */
const char *nx_poll_name(int result);
/* Library version string, "MAJOR.MINOR.PATCH". */
const char *nx_version(void);

/* ------------------------------------------------------------------------ */
/* Opaque types                                                             */
/* ------------------------------------------------------------------------ */

typedef struct nx_executor nx_executor;
typedef struct nx_task nx_task;    /* layout: runtime/src/task.h */
typedef struct nx_slab nx_slab;
typedef struct nx_cx nx_cx;        /* poll context: valid only during a poll */

/* ------------------------------------------------------------------------ */
/* Allocators: the backend interface (allocators/README.md)                 */
/* ------------------------------------------------------------------------ */

/* A task allocator. `alloc` returns storage of at least `size` bytes aligned
 * to `align` (a power of two, 8..64), or NULL. Both are callbacks (see
 * "Callbacks and re-entrancy"): from inside them spawns work, and the run
 * loop, nx_executor_shutdown and nx_executor_destroy refuse (NX_EBUSY /
 * nothing). `free` receives the same size
 * and alignment that were allocated (sized free). `ctx` is passed to both.
 * `version` reports the version of the library actually linked in the running
 * process (so a mislinked binary cannot pose as another backend); may be NULL.
 * `thread_safe_free` is informational: nxrt only ever frees a task on the
 * executor's thread, or — after shutdown — on the thread that drops the last
 * waker, with no other thread touching the allocator at that time.
 * One allocator (one table and its ctx) is shared by every executor that
 * spawns with it: when those executors run on different threads, `alloc`
 * and `free` are called concurrently and must be safe for that (glibc,
 * jemalloc, mimalloc and tcmalloc are; the slab_classes backend and the bump
 * example keep one unlocked state per process and are not: give them
 * executors of one thread only). */
typedef struct nx_allocator {
  const char *name;
  void *(*alloc)(void *ctx, size_t size, size_t align);
  void (*free)(void *ctx, void *ptr, size_t size, size_t align);
  const char *(*version)(void *ctx);
  void *ctx;
} nx_allocator;

/* The glibc malloc backend (always built into libnxrt). */
const nx_allocator *nx_allocator_malloc(void);

/* ------------------------------------------------------------------------ */
/* Slab: fixed-size slots, intrusive LIFO freelist, O(1) alloc and free.    */
/* ------------------------------------------------------------------------ */

typedef enum nx_slab_mode {
  NX_SLAB_BOUNDED = 0,   /* one array; alloc fails cleanly (NX_ESLABFULL) when full */
  NX_SLAB_UNBOUNDED = 1  /* grows by chunks; never full (NX_ENOMEM if the OS says no) */
} nx_slab_mode;

typedef struct nx_slab_config {
  size_t slot_size;      /* bytes per slot; rounded up to a multiple of 64. Default 256 */
  size_t capacity;       /* bounded: slots in the array; unbounded: slots per chunk.
                            Default 1024 */
  nx_slab_mode mode;
} nx_slab_config;

/* Fills `cfg` with the defaults above. NX_EINVAL if cfg is NULL. */
int nx_slab_config_init(nx_slab_config *cfg);
/* Creates a slab. Bounded slabs pre-allocate every slot now (and fault the
 * pages in), so later allocations never reach the system allocator.
 * NX_EINVAL: null out/cfg, slot_size 0 or > 1 MiB, capacity 0.
 * NX_ENOMEM: the backing array could not be allocated. */
int nx_slab_create(const nx_slab_config *cfg, nx_slab **out);
/* Frees the slab and all its memory. Live slots become invalid. NULL is a no-op. */
void nx_slab_destroy(nx_slab *slab);
/* One slot, or NULL when a bounded slab is full / an unbounded one cannot
 * grow, or slab is NULL. */
void *nx_slab_alloc(nx_slab *slab);
/* Returns a slot to the freelist. NULL ptr is a no-op. */
void nx_slab_free(nx_slab *slab, void *ptr);
/* Usable bytes per slot (after rounding). 0 for NULL. */
size_t nx_slab_slot_size(const nx_slab *slab);
/* Slots currently handed out. 0 for NULL. After nx_executor_shutdown, the
 * executor's slab may still be freed into by threads dropping the last
 * wakers of orphaned tasks: read this only once they are gone. */
size_t nx_slab_in_use(const nx_slab *slab);
/* Slots that exist (bounded: capacity; unbounded: chunks * chunk slots).
 * 0 for NULL. */
size_t nx_slab_capacity(const nx_slab *slab);
/* The slab as an nx_allocator (ctx = slab). Sizes above the slot size and
 * alignments above 64 or not a power of two get NULL. The table lives inside
 * the slab. NULL for a NULL slab. */
const nx_allocator *nx_slab_allocator(nx_slab *slab);

/* ------------------------------------------------------------------------ */
/* Futures                                                                  */
/* ------------------------------------------------------------------------ */

/* A future in C: a state struct plus a poll function. `state` points at the
 * struct inside the task's own storage; it never moves. Return NX_READY when
 * done (after writing the output, if any, to nx_cx_output(cx)), NX_PENDING
 * after arranging to be woken (a cloned waker stored somewhere, or
 * nx_cx_wake() to be polled again next cycle). */
typedef nx_poll (*nx_poll_fn)(void *state, nx_cx *cx);
/* Releases what the state owns. Called exactly once if the task never
 * completed normally — cancelled, or dropped at shutdown — and also after it
 * returned NX_READY. May be NULL. */
typedef void (*nx_drop_fn)(void *state);

typedef struct nx_future_desc {
  nx_poll_fn poll;      /* required */
  nx_drop_fn drop;      /* optional */
  size_t size;          /* bytes of state (0 allowed) */
  size_t align;         /* power of two <= 64; 0 means 16 */
  size_t output_size;   /* bytes a join handle receives; 0 for none (<= 65535) */
} nx_future_desc;

/* Convenience initializer: NX_FUTURE(my_state, my_poll, my_drop). */
#ifdef __cplusplus
#define NX_FUTURE(type, poll_fn, drop_fn) \
  (nx_future_desc{ (poll_fn), (drop_fn), sizeof(type), alignof(type), 0 })
#define NX_FUTURE_OUT(type, poll_fn, drop_fn, out_type) \
  (nx_future_desc{ (poll_fn), (drop_fn), sizeof(type), alignof(type), sizeof(out_type) })
#else
#define NX_FUTURE(type, poll_fn, drop_fn) \
  ((nx_future_desc){ (poll_fn), (drop_fn), sizeof(type), _Alignof(type), 0 })
#define NX_FUTURE_OUT(type, poll_fn, drop_fn, out_type) \
  ((nx_future_desc){ (poll_fn), (drop_fn), sizeof(type), _Alignof(type), sizeof(out_type) })
#endif

/* ------------------------------------------------------------------------ */
/* Task ids and join handles                                                */
/* ------------------------------------------------------------------------ */

/* A task id: slot index (low 32 bits) + generation (high 32 bits). Once the
 * task's storage is freed and the slot reused, the old id is stale and every
 * operation on it is a clean NX_ESTALE. 0 is never a valid id. */
typedef uint64_t nx_task_id;
#define NX_TASK_ID_NONE ((nx_task_id)0)

/* A join handle keeps the task's storage (and so its output) alive until it
 * is consumed by a READY/ECANCELED poll, or detached. One owner; use it on
 * the executor's thread. A zeroed handle is "empty". A handle still held
 * when the executor is shut down or destroyed stays valid for nx_join_try
 * (NX_ECANCELED, or NX_READY if the task had finished) and nx_join_detach,
 * which release it; the executor's memory is kept until then: a handle you
 * never try or detach keeps it for the life of the process
 * (nx_executor_held_tasks counts them). */
typedef struct nx_join { nx_task *task; } nx_join;

/* Polls for completion. Returns NX_READY (1) and copies min(out_size,
 * output_size) output bytes to `out` (may be NULL), NX_PENDING (0) after
 * registering cx's waker, or NX_ECANCELED if the task was cancelled or dropped
 * at shutdown. READY/ECANCELED consume the handle (it becomes empty).
 * NX_EINVAL: null/empty handle, or cx NULL. */
int nx_join_poll(nx_join *join, nx_cx *cx, void *out, size_t out_size);
/* Like nx_join_poll but without registering a waker (for callers outside a
 * poll: between nx_run_once calls). */
int nx_join_try(nx_join *join, void *out, size_t out_size);
/* Gives up interest: the task keeps running; its output is discarded. The
 * handle becomes empty. Empty/NULL handles are a no-op. */
void nx_join_detach(nx_join *join);
/* The id of the task a handle refers to (NX_TASK_ID_NONE if empty or freed). */
nx_task_id nx_join_id(const nx_join *join);

/* ------------------------------------------------------------------------ */
/* Wakers                                                                   */
/* ------------------------------------------------------------------------ */

/* A waker is the task pointer itself. A waker from nx_cx_waker() is borrowed:
 * valid only during the poll, never to be dropped. Clones own one reference
 * (the task's storage stays until the task is complete AND every clone is
 * gone) and must be consumed by nx_waker_wake() or nx_waker_drop().
 * Clone, wake, wake_by_ref and drop may be called from ANY thread. On the
 * executor's thread a wake is a plain flag check and a ring push (no atomic
 * read-modify-write); from another thread it is one compare-and-swap plus a
 * lock-free push onto the executor's inbox (and an eventfd write only if the
 * executor is parked). Waking a completed task is a no-op. Storage is only
 * ever freed on the executor's thread: the last clone of a completed task
 * dropped on another thread hands the slot back through the inbox, and the
 * executor frees it in its next cycle. After the executor is shut down,
 * waking is a no-op and dropping the last clone frees the slot on the
 * dropping thread, under the executor's lock (see nx_executor_destroy). */
typedef struct nx_waker { nx_task *task; } nx_waker;

/* Increments the refcount and writes the clone to `out`. NX_EINVAL: null
 * arguments or empty waker. The count is 62 bits wide: it cannot overflow. */
int nx_waker_clone(const nx_waker *w, nx_waker *out);
/* Wakes and consumes the waker (`*w` becomes empty). Empty/NULL: no-op. */
void nx_waker_wake(nx_waker *w);
/* Wakes without consuming. Empty/NULL: no-op. */
void nx_waker_wake_by_ref(const nx_waker *w);
/* Releases the reference (`*w` becomes empty). Empty/NULL: no-op. */
void nx_waker_drop(nx_waker *w);
/* 1 if both wake the same task, else 0 (also 0 if either is NULL; two
 * empty wakers compare equal: 1). */
int nx_waker_will_wake(const nx_waker *a, const nx_waker *b);

/* ------------------------------------------------------------------------ */
/* Poll context                                                             */
/* ------------------------------------------------------------------------ */

/* A cx is valid only inside the poll it was passed to. Each function below
 * treats a NULL cx as documented, and a cx used outside its poll as having
 * no task (empty waker, no-op wake, NULL output, NX_TASK_ID_NONE). */

/* The borrowed waker of the task being polled (empty for NULL). */
nx_waker nx_cx_waker(nx_cx *cx);
/* Wakes the task being polled (it is polled again in a later cycle). The
 * fast path of the executor: no atomic operation. NULL: no-op. */
void nx_cx_wake(nx_cx *cx);
/* Where to write the output before returning NX_READY (NULL if the future
 * was spawned with output_size 0, or for NULL). A task spawned detached gets
 * a buffer too; its output is then discarded. */
void *nx_cx_output(nx_cx *cx);
/* The executor running this poll (NULL for NULL). */
nx_executor *nx_cx_executor(nx_cx *cx);
/* The id of the task being polled (NX_TASK_ID_NONE for NULL). */
nx_task_id nx_cx_task_id(nx_cx *cx);

/* ------------------------------------------------------------------------ */
/* Executor                                                                 */
/* ------------------------------------------------------------------------ */

typedef enum nx_run_mode {
  NX_RUN_PARKED = 0,     /* idle: sleep in epoll until a wake, timer or IO event */
  NX_RUN_BUSY = 1,       /* idle: spin; wakers from other threads never syscall */
  NX_RUN_SPIN_PARK = 2   /* idle: look for work for idle_spin_ns (wakers do not
                            syscall meanwhile), then sched_yield() idle_yields
                            times, then sleep as NX_RUN_PARKED. Budget 0 and no
                            yields: the same as NX_RUN_PARKED */
} nx_run_mode;

/* Default idle_spin_ns. The cross_wake_responsive bench cases (bench/README.md)
 * show a waker that answers at once finds the executor awake with any budget
 * from 1 us (latency flat, ~0 sleeps per op), while cross_wake_idle_gap shows
 * what a budget costs when no answer comes: that much CPU per idle period.
 * The default is about what one sleep and wake-up costs on a busy host (the
 * p50 of cross_wake_idle_gap run=parked on the CI machine kind), so spinning
 * never costs much more than the sleep it avoids; on a quiet host a shorter
 * budget burns less. */
#define NX_IDLE_SPIN_NS_DEFAULT 50000u

typedef struct nx_executor_config {
  uint32_t ready_capacity;    /* initial ready-queue slots (power of two). Default 1024.
                                 The queue grows with the number of tasks at spawn
                                 time (and starts with room for every slot of a
                                 bounded slab), so a wake never fails. */
  uint32_t tasks_per_cycle;   /* polls per nx_run_once at most. Default 64. */
  const nx_allocator *allocator; /* nx_spawn storage. Default nx_allocator_malloc() */
  const nx_slab_config *slab; /* if non-NULL, the executor owns a slab with this
                                 config and nx_spawn_slab uses it. Default NULL */
  uint32_t idle_spin_ns;      /* NX_RUN_SPIN_PARK: how long an idle executor spins
                                 before it parks. Default NX_IDLE_SPIN_NS_DEFAULT;
                                 at most 1 s (NX_EINVAL above) */
  uint32_t idle_yields;       /* NX_RUN_SPIN_PARK: sched_yield() calls after the
                                 spin, before parking. Default 0; at most 1000 */
  uint32_t timer_slack_ns;    /* timer slack (PR_SET_TIMERSLACK) of the executor
                                 thread while an nx_run/nx_block_on sleeps until a
                                 deadline; restored when the call returns. Default
                                 1 (the kernel's own default is 50 us); 0 leaves the
                                 thread's slack alone */
  uint32_t timer_spin_max_ns; /* parked modes: wake up to this much before a timer
                                 deadline (by the wake-up lateness the executor
                                 measured, never more) and spin to the deadline;
                                 timers never fire early. Default 50 us; 0: no
                                 early wake; at most 1 ms */
} nx_executor_config;

/* Fills the defaults documented above. NX_EINVAL if cfg is NULL. */
int nx_executor_config_init(nx_executor_config *cfg);
/* Creates an executor owned by the calling thread. cfg NULL = defaults.
 * NX_EINVAL: out NULL, tasks_per_cycle 0, ready_capacity 0 or > 2^30,
 * allocator lacking alloc/free, bad slab config. NX_ENOMEM. Other: a negative
 * errno from eventfd/epoll creation. */
int nx_executor_create(const nx_executor_config *cfg, nx_executor **out);
/* Stops the executor for good: every live task's future is dropped (drop_fn
 * runs, join handles report NX_ECANCELED), every slot nobody else references
 * is freed now. Afterwards spawn/run/cancel return NX_ESHUTDOWN and wakes are
 * no-ops. Idempotent: NX_OK again, from any thread. NX_EINVAL for NULL,
 * NX_EWRONGTHREAD from a thread that does not own the executor (before
 * shutdown), NX_EBUSY from a callback (a poll or drop function, an
 * allocator's alloc or free) or while it is already running. */
int nx_executor_shutdown(nx_executor *ex);
/* Shutdown, then releases the executor. Slots still referenced by wakers or
 * join handles held elsewhere (other threads, structures the user keeps, a
 * join handle never tried or detached) are NOT freed yet: the executor's
 * memory (and its slab) stay allocated until the last such reference is
 * released, on whatever thread that happens, which then frees them all.
 * Such a late drop or wake never touches freed memory. Check
 * nx_executor_held_tasks() before destroying to see whether anything will
 * be kept (builds without NDEBUG print a warning to stderr here when it is
 * not 0). The `ex` pointer must not be used after this call. NULL is a
 * no-op. Called from a callback (a poll or drop function, an allocator's
 * alloc or free) or from a thread that does not own the executor, it does nothing
 * (nx_executor_shutdown would return NX_EBUSY / NX_EWRONGTHREAD): the
 * executor stays usable. */
void nx_executor_destroy(nx_executor *ex);
/* Completed tasks whose storage is kept only by references held outside the
 * executor: join handles not yet tried or detached, waker clones not yet
 * dropped. After nx_executor_shutdown every such task keeps the executor's
 * memory allocated past nx_executor_destroy until released. 0 for NULL. */
size_t nx_executor_held_tasks(const nx_executor *ex);

/* Spawns a future. The `desc->size` bytes at `init` are copied into the
 * task's storage (init NULL: zero-filled). The task is queued to run in the
 * next cycle. `id_out` and `join_out` may be NULL (a NULL join_out detaches).
 * NX_EINVAL: null ex/desc/desc->poll, output_size > 65535. NX_EALIGN.
 * NX_ENOMEM. NX_ESHUTDOWN: executor shut down. NX_EWRONGTHREAD: wrong thread.
 * On error nothing is allocated and *id_out / *join_out are left unset. */
int nx_spawn(nx_executor *ex, const nx_future_desc *desc, const void *init,
             nx_task_id *id_out, nx_join *join_out);
/* Same, from the executor's slab. Also NX_EINVAL (no slab configured),
 * NX_E2BIG (does not fit a slot), NX_ESLABFULL (bounded slab full). */
int nx_spawn_slab(nx_executor *ex, const nx_future_desc *desc, const void *init,
                  nx_task_id *id_out, nx_join *join_out);

/* Prepared futures: a descriptor checked once, for a future spawned many
 * times. nx_future_prepare makes nx_spawn's argument checks and computes the
 * task's layout; nx_spawn_prepared / nx_spawn_slab_prepared then skip them.
 * The struct may be copied; it does not refer to `desc` or to an executor
 * (one prepared future serves every executor). Its fields are private. */
typedef struct nx_prepared_future {
  nx_future_desc desc_;  /* private: the checked descriptor */
  uint64_t meta_;        /* private: the task header's layout word */
  uint64_t meta_slab_;   /* private: the same for a slab slot */
  uint32_t size_;        /* private: the allocation's size */
  uint32_t align_;       /* private: the allocation's alignment */
  uint32_t tag_;         /* private: set by a successful nx_future_prepare */
  uint32_t reserved_;    /* private */
} nx_prepared_future;
/* Checks `desc` and fills `*out`. NX_EINVAL: out NULL; desc or desc->poll
 * NULL, output_size > 65535, size > 2^40. NX_EALIGN: align not a power of
 * two or above 64. NX_E2BIG: the task would not fit 4 GiB. On error `*out`
 * (if not NULL) is left unprepared: spawning it returns NX_EINVAL. */
int nx_future_prepare(const nx_future_desc *desc, nx_prepared_future *out);
/* nx_spawn / nx_spawn_slab of a prepared future: the same task, the same
 * results and errors as nx_spawn(ex, desc, ...) / nx_spawn_slab with the
 * descriptor it was prepared from (NX_ESHUTDOWN, NX_EWRONGTHREAD, NX_ENOMEM;
 * for the slab also NX_EINVAL without a slab, NX_E2BIG, NX_ESLABFULL), and
 * NX_EINVAL for a NULL ex or pf or a pf that nx_future_prepare did not fill
 * (never prepared, or its preparation failed). A detached spawn (join_out
 * NULL) on the owner thread with room takes the short path; a join handle,
 * a table or queue that must grow, or any error takes nx_spawn's. */
int nx_spawn_prepared(nx_executor *ex, const nx_prepared_future *pf, const void *init,
                      nx_task_id *id_out, nx_join *join_out);
int nx_spawn_slab_prepared(nx_executor *ex, const nx_prepared_future *pf, const void *init,
                           nx_task_id *id_out, nx_join *join_out);

/* Two-phase spawn ("give me the storage, I construct in place"), and the slab
 * claim API: nx_reserve takes everything that can fail (the storage, a task
 * table entry, ready-queue room) so nx_reserve_commit cannot fail. */
/* Flags for nx_reserve. */
enum {
  NX_RESERVE_SLAB = 1,      /* storage from the executor's slab (else the allocator) */
  NX_RESERVE_JOINABLE = 2   /* room for a join handle (and desc->output_size bytes) */
};
typedef struct nx_reservation {
  nx_task *task;   /* private */
  void *state;     /* construct the future's state here (desc->size bytes, zeroed) */
} nx_reservation;
/* Reserves storage, an id-table entry and ready-queue room. Errors as for
 * nx_spawn / nx_spawn_slab (NX_EINVAL also for unknown flags); on error `r`
 * is emptied and nothing is held. Commit or abort before nx_executor_shutdown:
 * shutdown frees pending reservations (without running drop_fn). */
int nx_reserve(nx_executor *ex, unsigned flags, const nx_future_desc *desc,
               nx_reservation *r);
/* Turns a reservation into a queued task. Never fails for a reservation that
 * nx_reserve filled; NX_EINVAL for NULL/empty ones, or a join_out for a
 * reservation that has no join block (made without NX_RESERVE_JOINABLE and
 * with output_size 0; the reservation is kept). */
int nx_reserve_commit(nx_reservation *r, nx_task_id *id_out, nx_join *join_out);
/* Gives the reservation back (the storage is freed, no drop_fn runs). */
void nx_reserve_abort(nx_reservation *r);

/* Cancels a task: its future is dropped now (or, for the task being polled,
 * right after its poll returns), a join handle reports NX_ECANCELED.
 * NX_ESTALE: unknown or stale id (slot reused, or a reservation not yet
 * committed) — nothing happens. NX_EALREADY: the task already completed
 * (also a task cancelling itself from its own drop function). NX_EINVAL:
 * NULL ex. NX_ESHUTDOWN: the executor was shut down or is shutting down
 * (a drop function run by shutdown: every task is being dropped anyway).
 * NX_EWRONGTHREAD: wrong thread. The dropped task's drop function runs
 * inside this call, as a callback (see "Callbacks and re-entrancy"). */
int nx_cancel(nx_executor *ex, nx_task_id id);

/* Runs one cycle: drains the cross-thread inbox, polls at most
 * tasks_per_cycle ready tasks in FIFO order (tasks woken during the cycle go
 * behind those already waiting, so none starves), fires due timers and polls
 * IO readiness without blocking. Returns the number of polls made (>= 0;
 * discarding the queue entry of a task that already completed is no poll).
 * NX_EINVAL, NX_ESHUTDOWN, NX_EWRONGTHREAD, NX_EBUSY (from a callback). */
int nx_run_once(nx_executor *ex);
/* Runs cycles until no live task is left. When nothing is ready it parks
 * (NX_RUN_PARKED: sleeps until a wake, timer or IO event), spins
 * (NX_RUN_BUSY), or spins for the configured budget and then parks
 * (NX_RUN_SPIN_PARK). NX_EINVAL for another mode; otherwise returns 0, or
 * errors as nx_run_once. */
int nx_run(nx_executor *ex, nx_run_mode mode);
/* Spawns `desc` as the root task, runs until it completes (other tasks keep
 * running meanwhile and stay alive afterwards), copies its output to `out`.
 * Returns NX_OK, or the spawn/run errors, NX_ECANCELED if the root was
 * cancelled. */
int nx_block_on(nx_executor *ex, nx_run_mode mode, const nx_future_desc *desc,
                const void *init, void *out, size_t out_size);

/* Live tasks: spawned and not yet completed or cancelled. 0 for NULL. */
size_t nx_executor_live_tasks(const nx_executor *ex);
/* Task slots allocated: live tasks, completed ones still referenced by
 * wakers or join handles (zombies), and completed ones whose ready-queue
 * entry the run loop has not reached yet (a task that woke itself in its last
 * poll or was cancelled while queued, behind other queued tasks: its slot is
 * freed when a cycle reaches the entry; entries at the front of the queue
 * are reaped at once, and nx_run returns with none left). 0 for NULL. */
size_t nx_executor_allocated_tasks(const nx_executor *ex);
/* The executor's slab, or NULL if none was configured. */
nx_slab *nx_executor_slab(nx_executor *ex);
/* Wakes a parked executor from any thread (a no-op if it is not parked, or
 * for NULL). Must not be called after nx_executor_destroy. */
void nx_executor_unpark(nx_executor *ex);

/* ------------------------------------------------------------------------ */
/* Resumable functions (protothread style)                                  */
/* ------------------------------------------------------------------------ */
/*
 * Write a multi-step future as one function instead of numbering states by
 * hand. The state struct must contain `NX_ASYNC_FIELDS;` (an int resume
 * point, zero when spawned). Locals that live across a suspension point must
 * be fields of the state struct (a C function's locals do not survive a
 * return). Do not use `switch` across a suspension point.
 *
 *   typedef struct { NX_ASYNC_FIELDS; int i, rc, out; nx_join child; } my_fut;
 *   static nx_poll my_poll(void *p, nx_cx *cx) {
 *     my_fut *s = p;
 *     NX_BEGIN(s);
 *     for (s->i = 0; s->i < 3; s->i++) NX_YIELD(s, cx);
 *     NX_AWAIT_JOIN(s, cx, &s->child, &s->out, sizeof s->out, s->rc);
 *     NX_END(s);
 *   }
 */
#define NX_ASYNC_FIELDS int nx_resume_
#define NX_BEGIN(s) switch ((s)->nx_resume_) { case 0:
/* Suspend until `cond` is true (re-evaluated at every poll; arrange a wake). */
#define NX_AWAIT_UNTIL(s, cond)                         \
  do { (s)->nx_resume_ = __LINE__; /* fallthrough */    \
       case __LINE__: if (!(cond)) return NX_PENDING; } while (0)
/* Suspend until `poll_expr` (an nx_poll / int expression) yields non-zero. */
#define NX_AWAIT(s, poll_expr) NX_AWAIT_UNTIL(s, (poll_expr) != NX_PENDING)
/* Give the other tasks a turn: wake self, suspend once. */
#define NX_YIELD(s, cx)                                 \
  do { (s)->nx_resume_ = __LINE__; nx_cx_wake(cx);      \
       return NX_PENDING; case __LINE__:; } while (0)
/* Await a join handle: stores nx_join_poll's final result (NX_READY or
 * NX_ECANCELED / NX_EINVAL) in `rc_lvalue` (a field of the state struct) and
 * copies the output to `out` on READY. */
#define NX_AWAIT_JOIN(s, cx, join, out, out_size, rc_lvalue) \
  NX_AWAIT_UNTIL(s, ((rc_lvalue) = nx_join_poll((join), (cx), (out), (out_size))) != NX_PENDING)
#define NX_END(s) } (s)->nx_resume_ = -1; return NX_READY

#ifdef __cplusplus
}
#endif
#endif /* NXRT_H */

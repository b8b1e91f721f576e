/* The executor's internal state, shared by the runtime's source files.
 * Not a public header: services (timers, IO, channels) use it to plug into
 * the run loop; applications use nxrt.h only. */
#ifndef NXRT_EXECUTOR_H
#define NXRT_EXECUTOR_H

#include "inbox.h"
#include "nx_assert.h"
#include "task.h"

#include <pthread.h>
#include <stdbool.h>

/* One id-table entry. While free, `task` holds the next free index. */
typedef struct nx_table_entry {
  nx_task *task;
  uint32_t gen;    /* generation of the task in this slot: odd, so never 0 */
  uint32_t size;   /* allocation size, for sized free */
} nx_table_entry;
#define NX_TABLE_NONE UINT32_MAX

/* What a kind of service does (one static table per kind; its address also
 * identifies the kind). All callbacks run on the executor thread. */
struct nx_service;
typedef struct nx_service_ops {
  /* After a cycle's polls, while the service has work (see `work`): fire
   * what is due (may wake tasks). NULL: nothing to do per cycle (events
   * arrive through epoll). */
  void (*poll)(struct nx_service *s, nx_executor *ex);
  /* Absolute CLOCK_MONOTONIC deadline in ns of the next event, or -1.
   * NULL: no deadlines. */
  int64_t (*next_deadline_ns)(struct nx_service *s);
  /* At shutdown, before task futures are dropped: release wakers held. */
  void (*shutdown)(struct nx_service *s, nx_executor *ex);
} nx_service_ops;

/* A service plugged into the run loop (timers, IO, shutdown signals). */
typedef struct nx_service {
  const nx_service_ops *ops;
  /* The service's own count of pending work (the timer heap's length): the
   * cycle calls ops->poll only while it is non-zero, so an idle service
   * costs no call. NULL with ops->poll set: polled every cycle. */
  const uint32_t *work;
  struct nx_service *next;
} nx_service;

/* Something registered in the executor's epoll set: epoll_event.data.ptr
 * points at one of these (NULL data is the executor's own eventfd). */
typedef struct nx_epoll_source {
  void (*ready)(struct nx_epoll_source *src, uint32_t events);
} nx_epoll_source;

struct nx_cx {
  nx_executor *ex;
  nx_task *task;
};

struct nx_executor {
  /* --- hot, executor thread only --- */
  nx_task **ring;            /* ready ring, FIFO */
  uint32_t ring_head, ring_tail, ring_mask;
  uint32_t tasks_per_cycle;
  nx_table_entry *table;
  /* Entries [0, slab_base) belong to the slots of the executor's bounded
   * slab, one each (0 without one): a slab task takes its slot's entry, no
   * free list. The other entries are on the free list or taken; table_used
   * counts those taken (plus allocator calls holding room, see "Room"),
   * slab_tasks the slab slots' entries taken. The ring has a slot for every
   * entry (ring capacity >= table_cap). */
  uint32_t table_cap, table_hwm, table_free, table_used;
  uint32_t slab_base, slab_tasks;
  /* With a bounded slab (slab_base != 0): a task of this allocation size,
   * or a future of this state size, fits a slot if below; 0 without one,
   * so one compare answers both. */
  size_t slab_size_end, slab_state_end;
  uint32_t room;             /* table_cap - slab_base: a non-slab spawn while
                                table_used is below it needs no growth */
  /* The owner's thread pointer while spawns are accepted, NULL from the
   * start of shutdown: the fast spawns check thread and state with one
   * compare (executor.c: nx_spawn_marker). */
  _Atomic(const void *) spawn_owner;
  size_t live;
  nx_cx cx;                  /* reused for every poll; cx.task: the task being
                                polled, NULL between polls */
  const nx_allocator *alloc;
  nx_slab *slab;             /* owned, may be NULL */
  nx_service *services;
  uint32_t polled_services;  /* services with ops->poll: the cycle looks at them */
  uint32_t epoll_sources;    /* IO registrations: poll epoll every N cycles */
  uint32_t stale;            /* ring entries of tasks that completed while queued */
  uint32_t cycle;
  bool in_run;               /* the run loop, a cancel's drop or a callback is on the
                                stack: re-entering the loop is NX_EBUSY. Set once per
                                nx_run_once/nx_run/nx_block_on call, never per poll */
  uint32_t in_alloc;         /* allocator calls a spawn or reserve is inside, each
                                holding one count of table_used; like in_run for
                                the loop, shutdown and destroy */
  bool shutting_down;        /* futures are being dropped: spawn refused */
  bool shut;                 /* shutdown finished */

  /* --- idling (park.c), executor thread only --- */
  uint32_t idle_spin_ns, idle_yields, timer_slack_ns, timer_spin_max_ns;
  int64_t timer_margin_ns;   /* how early a timed sleep ends: the measured
                                wake-up lateness, capped at timer_spin_max_ns */
  long saved_slack_ns;       /* the thread's own timer slack while lowered, else -1 */

  /* --- cross-thread --- */
  nx_inbox inbox;
  /* Read by waking threads, written only at create and shutdown: a line of
   * their own, so a remote wake's owner check and unpark hit in the waker's
   * cache (beside cx.task, which every poll writes, each wake missed once). */
  alignas(64) _Atomic(const void *) owner; /* owning thread's marker; NULL once shut down */
  int epfd, evfd;

  /* --- lifetime after shutdown (see executor.c: "Lifetime") --- */
  alignas(64) pthread_mutex_t lock;
  bool dead;                 /* under lock: shutdown passed the point of no return */
  size_t holds;              /* under lock: 1 until destroy + orphans with refs */
  /* The thread freeing task storage under `lock` (or in the final release):
   * an allocator's free that calls back into nx_executor_destroy or
   * nx_executor_allocated_tasks gets an answer instead of a deadlock. */
  _Atomic(const void *) freeing;
};

/* The calling thread's identity: the address of a thread-local byte
 * (initial-exec: one fs-relative lea, no call, on every wake and spawn). */
extern __attribute__((tls_model("initial-exec"))) _Thread_local char nx__tls_marker;
static inline const void *nx__thread_marker(void) { return &nx__tls_marker; }

static inline bool nx__on_owner(const nx_executor *ex) {
  return atomic_load_explicit(&ex->owner, memory_order_relaxed) == nx__thread_marker();
}

/* How many times `t` is in the ready ring: a walk, for NX_ASSERT_EXPENSIVE
 * (the ring holds a task at most once, exactly while `queued` is 1). */
uint32_t nx__ring_count(const nx_executor *ex, const nx_task *t);
/* The executor's structures agree with each other (id table, free list,
 * ready ring, counts): a walk of everything, for NX_ASSERT_EXPENSIVE. */
bool nx__executor_valid(const nx_executor *ex);

/* Ready ring push: never overflows, because the ring holds at least as many
 * slots as there are tasks (grown in nx_reserve) and a task is in it at most
 * once (`queued`). */
static inline void nx__ring_push(nx_executor *ex, nx_task *t) {
  NX_ASSERT(ex->ring_tail - ex->ring_head <= ex->ring_mask); /* room for one more */
  NX_ASSERT(t->queued == 1);
  NX_ASSERT_EXPENSIVE(nx__ring_count(ex, t) == 0);
  ex->ring[ex->ring_tail++ & ex->ring_mask] = t;
}

/* Executor-thread wake: the fast path. */
static inline void nx__wake_local(nx_executor *ex, nx_task *t) {
  NX_ASSERT(t->ex == ex);
  if (t->queued | (t->flags & NX_TF_DONE)) return;
  t->queued = 1;
  nx__ring_push(ex, t);
}

/* A live task's id (nxrt.h, nx_task_id): its slot, and in the high half the
 * generation the slot holds now. */
static inline nx_task_id nx__task_id(const nx_executor *ex, const nx_task *t) {
  NX_ASSERT(ex->table[t->slot].task == t && (ex->table[t->slot].gen & 1));
  return ((uint64_t)ex->table[t->slot].gen << 32) | t->slot;
}

/* Internal functions, by the file that defines them. */

/* executor.c */
void nx__task_free(nx_executor *ex, nx_task *t);
void nx__task_free_guarded(nx_executor *ex, nx_task *t);
void nx__ref_drop_slow(nx_task *t, uint64_t old);
void nx__executor_add_service(nx_executor *ex, nx_service *s);
void nx__executor_remove_service(nx_executor *ex, nx_service *s);

/* waker.c */
void nx__wake_remote(nx_task *t);
void nx__ref_drop(nx_task *t);

/* park.c */
void nx__unpark(nx_executor *ex);
int64_t nx__now_ns(void);
/* What the run loop does when nothing is ready. */
int nx__poll_events(nx_executor *ex, int64_t deadline_ns);
/* NX_RUN_BUSY's idle step while IO is registered (io.c): wakes the waiting
 * socket futures to try their transfer when only a few descriptors are
 * registered, else nx__poll_events(ex, 0). */
void nx__io_busy_idle(nx_executor *ex);
void nx__wait_for_work(nx_executor *ex, nx_run_mode mode);
void nx__idle_end(nx_executor *ex); /* at the end of nx_run / nx_block_on */

#endif /* NXRT_EXECUTOR_H */

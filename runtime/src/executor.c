/* The executor: spawn, the run loop, cancel, shutdown.
 *
 * Read top to bottom: configuration, lifetime, the id table and ready ring,
 * spawning, completing a task, the run loop, cancel.
 *
 * Lifetime. A task is freed on the executor thread, when its state word says
 * DONE with no references and it is in neither queue. After shutdown some
 * tasks may still be referenced by wakers held elsewhere ("orphans"); the
 * executor's memory, its slab and its fds then stay allocated, and `holds`
 * counts 1 (until nx_executor_destroy) plus one per orphan with references.
 * The thread that drops an orphan's last reference frees it under `lock`
 * (the only time an allocator is touched off the executor thread, and never
 * concurrently), and whoever brings `holds` to zero frees everything.
 */
#define _GNU_SOURCE
#include "executor.h"
#include "slab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

__attribute__((tls_model("initial-exec"))) _Thread_local char nx__tls_marker;

#define NX_LIKELY(x) __builtin_expect(!!(x), 1)
#define NX_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ------------------------------------------------------------------------ */
/* Configuration and creation                                               */
/* ------------------------------------------------------------------------ */

int nx_executor_config_init(nx_executor_config *cfg) {
  if (cfg == NULL) return NX_EINVAL;
  cfg->ready_capacity = 1024;
  cfg->tasks_per_cycle = 64;
  cfg->allocator = nx_allocator_malloc();
  cfg->slab = NULL;
  cfg->idle_spin_ns = NX_IDLE_SPIN_NS_DEFAULT;
  cfg->idle_yields = 0;
  cfg->timer_slack_ns = 1;
  cfg->timer_spin_max_ns = 50000;
  return NX_OK;
}

static void nx_table_extend(nx_executor *ex, uint32_t cap);

/* The calling thread's identity for the fast spawns' owner check
 * (spawn_owner): the thread pointer, unique among live threads like the
 * marker's address, and one load to read (the marker's address is two
 * instructions more). */
static inline __attribute__((always_inline)) const void *nx_spawn_marker(void) {
  return __builtin_thread_pointer();
}

/* A bounded slab up to this many slots gets an id entry per slot. */
#define NX_SLAB_ENTRIES_MAX ((uint32_t)1 << 26)
/* Entries for tasks outside the slab when the executor is made. */
#define NX_TABLE_INITIAL 64

static uint32_t nx_pow2_at_least(uint32_t n) {
  uint32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

int nx_executor_create(const nx_executor_config *cfg, nx_executor **out) {
  nx_executor_config defaults;
  if (out == NULL) return NX_EINVAL;
  *out = NULL;
  if (cfg == NULL) {
    nx_executor_config_init(&defaults);
    cfg = &defaults;
  }
  if (cfg->tasks_per_cycle == 0 || cfg->ready_capacity == 0 ||
      cfg->ready_capacity > (1u << 30) || cfg->idle_spin_ns > 1000000000u ||
      cfg->idle_yields > 1000 || cfg->timer_spin_max_ns > 1000000)
    return NX_EINVAL;
  const nx_allocator *alloc = cfg->allocator ? cfg->allocator : nx_allocator_malloc();
  if (alloc->alloc == NULL || alloc->free == NULL) return NX_EINVAL;

  nx_executor *ex = aligned_alloc(64, (sizeof *ex + 63) & ~(size_t)63);
  if (ex == NULL) return NX_ENOMEM;
  memset(ex, 0, sizeof *ex);
  ex->epfd = ex->evfd = -1;
  int rc = NX_ENOMEM;
  if (cfg->slab != NULL && (rc = nx_slab_create(cfg->slab, &ex->slab)) < 0) goto fail;
  rc = NX_ENOMEM;
  if (ex->slab != NULL && ex->slab->mode == NX_SLAB_BOUNDED &&
      ex->slab->capacity <= NX_SLAB_ENTRIES_MAX)
  {
    ex->slab_base = (uint32_t)ex->slab->capacity;
    ex->slab_size_end = ex->slab->slot_size + 1;
    ex->slab_state_end = ex->slab->slot_size - NX_TASK_HEADER_SIZE + 1;
    ex->slab->owner_in_use = &ex->slab_tasks; /* its tasks' slots: not in in_use */
  }
  uint32_t table_cap = ex->slab_base + NX_TABLE_INITIAL;
  uint32_t cap = nx_pow2_at_least(cfg->ready_capacity > table_cap ? cfg->ready_capacity : table_cap);
  ex->ring = malloc(sizeof(nx_task *) * cap);
  ex->table = malloc(sizeof(nx_table_entry) * table_cap);
  if (ex->ring == NULL || ex->table == NULL) goto fail;
  ex->ring_mask = cap - 1;
  for (uint32_t i = 0; i < ex->slab_base; i++) ex->table[i] = (nx_table_entry){NULL, 1, 0};
  ex->table_hwm = ex->slab_base;
  ex->table_free = NX_TABLE_NONE;
  nx_table_extend(ex, table_cap);
  ex->room = table_cap - ex->slab_base;
  ex->tasks_per_cycle = cfg->tasks_per_cycle;
  ex->idle_spin_ns = cfg->idle_spin_ns;
  ex->idle_yields = cfg->idle_yields;
  ex->timer_slack_ns = cfg->timer_slack_ns;
  ex->timer_spin_max_ns = cfg->timer_spin_max_ns;
  ex->saved_slack_ns = -1;
  ex->alloc = alloc;

  ex->epfd = epoll_create1(EPOLL_CLOEXEC);
  ex->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (ex->epfd < 0 || ex->evfd < 0) {
    rc = -errno;
    goto fail;
  }
  /* Edge-triggered and never read: every write is a new edge, so the
   * executor saves the read() syscall on each wake-up. */
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = NULL};
  if (epoll_ctl(ex->epfd, EPOLL_CTL_ADD, ex->evfd, &ev) < 0) {
    rc = -errno;
    goto fail;
  }
  nx__inbox_init(&ex->inbox);
  pthread_mutex_init(&ex->lock, NULL);
  ex->holds = 1;
  ex->cx.ex = ex;
  atomic_init(&ex->owner, nx__thread_marker());
  atomic_init(&ex->spawn_owner, nx_spawn_marker());
  atomic_init(&ex->freeing, NULL);
  *out = ex;
  return NX_OK;

fail:
  if (ex->epfd >= 0) close(ex->epfd);
  if (ex->evfd >= 0) close(ex->evfd);
  nx_slab_destroy(ex->slab);
  free(ex->ring);
  free(ex->table);
  free(ex);
  return rc;
}

/* ------------------------------------------------------------------------ */
/* Id table and ready ring                                                  */
/* ------------------------------------------------------------------------ */

#define NX_ENTRY_FREE_TAG ((uintptr_t)1)

static inline bool nx_entry_in_use(const nx_table_entry *e) {
  return ((uintptr_t)e->task & NX_ENTRY_FREE_TAG) == 0 && e->task != NULL;
}

/* Room. A task in the executor's bounded slab has its slot's entry (the
 * slab bounds them). For other tasks `table_used` counts the entries taken
 * plus one per spawn or reserve inside an allocator call (in_alloc): such a
 * call holds its room before it calls out, so whatever the allocator spawns
 * meanwhile cannot take it. The table has a free entry for every count
 * below `room` (table_cap - slab_base), and the ring a slot for every entry
 * (each entry a distinct allocated task); both only grow. */

/* Puts entries [table_hwm, cap) on the free list (lowest index on top) as
 * never-used (generation 1), so filling an entry is always a pop. */
static void nx_table_extend(nx_executor *ex, uint32_t cap) {
  for (uint32_t i = cap; i-- > ex->table_hwm;) {
    ex->table[i].gen = 1;
    ex->table[i].task = (nx_task *)(((uintptr_t)ex->table_free << 1) | NX_ENTRY_FREE_TAG);
    ex->table_free = i;
  }
  ex->table_hwm = cap;
  ex->table_cap = cap;
}

/* Grows the table so one more task outside the slab fits, and the ring
 * with it (a slot per entry; the ring grows first, so a failure leaves the
 * invariant). Slow path of reserve. */
static int nx_make_room_slow(nx_executor *ex) {
  if (ex->table_cap >= UINT32_MAX / 4) return NX_ENOMEM;
  uint32_t cap = ex->table_cap * 2;
  uint32_t ring_cap = ex->ring_mask + 1;
  if (cap > ring_cap) {
    uint32_t new_ring_cap = nx_pow2_at_least(cap);
    nx_task **ring = malloc(sizeof *ring * new_ring_cap);
    if (ring == NULL) return NX_ENOMEM;
    uint32_t n = ex->ring_tail - ex->ring_head;
    for (uint32_t i = 0; i < n; i++) ring[i] = ex->ring[(ex->ring_head + i) & ex->ring_mask];
    free(ex->ring);
    ex->ring = ring;
    ex->ring_head = 0;
    ex->ring_tail = n;
    ex->ring_mask = new_ring_cap - 1;
  }
  nx_table_entry *t = realloc(ex->table, sizeof *t * cap);
  if (t == NULL) return NX_ENOMEM;
  ex->table = t;
  nx_table_extend(ex, cap);
  ex->room = cap - ex->slab_base;
  return NX_OK;
}

static inline int nx_make_room(nx_executor *ex) {
  if (NX_LIKELY(ex->table_used < ex->room)) return NX_OK;
  return nx_make_room_slow(ex);
}

/* Fills a free entry for `t`, whose room is already counted in table_used.
 * `size` 0: a slab slot, whose free needs no size (the entry keeps none). */
static inline uint32_t nx_table_fill(nx_executor *ex, nx_task *t, uint32_t size) {
  uint32_t slot = ex->table_free;
  NX_ASSERT(slot != NX_TABLE_NONE); /* nx_make_room made room: every entry is threaded */
  nx_table_entry *e = &ex->table[slot];
  NX_ASSERT(((uintptr_t)e->task & NX_ENTRY_FREE_TAG) && (e->gen & 1)); /* a free entry */
  ex->table_free = (uint32_t)((uintptr_t)e->task >> 1);
  e->task = t;
  if (size != 0) e->size = size;
  return slot;
}

/* Fills the entry of slot `slot` of the executor's bounded slab for `t`. */
static inline __attribute__((always_inline)) void nx_table_fill_slab(nx_executor *ex, nx_task *t,
                                                                     uint32_t slot) {
  nx_table_entry *e = &ex->table[slot];
  NX_ASSERT(slot < ex->slab_base && e->task == NULL && (e->gen & 1)); /* the slot was free */
  e->task = t;
  ex->slab_tasks++;
}

/* Fills the entry of the executor's bounded slab's slot `t`; returns its index. */
static inline __attribute__((always_inline)) uint32_t nx_table_take_slab(nx_executor *ex,
                                                                         nx_task *t) {
  uint32_t slot = nx_slab_index_inline(ex->slab, t);
  nx_table_fill_slab(ex, t, slot);
  return slot;
}

static inline void nx_table_release(nx_executor *ex, nx_table_entry *e, uint32_t slot) {
  NX_ASSERT(slot >= ex->slab_base && slot < ex->table_hwm && e == &ex->table[slot] &&
            nx_entry_in_use(e) && ex->table_used != 0);
  ex->table_used--;
  e->gen += 2; /* odd, so it never wraps to 0 */
  e->task = (nx_task *)(((uintptr_t)ex->table_free << 1) | NX_ENTRY_FREE_TAG);
  ex->table_free = slot;
}

/* Frees a task's storage (executor thread, or under `lock` after shutdown).
 * The executor's own slab is freed inline: no indirect call on the hot path
 * (and the slab outlives every task: nx_final_release frees them first). */
static inline void nx_task_free_inline(nx_executor *ex, nx_task *t) {
  /* The slot is this task's (not a later one's), and the ring does not
   * point at it: it is committed-and-dequeued or a reservation. */
  NX_ASSERT(ex->table[t->slot].task == t && t->queued != 1);
  uint32_t slot = t->slot;
  nx_table_entry *e = &ex->table[slot];
  if (t->flags & NX_TF_SLAB) {
    /* the slot's own entry: a new generation, empty until the slot is reused */
    NX_ASSERT(slot < ex->slab_base && ex->slab_tasks != 0 &&
              nx_slab_index_inline(ex->slab, t) == slot && nx_entry_in_use(e));
    ex->slab_tasks--;
    e->gen += 2;
    e->task = NULL;
    nx_slab_put_inline(ex->slab, t);
  } else {
    size_t size = e->size; /* a slab slot's free needs no size */
    nx_table_release(ex, e, slot);
    t->free_fn(t->free_ctx, t, size, nx__task_align(t));
  }
}

void nx__task_free(nx_executor *ex, nx_task *t) { nx_task_free_inline(ex, t); }

/* Frees a task's storage for a call that may come from outside the run loop
 * (the last waker or join handle dropped, a reservation given back): the
 * allocator's free is a callback, so the run loop refuses to start under it
 * as under a poll. Not on a hot path: a waker drop that frees is rare. */
void nx__task_free_guarded(nx_executor *ex, nx_task *t) {
  bool outer = !ex->in_run;
  ex->in_run = true;
  nx_task_free_inline(ex, t);
  if (outer) ex->in_run = false;
}

/* Calls the allocator's alloc as a callback: the run loop, shutdown and
 * destroy refuse to start under it, as under a free (the spawn that called
 * it is half done); spawns and reservations from inside it work. The room
 * the caller checked is held first (see "Room"): on success the caller
 * fills it with nx_table_fill. */
static inline __attribute__((always_inline)) void *nx_alloc_holding_room(nx_executor *ex,
                                                                         const nx_allocator *a,
                                                                         size_t size,
                                                                         size_t align) {
  ex->table_used++;
  ex->in_alloc++;
  void *mem = a->alloc(a->ctx, size, align);
  ex->in_alloc--;
  if (NX_UNLIKELY(mem == NULL)) ex->table_used--;
  return mem;
}

/* ------------------------------------------------------------------------ */
/* Spawning                                                                 */
/* ------------------------------------------------------------------------ */

/* `queued` value of a reserved, not yet committed task: not in the ring,
 * not live, its state possibly half-built (shutdown frees it undropped). */
#define NX_Q_RESERVED 2

static inline size_t nx_round16(size_t n) { return (n + 15) & ~(size_t)15; }

/* The checks of a descriptor that need no executor (NX_EINVAL). */
static inline bool nx_desc_valid(const nx_future_desc *desc) {
  return desc != NULL && desc->poll != NULL &&
         ((desc->output_size > 65535) | (desc->size > ((size_t)1 << 40))) == 0;
}

/* Where a task's parts go: the allocation's size and alignment, the join
 * block's offset (0: none). */
typedef struct nx_layout {
  size_t size, align, join_off;
} nx_layout;

/* The layout of a task of a valid `desc` (NX_EALIGN, NX_E2BIG). */
static inline int nx_layout_of(const nx_future_desc *desc, bool joinable, nx_layout *l) {
  size_t align = desc->align ? desc->align : 16;
  if ((align & (align - 1)) != 0 || align > NX_TASK_MAX_ALIGN) return NX_EALIGN;
  l->align = align < 16 ? 16 : align;
  l->size = NX_TASK_HEADER_SIZE + nx_round16(desc->size);
  l->join_off = 0;
  if (joinable || desc->output_size != 0) {
    /* a detached task with an output still needs somewhere to write it */
    l->join_off = l->size;
    l->size += sizeof(nx_join_block) + nx_round16(desc->output_size);
    if (l->join_off / 16 > UINT16_MAX) return NX_E2BIG;
  }
  if (l->size > UINT32_MAX) return NX_E2BIG;
  return NX_OK;
}

/* `flags` of a task with layout `l`, without the storage bit. */
static inline uint8_t nx_layout_flags(const nx_layout *l) {
  return (uint8_t)((((unsigned)__builtin_ctzl(l->align) - 3) << NX_TF_ALIGN_SHIFT) |
                   (l->join_off ? NX_TF_JOINABLE : 0));
}

static inline __attribute__((always_inline)) int nx_reserve_generic(nx_executor *ex, unsigned flags, const nx_future_desc *desc,
                              nx_reservation *r) {
  if (r == NULL) return NX_EINVAL;
  r->task = NULL;
  r->state = NULL;
  if (ex == NULL || !nx_desc_valid(desc) ||
      (flags & ~(unsigned)(NX_RESERVE_SLAB | NX_RESERVE_JOINABLE)) != 0)
    return NX_EINVAL;
  if (NX_UNLIKELY(ex->shutting_down || ex->shut)) return NX_ESHUTDOWN;
  if (NX_UNLIKELY(!nx__on_owner(ex))) return NX_EWRONGTHREAD;
  nx_layout l;
  int rc = nx_layout_of(desc, (flags & NX_RESERVE_JOINABLE) != 0, &l);
  if (rc < 0) return rc;
  size_t size = l.size, align = l.align, join_off = l.join_off;
  /* a task in the bounded slab has its slot's entry: no room to make */
  if (!((flags & NX_RESERVE_SLAB) && ex->slab_base != 0) && (rc = nx_make_room(ex)) < 0) return rc;

  void *mem;
  nx_task *t;
  unsigned storage = 0;
  if (flags & NX_RESERVE_SLAB) {
    if (ex->slab == NULL) return NX_EINVAL;
    if (size > ex->slab->slot_size) return NX_E2BIG;
    /* a bounded slab's slots are counted in slab_tasks */
    mem = ex->slab_base != 0 ? nx_slab_take_inline(ex->slab) : nx_slab_alloc_inline(ex->slab);
    if (mem == NULL) return NX_ESLABFULL;
    t = mem;
    if (ex->slab_base != 0) {
      storage = NX_TF_SLAB;
    } else {
      /* an unbounded slab's slots are not numbered: a task there is like
       * one from an allocator (an id from the free list, freed by the
       * slab's allocator table) */
      t->free_fn = ex->slab->table.free;
      t->free_ctx = ex->slab->table.ctx;
      ex->table_used++;
    }
  } else {
    mem = nx_alloc_holding_room(ex, ex->alloc, size, align);
    if (mem == NULL) return NX_ENOMEM;
    t = mem;
    t->free_fn = ex->alloc->free;
    t->free_ctx = ex->alloc->ctx;
  }
  t->poll = desc->poll;
  t->drop = desc->drop;
  atomic_init(&t->state, NX_ST_REF);
  /* cross_next is not initialised: only a push writes it, and only the
   * inbox's consumer reads it, after that push. */
  t->ex = ex;
  t->slot = storage ? nx_table_take_slab(ex, t) : nx_table_fill(ex, t, (uint32_t)size);
  t->join_off16 = (uint16_t)(join_off / 16);
  t->flags = (uint8_t)(storage | nx_layout_flags(&l));
  if (join_off) {
    nx_join_block *jb = nx__task_join(t);
    jb->waiter.task = NULL;
    jb->output_size = (uint32_t)desc->output_size;
  }
  r->task = t;
  r->state = nx__task_state(t);
  return NX_OK;
}

int nx_reserve(nx_executor *ex, unsigned flags, const nx_future_desc *desc, nx_reservation *r) {
  int rc = nx_reserve_generic(ex, flags, desc, r);
  if (rc == NX_OK) {
    memset(r->state, 0, desc->size);
    r->task->queued = NX_Q_RESERVED;
  }
  return rc;
}

static inline void nx_commit(nx_executor *ex, nx_task *t, nx_task_id *id_out, nx_join *join_out) {
  NX_ASSERT(!(t->flags & NX_TF_DONE)); /* `queued` is not written yet on the spawn path */
  if (id_out) *id_out = nx__task_id(ex, t);
  if (join_out) {
    atomic_store_explicit(&t->state, 2 * NX_ST_REF, memory_order_relaxed);
    join_out->task = t;
  }
  t->queued = 1;
  nx__ring_push(ex, t);
}

int nx_reserve_commit(nx_reservation *r, nx_task_id *id_out, nx_join *join_out) {
  if (r == NULL || r->task == NULL) return NX_EINVAL;
  nx_task *t = r->task;
  if (join_out && !(t->flags & NX_TF_JOINABLE)) return NX_EINVAL;
  t->ex->live++;
  nx_commit(t->ex, t, id_out, join_out);
  r->task = NULL;
  r->state = NULL;
  return NX_OK;
}

void nx_reserve_abort(nx_reservation *r) {
  if (r == NULL || r->task == NULL) return;
  nx_task *t = r->task;
  r->task = NULL;
  r->state = NULL;
  nx__task_free_guarded(t->ex, t);
}

/* Every check, in the documented precedence, for any input: the slow path
 * of the spawns below, and the only path for joinable tasks, outputs,
 * alignment above 16 and a table or ring that must grow. */
/* (`flags` last: the fast spawns pass their own arguments on unmoved.) */
static __attribute__((noinline)) int nx_spawn_generic(nx_executor *ex,
                                                     const nx_future_desc *desc,
                                                     const void *init, nx_task_id *id_out,
                                                     nx_join *join_out, unsigned flags) {
  nx_reservation r;
  if (join_out) flags |= NX_RESERVE_JOINABLE;
  int rc = nx_reserve_generic(ex, flags, desc, &r);
  if (NX_UNLIKELY(rc < 0)) return rc;
  if (desc->size != 0) {
    if (init != NULL)
      memcpy(r.state, init, desc->size);
    else
      memset(r.state, 0, desc->size);
  }
  ex->live++;
  nx_commit(ex, r.task, id_out, join_out);
  return NX_OK;
}

/* The fast spawns take only what needs no decision beyond one branch each:
 * a detached task (no join handle) on the owner thread of a running
 * executor whose id table and ready ring have room; through nx_spawn and
 * nx_spawn_slab also only a future with no output and alignment <= 16
 * (stored as 16), through the prepared entries any prepared future.
 * Anything else goes to nx_spawn_generic, which answers exactly as before. */
#define NX_FAST_ALIGNS ((1u << 0) | (1u << 1) | (1u << 2) | (1u << 4) | (1u << 8) | (1u << 16))
#define NX_FAST_FLAGS ((uint8_t)(1u << NX_TF_ALIGN_SHIFT)) /* log2(16) - 3 */
/* The header word of a fast nx_spawn / nx_spawn_slab task, without slot and storage. */
#define NX_FAST_META NX_META(0, 0, 1, NX_FAST_FLAGS)

/* nx_prepared_future.tag_ once nx_future_prepare filled it ("nxpf"). */
#define NX_PREPARED_TAG ((uint32_t)0x6e787066u)

/* Owner thread, no shutdown begun. */
static inline __attribute__((always_inline)) bool nx_spawn_owner_ok(const nx_executor *ex) {
  return atomic_load_explicit(&ex->spawn_owner, memory_order_relaxed) == nx_spawn_marker();
}

/* ... and an id entry without growing (a bounded slab's slots have theirs). */
static inline __attribute__((always_inline)) bool nx_spawn_room_ok(const nx_executor *ex) {
  return nx_spawn_owner_ok(ex) && ex->table_used < ex->room;
}

/* A descriptor the fast nx_spawn / nx_spawn_slab take. */
static inline __attribute__((always_inline)) bool nx_desc_fast_ok(const nx_future_desc *desc) {
  size_t align = desc->align;
  return NX_LIKELY(desc->poll != NULL && desc->output_size == 0 && align <= 16 &&
                   ((NX_FAST_ALIGNS >> align) & 1) != 0);
}

/* Header and ready-ring entry of a task the fast path allocated, whose id
 * entry `slot` is filled. `meta`: the header word without the slot
 * (storage flag included). The state is initialised after the push (no
 * poll can run in between), so the copy is a tail call. */
static inline __attribute__((always_inline)) int nx_spawn_fast_finish(
    nx_executor *ex, nx_task *t, const nx_future_desc *desc, uint64_t meta, uint32_t slot,
    const void *init, nx_task_id *id_out) {
  t->poll = desc->poll;
  t->drop = desc->drop;
  atomic_init(&t->state, NX_ST_REF);
  t->ex = ex;
  if (__builtin_constant_p(meta)) {
    t->slot = slot; /* two stores, the second of a constant */
    t->meta_hi = (uint32_t)(meta >> 32);
  } else {
    t->meta = meta | slot;
  }
  if (meta & NX_META_FLAG(NX_TF_JOINABLE)) {
    /* a detached task with an output: the output's block, nobody waiting */
    nx_join_block *jb = nx__task_join(t);
    jb->waiter.task = NULL;
    jb->output_size = (uint32_t)desc->output_size;
  }
  ex->live++;
  nx__ring_push(ex, t);
  if (id_out) *id_out = nx__task_id(ex, t);
  size_t n = desc->size;
  if (n == 0) return NX_OK;
  if (init != NULL)
    memcpy(nx__task_state(t), init, n);
  else
    memset(nx__task_state(t), 0, n);
  return NX_OK;
}

/* nx_spawn_slab's common case calls nothing (unless the state needs a
 * copy, last): a few loads and compares, a slab pop, the header writes and
 * a ring push, so it needs almost no register saves. One compare says there
 * is a bounded slab with numbered slots and the state fits a slot; an
 * unbounded slab takes the generic path. */
int nx_spawn_slab(nx_executor *ex, const nx_future_desc *desc, const void *init,
                  nx_task_id *id_out, nx_join *join_out) {
  if (NX_LIKELY(ex != NULL) && NX_LIKELY(desc != NULL) && NX_LIKELY(join_out == NULL) &&
      nx_desc_fast_ok(desc) && NX_LIKELY(desc->size < ex->slab_state_end) &&
      NX_LIKELY(nx_spawn_owner_ok(ex)) && NX_LIKELY(ex->slab->free_head != NULL)) {
    nx_task *t = nx_slab_take_inline(ex->slab);
    uint32_t slot = nx_table_take_slab(ex, t);
    return nx_spawn_fast_finish(ex, t, desc, NX_FAST_META | NX_META_FLAG(NX_TF_SLAB), slot,
                                init, id_out);
  }
  return nx_spawn_generic(ex, desc, init, id_out, join_out, NX_RESERVE_SLAB);
}

int nx_spawn(nx_executor *ex, const nx_future_desc *desc, const void *init, nx_task_id *id_out,
             nx_join *join_out) {
  if (NX_LIKELY(ex != NULL && desc != NULL && join_out == NULL && nx_desc_fast_ok(desc) &&
                nx_spawn_room_ok(ex) && desc->size <= ((size_t)1 << 30))) {
    size_t size = NX_TASK_HEADER_SIZE + nx_round16(desc->size);
    const nx_allocator *a = ex->alloc;
    nx_task *t = nx_alloc_holding_room(ex, a, size, 16);
    if (NX_UNLIKELY(t == NULL)) return NX_ENOMEM; /* every other check passed */
    t->free_fn = a->free;
    t->free_ctx = a->ctx;
    uint32_t slot = nx_table_fill(ex, t, (uint32_t)size);
    return nx_spawn_fast_finish(ex, t, desc, NX_FAST_META, slot, init, id_out);
  }
  return nx_spawn_generic(ex, desc, init, id_out, join_out, 0);
}

/* Prepared futures: the descriptor's checks and layout, done once. */

int nx_future_prepare(const nx_future_desc *desc, nx_prepared_future *out) {
  if (out == NULL) return NX_EINVAL;
  memset(out, 0, sizeof *out); /* unprepared until the end */
  if (!nx_desc_valid(desc)) return NX_EINVAL;
  nx_layout l;
  int rc = nx_layout_of(desc, false, &l);
  if (rc < 0) return rc;
  out->desc_ = *desc;
  out->meta_ = NX_META(0, l.join_off / 16, 1, nx_layout_flags(&l));
  out->meta_slab_ = out->meta_ | NX_META_FLAG(NX_TF_SLAB);
  out->size_ = (uint32_t)l.size;
  out->align_ = (uint32_t)l.align;
  out->tag_ = NX_PREPARED_TAG;
  return NX_OK;
}

static inline bool nx_prepared_ok(const nx_executor *ex, const nx_prepared_future *pf) {
  return NX_LIKELY(ex != NULL && pf != NULL && pf->tag_ == NX_PREPARED_TAG);
}

int nx_spawn_slab_prepared(nx_executor *ex, const nx_prepared_future *pf, const void *init,
                           nx_task_id *id_out, nx_join *join_out) {
  if (!nx_prepared_ok(ex, pf)) return NX_EINVAL;
  if (NX_LIKELY(join_out == NULL && pf->size_ < ex->slab_size_end && nx_spawn_owner_ok(ex) &&
                ex->slab->free_head != NULL)) {
    nx_task *t = nx_slab_take_inline(ex->slab);
    uint32_t slot = nx_table_take_slab(ex, t);
    return nx_spawn_fast_finish(ex, t, &pf->desc_, pf->meta_slab_, slot, init, id_out);
  }
  return nx_spawn_generic(ex, &pf->desc_, init, id_out, join_out, NX_RESERVE_SLAB);
}

int nx_spawn_prepared(nx_executor *ex, const nx_prepared_future *pf, const void *init,
                      nx_task_id *id_out, nx_join *join_out) {
  if (!nx_prepared_ok(ex, pf)) return NX_EINVAL;
  if (NX_LIKELY(join_out == NULL && nx_spawn_room_ok(ex))) {
    const nx_allocator *a = ex->alloc;
    nx_task *t = nx_alloc_holding_room(ex, a, pf->size_, pf->align_);
    if (NX_UNLIKELY(t == NULL)) return NX_ENOMEM; /* every other check passed */
    t->free_fn = a->free;
    t->free_ctx = a->ctx;
    uint32_t slot = nx_table_fill(ex, t, pf->size_);
    return nx_spawn_fast_finish(ex, t, &pf->desc_, pf->meta_, slot, init, id_out);
  }
  return nx_spawn_generic(ex, &pf->desc_, init, id_out, join_out, 0);
}

/* ------------------------------------------------------------------------ */
/* Completing a task                                                        */
/* ------------------------------------------------------------------------ */

/* Drops the future, tells the joiner, gives up the executor's reference.
 * DONE is set in `flags` first, so a wake from inside drop_fn (including the
 * task waking itself) is a no-op rather than a dangling ring entry. */
static __attribute__((noinline)) void nx_task_complete_slow(nx_executor *ex, nx_task *t,
                                                           bool cancelled) {
  t->flags |= NX_TF_DONE | (cancelled ? NX_TF_CANCELLED : NX_TF_OUTPUT_SET);
  if (t->drop) t->drop(nx__task_state(t));
  if (t->flags & NX_TF_JOINABLE) nx_waker_wake(&nx__task_join(t)->waiter);
  /* Sole owner and not queued: nobody else can see the task, free it
   * without an atomic read-modify-write. */
  uint64_t s = atomic_load_explicit(&t->state, memory_order_acquire);
  if (NX_LIKELY(s == NX_ST_REF && !t->queued)) {
    nx_task_free_inline(ex, t);
    return;
  }
  ex->stale += t->queued; /* its ring entry is now stale */
  s = atomic_fetch_add_explicit(&t->state, NX_ST_DONE - NX_ST_REF, memory_order_acq_rel);
  NX_ASSERT(NX_ST_REFS(s) != 0 && !(s & NX_ST_DONE)); /* the executor's reference */
  s += NX_ST_DONE - NX_ST_REF;
  if (s == NX_ST_DONE && !t->queued) nx__task_free(ex, t);
}

static inline __attribute__((always_inline)) void nx_task_complete(nx_executor *ex, nx_task *t,
                                                                    bool cancelled) {
  NX_ASSERT(!(t->flags & NX_TF_DONE) && t->queued != NX_Q_RESERVED && ex->live != 0);
  ex->live--;
  /* No drop function, no join block, not queued, and the executor's is the
   * only reference: no code can see the task again, so it is freed without
   * writing DONE or an atomic read-modify-write. (Byte loads, not one load
   * of `meta`: the cycle has just stored `queued`, and a wider load of a
   * narrower pending store stalls store forwarding.) */
  if (NX_LIKELY(t->drop == NULL && (t->queued | (t->flags & NX_TF_JOINABLE)) == 0 &&
                atomic_load_explicit(&t->state, memory_order_acquire) == NX_ST_REF)) {
    nx_task_free_inline(ex, t);
    return;
  }
  nx_task_complete_slow(ex, t, cancelled);
}

/* A completed task came out of the ring or the inbox: free it if that was
 * the last thing keeping it. */
static inline void nx_task_reap(nx_executor *ex, nx_task *t) {
  NX_ASSERT(ex->stale != 0 && (t->flags & NX_TF_DONE) && !t->queued);
  ex->stale--;
  if (atomic_load_explicit(&t->state, memory_order_acquire) == NX_ST_DONE) nx__task_free(ex, t);
}

/* ------------------------------------------------------------------------ */
/* Consistency walks (NX_ASSERT_EXPENSIVE only)                             */
/* ------------------------------------------------------------------------ */

uint32_t nx__ring_count(const nx_executor *ex, const nx_task *t) {
  uint32_t n = 0;
  for (uint32_t i = ex->ring_head; i != ex->ring_tail; i++) n += ex->ring[i & ex->ring_mask] == t;
  return n;
}

/* Every in-use entry names a task that names it back; a bounded slab's
 * slot entries are empty or hold a slab task in that very slot; the free
 * list holds exactly the other entries above them, below the high-water
 * mark; every ring entry is a queued task of this executor, once; the ring
 * has a slot per entry; the counts match. */
bool nx__executor_valid(const nx_executor *ex) {
  uint32_t used = 0, slab_used = 0, reserved = 0, free_len = 0, stale = 0;
  if (ex->slab_base > ex->table_hwm || ex->table_hwm != ex->table_cap ||
      ex->table_cap > ex->ring_mask + 1 || ex->room != ex->table_cap - ex->slab_base)
    return false;
  for (uint32_t i = 0; i < ex->table_hwm; i++) {
    const nx_table_entry *e = &ex->table[i];
    if (!(e->gen & 1)) return false;
    if (i < ex->slab_base) {
      if (e->task == NULL) continue;
      if (!(e->task->flags & NX_TF_SLAB) || nx_slab_index_inline(ex->slab, e->task) != i)
        return false;
      slab_used++;
    } else if (!nx_entry_in_use(e)) {
      if (e->task == NULL) return false; /* a free entry here is on the free list */
      continue;
    } else {
      used++;
    }
    const nx_task *t = e->task;
    if (t->slot != i || t->ex != ex) return false;
    reserved += t->queued == NX_Q_RESERVED;
  }
  for (uint32_t f = ex->table_free; f != NX_TABLE_NONE; f = (uint32_t)((uintptr_t)ex->table[f].task >> 1)) {
    if (f < ex->slab_base || f >= ex->table_hwm || nx_entry_in_use(&ex->table[f]) ||
        ++free_len > ex->table_hwm)
      return false;
  }
  for (uint32_t i = ex->ring_head; i != ex->ring_tail; i++) {
    const nx_task *t = ex->ring[i & ex->ring_mask];
    if (t->queued != 1 || t->ex != ex || nx__ring_count(ex, t) != 1) return false;
    stale += (t->flags & NX_TF_DONE) != 0;
  }
  return used + ex->in_alloc == ex->table_used && slab_used == ex->slab_tasks &&
         used + free_len == ex->table_hwm - ex->slab_base &&
         ex->live <= used + slab_used - reserved && stale == ex->stale;
}

/* ------------------------------------------------------------------------ */
/* The run loop                                                             */
/* ------------------------------------------------------------------------ */

static void nx_drain_inbox(nx_executor *ex) {
  /* The newest task's header was written last by its waker: fetch it during
   * the exchange instead of after it (a hint: a stale pointer is harmless). */
  nx__prefetch_for_write(atomic_load_explicit(&ex->inbox.head, memory_order_relaxed));
  nx_task *next;
  for (nx_task *t = nx__inbox_take(&ex->inbox); t != NULL; t = next) {
    next = atomic_load_explicit(&t->cross_next, memory_order_relaxed); /* t may be freed */
    if (next != NULL) nx__prefetch_for_write(next);
    uint64_t s = atomic_fetch_and_explicit(&t->state, ~NX_ST_INBOX, memory_order_acq_rel);
    NX_ASSERT(s & NX_ST_INBOX); /* only the CAS that set INBOX links a task */
    s &= ~NX_ST_INBOX;
    if (s & NX_ST_DONE) {
      if (s == NX_ST_DONE && !t->queued) nx__task_free(ex, t);
    } else if (!t->queued) {
      t->queued = 1;
      nx__ring_push(ex, t);
    }
  }
}

/* The run loop's entry checks, in the documented precedence. `in_run` and
 * `in_alloc` (not cx.task, which is NULL while a drop function or a service
 * hook runs) say the loop or a callback is on the stack. */
static inline int nx_check_runnable(nx_executor *ex) {
  if (ex == NULL) return NX_EINVAL;
  if (NX_UNLIKELY(ex->shut || ex->shutting_down)) return NX_ESHUTDOWN;
  if (NX_UNLIKELY(!nx__on_owner(ex))) return NX_EWRONGTHREAD;
  if (NX_UNLIKELY(ex->in_run | (ex->in_alloc != 0))) return NX_EBUSY;
  return NX_OK;
}

/* How often a cycle polls epoll without blocking while IO is registered. */
#define NX_EVENT_INTERVAL 61

/* Completed tasks keep their ready-ring entry (so the ring never points at
 * freed memory) until the ring reaches it; pop such entries off the front
 * eagerly so the common cases (a task that woke itself in its last poll, a
 * queued task cancelled) free their slot at once. */
static void nx_reap_front(nx_executor *ex) {
  while (ex->stale != 0 && ex->ring_head != ex->ring_tail) {
    nx_task *t = ex->ring[ex->ring_head & ex->ring_mask];
    if (NX_LIKELY(!(t->flags & NX_TF_DONE))) return;
    ex->ring_head++;
    t->queued = 0;
    nx_task_reap(ex, t);
  }
}

/* The end of a cycle when services, IO or stale entries need attention.
 * A service is called only if it has a per-cycle hook and work for it. */
static void nx_run_cycle_slow(nx_executor *ex) {
  if (ex->polled_services != 0)
    for (nx_service *s = ex->services; s != NULL; s = s->next)
      if (s->ops->poll != NULL && (s->work == NULL || *s->work != 0)) s->ops->poll(s, ex);
  if (ex->epoll_sources != 0 && ++ex->cycle >= NX_EVENT_INTERVAL) {
    ex->cycle = 0;
    nx__poll_events(ex, 0);
  }
  nx_reap_front(ex);
}

static inline __attribute__((always_inline)) int nx_run_cycle(nx_executor *ex) {
  if (nx__inbox_peek(&ex->inbox)) nx_drain_inbox(ex);
  uint32_t n = ex->ring_tail - ex->ring_head;
  if (n > ex->tasks_per_cycle) n = ex->tasks_per_cycle;
  uint32_t polls = n; /* less one per reaped entry */
  /* cx.task is the task being polled, NULL whenever other code may run (a
   * drop function, an allocator's free, a service hook); a pending poll
   * leaves it set until the next poll or the end of the loop. */
  for (uint32_t i = 0; i < n; i++) {
    nx_task *t = ex->ring[ex->ring_head++ & ex->ring_mask];
    NX_ASSERT(t->queued == 1 && t->ex == ex);
    t->queued = 0;
    if (NX_UNLIKELY(t->flags & NX_TF_DONE)) {
      ex->cx.task = NULL;
      polls--;
      nx_task_reap(ex, t);
      continue;
    }
    ex->cx.task = t;
    nx_poll r = t->poll(nx__task_state(t), &ex->cx);
    if (r != NX_PENDING) {
      ex->cx.task = NULL;
      nx_task_complete(ex, t, false);
    } else if (NX_UNLIKELY(t->flags & NX_TF_CANCEL_PENDING)) {
      ex->cx.task = NULL;
      nx_task_complete(ex, t, true);
    }
  }
  ex->cx.task = NULL;
  if (NX_UNLIKELY((ex->polled_services | ex->epoll_sources | ex->stale) != 0))
    nx_run_cycle_slow(ex);
  NX_ASSERT_EXPENSIVE(nx__executor_valid(ex));
  return (int)polls;
}

int nx_run_once(nx_executor *ex) {
  int rc = nx_check_runnable(ex);
  if (rc < 0) return rc;
  ex->in_run = true;
  rc = nx_run_cycle(ex);
  ex->in_run = false;
  return rc;
}

static inline bool nx_idle(nx_executor *ex) {
  return ex->ring_head == ex->ring_tail && !nx__inbox_peek(&ex->inbox);
}

static inline bool nx_mode_valid(nx_run_mode mode) {
  return mode == NX_RUN_PARKED || mode == NX_RUN_BUSY || mode == NX_RUN_SPIN_PARK;
}

int nx_run(nx_executor *ex, nx_run_mode mode) {
  if (!nx_mode_valid(mode)) return NX_EINVAL;
  int rc = nx_check_runnable(ex);
  if (rc < 0) return rc;
  ex->in_run = true;
  while (ex->live != 0) {
    nx_run_cycle(ex);
    if (ex->live != 0 && nx_idle(ex)) nx__wait_for_work(ex, mode);
  }
  /* Leave no entry of a completed task behind in the ring. */
  while (ex->ring_head != ex->ring_tail) nx_run_cycle(ex);
  nx__idle_end(ex);
  ex->in_run = false;
  return NX_OK;
}

int nx_block_on(nx_executor *ex, nx_run_mode mode, const nx_future_desc *desc, const void *init,
                void *out, size_t out_size) {
  if (!nx_mode_valid(mode) || desc == NULL || desc->poll == NULL)
    return NX_EINVAL;
  int rc = nx_check_runnable(ex);
  if (rc < 0) return rc;
  nx_join root;
  rc = nx_spawn(ex, desc, init, NULL, &root);
  if (rc < 0) return rc;
  ex->in_run = true;
  for (;;) {
    rc = nx_join_try(&root, out, out_size);
    if (rc != NX_PENDING) break;
    nx_run_cycle(ex);
    if (nx_idle(ex)) {
      rc = nx_join_try(&root, out, out_size);
      if (rc != NX_PENDING) break;
      nx__wait_for_work(ex, mode);
    }
  }
  nx__idle_end(ex);
  ex->in_run = false;
  return rc == NX_READY ? NX_OK : rc;
}

/* ------------------------------------------------------------------------ */
/* Cancel and queries                                                       */
/* ------------------------------------------------------------------------ */

int nx_cancel(nx_executor *ex, nx_task_id id) {
  if (ex == NULL) return NX_EINVAL;
  if (ex->shut || ex->shutting_down) return NX_ESHUTDOWN;
  if (!nx__on_owner(ex)) return NX_EWRONGTHREAD;
  uint32_t slot = (uint32_t)id, gen = (uint32_t)(id >> 32);
  if (slot >= ex->table_hwm) return NX_ESTALE;
  nx_table_entry *e = &ex->table[slot];
  if (!nx_entry_in_use(e) || e->gen != gen) return NX_ESTALE;
  nx_task *t = e->task;
  NX_ASSERT(t->slot == slot && t->ex == ex);
  if (t->queued == NX_Q_RESERVED) return NX_ESTALE; /* no id was handed out yet */
  if (t->flags & NX_TF_DONE) return NX_EALREADY;
  if (t == ex->cx.task) {
    t->flags |= NX_TF_CANCEL_PENDING;
    return NX_OK;
  }
  /* The drop function runs now: it is a callback like a poll, so the run
   * loop refuses to start under it. Only the outermost caller may reap the
   * queue front: a running cycle has counted those entries. */
  bool outer = !ex->in_run;
  ex->in_run = true;
  nx_task_complete(ex, t, true);
  if (outer) {
    nx_reap_front(ex);
    ex->in_run = false;
  }
  return NX_OK;
}

/* Is the calling thread the one freeing task storage under the lock (so
 * this call comes from inside an allocator's free)? */
static inline bool nx_freeing_here(const nx_executor *ex) {
  return atomic_load_explicit(&ex->freeing, memory_order_relaxed) == nx__thread_marker();
}

size_t nx_executor_live_tasks(const nx_executor *ex) { return ex ? ex->live : 0; }
size_t nx_executor_allocated_tasks(const nx_executor *ex) {
  if (ex == NULL) return 0;
  if (!ex->shut || nx_freeing_here(ex))
    return (size_t)ex->table_used + ex->slab_tasks - ex->in_alloc;
  /* After shutdown other threads free orphans under the lock. */
  nx_executor *mut = (nx_executor *)ex;
  pthread_mutex_lock(&mut->lock);
  size_t n = (size_t)ex->table_used + ex->slab_tasks;
  pthread_mutex_unlock(&mut->lock);
  return n;
}
nx_slab *nx_executor_slab(nx_executor *ex) { return ex ? ex->slab : NULL; }

size_t nx_executor_held_tasks(const nx_executor *ex) {
  if (ex == NULL) return 0;
  nx_executor *mut = (nx_executor *)ex;
  bool lock = ex->shut && !nx_freeing_here(ex); /* other threads free orphans */
  if (lock) pthread_mutex_lock(&mut->lock);
  size_t n = 0;
  for (uint32_t i = 0; i < ex->table_hwm; i++) {
    const nx_table_entry *e = &ex->table[i];
    if (!nx_entry_in_use(e) || e->task->queued == NX_Q_RESERVED) continue;
    uint64_t s = atomic_load_explicit(&e->task->state, memory_order_acquire);
    n += (s & NX_ST_DONE) && NX_ST_REFS(s) != 0;
  }
  if (lock) pthread_mutex_unlock(&mut->lock);
  return n;
}

void nx__executor_add_service(nx_executor *ex, nx_service *s) {
  s->next = ex->services;
  ex->services = s;
  ex->polled_services += s->ops->poll != NULL;
}

void nx__executor_remove_service(nx_executor *ex, nx_service *s) {
  for (nx_service **p = &ex->services; *p != NULL; p = &(*p)->next) {
    if (*p == s) {
      *p = s->next;
      ex->polled_services -= s->ops->poll != NULL;
      return;
    }
  }
}

/* ------------------------------------------------------------------------ */
/* Shutdown and destroy                                                     */
/* ------------------------------------------------------------------------ */

/* Frees what is left once no thread can reach the executor any more. */
static void nx_final_release(nx_executor *ex) {
  atomic_store_explicit(&ex->freeing, nx__thread_marker(), memory_order_relaxed);
  for (uint32_t i = 0; i < ex->table_hwm; i++) {
    nx_table_entry *e = &ex->table[i];
    if (nx_entry_in_use(e)) nx__task_free(ex, e->task);
  }
  nx_slab_destroy(ex->slab);
  close(ex->epfd);
  close(ex->evfd);
  pthread_mutex_destroy(&ex->lock);
  free(ex->ring);
  free(ex->table);
  free(ex);
}

int nx_executor_shutdown(nx_executor *ex) {
  if (ex == NULL) return NX_EINVAL;
  if (!nx__on_owner(ex)) {
    /* `shut` is written under the lock: read it there from other threads
     * (and from the old owner, which stops being owner at shutdown). */
    if (nx_freeing_here(ex)) return ex->shut ? NX_OK : NX_EBUSY;
    pthread_mutex_lock(&ex->lock);
    bool shut = ex->shut;
    pthread_mutex_unlock(&ex->lock);
    return shut ? NX_OK : NX_EWRONGTHREAD;
  }
  if (ex->in_run || ex->in_alloc != 0 || ex->shutting_down) return NX_EBUSY;
  ex->shutting_down = true;
  atomic_store_explicit(&ex->spawn_owner, NULL, memory_order_relaxed);

  /* 1. Services let go of the wakers they hold; every live future is
   *    dropped. Wakes meanwhile go to the ring, which is discarded below. */
  for (nx_service *s = ex->services, *next; s != NULL; s = next) {
    next = s->next; /* the hook may free the service */
    if (s->ops->shutdown) s->ops->shutdown(s, ex);
  }
  for (uint32_t i = 0; i < ex->table_hwm; i++) {
    nx_table_entry *e = &ex->table[i];
    if (!nx_entry_in_use(e)) continue;
    nx_task *t = e->task;
    if (t->queued == NX_Q_RESERVED)
      nx__task_free(ex, t);
    else if (!(t->flags & NX_TF_DONE))
      nx_task_complete(ex, t, true);
  }

  /* 2. From here every waker operation takes the cross-thread path, which
   *    sees `dead` under the lock. */
  pthread_mutex_lock(&ex->lock);
  atomic_store_explicit(&ex->freeing, nx__thread_marker(), memory_order_relaxed);
  ex->dead = true;
  atomic_store_explicit(&ex->owner, NULL, memory_order_relaxed);
  for (nx_task *t = nx__inbox_take(&ex->inbox), *next; t != NULL; t = next) {
    next = atomic_load_explicit(&t->cross_next, memory_order_relaxed);
    atomic_fetch_and_explicit(&t->state, ~NX_ST_INBOX, memory_order_acq_rel);
  }
  while (ex->ring_head != ex->ring_tail) ex->ring[ex->ring_head++ & ex->ring_mask]->queued = 0;
  ex->stale = 0;

  /* 3. Free what nobody references; count orphans that wakers still hold.
   *    A task still flagged INBOX is being pushed by a thread that passed the
   *    DONE check before step 1 (it holds a reference, or hands the last one
   *    back under the lock): it is freed only when that is over. */
  for (uint32_t i = 0; i < ex->table_hwm; i++) {
    nx_table_entry *e = &ex->table[i];
    if (!nx_entry_in_use(e)) continue;
    uint64_t s = atomic_load_explicit(&e->task->state, memory_order_acquire);
    if (s == NX_ST_DONE)
      nx__task_free(ex, e->task);
    else if (NX_ST_REFS(s) != 0)
      ex->holds++;
  }
  ex->shut = true;
  ex->shutting_down = false;
  atomic_store_explicit(&ex->freeing, NULL, memory_order_relaxed);
  pthread_mutex_unlock(&ex->lock);
  return NX_OK;
}

void nx_executor_destroy(nx_executor *ex) {
  if (ex == NULL || nx_freeing_here(ex)) return;
  if (nx_executor_shutdown(ex) < 0) {
    /* Called from a callback or from the wrong thread: refusing is the only
     * safe answer; the executor stays usable. */
    return;
  }
  pthread_mutex_lock(&ex->lock);
#ifndef NDEBUG
  if (ex->holds > 1)
    fprintf(stderr,
            "nxrt: nx_executor_destroy: %zu completed task(s) still held by join handles or "
            "wakers; the executor's memory stays allocated until they are released "
            "(nx_join_try / nx_join_detach / nx_waker_drop)\n",
            ex->holds - 1);
#endif
  bool last = --ex->holds == 0;
  pthread_mutex_unlock(&ex->lock);
  if (last) nx_final_release(ex);
}

/* A waker's last reference to a DONE task is dropped off the executor
 * thread (or after shutdown). Runs with the only reference, so the refcount
 * cannot change under us; INBOX can (the executor drains concurrently). */
void nx__ref_drop_slow(nx_task *t, uint64_t s) {
  nx_executor *ex = t->ex;
  NX_ASSERT((s & NX_ST_DONE) && NX_ST_REFS(s) == 1);
  pthread_mutex_lock(&ex->lock);
  if (!ex->dead) {
    /* Hand the slot back to the executor thread through the inbox: only
     * that thread frees into a (single-threaded) allocator. */
    bool push;
    uint64_t n;
    do {
      push = !(s & NX_ST_INBOX);
      n = (s - NX_ST_REF) | NX_ST_INBOX;
    } while (!atomic_compare_exchange_weak_explicit(&t->state, &s, n, memory_order_acq_rel,
                                                    memory_order_relaxed));
    if (push) {
      nx__inbox_push(&ex->inbox, t);
      if (atomic_load_explicit(&ex->inbox.parked, memory_order_seq_cst)) nx__unpark(ex);
    }
    pthread_mutex_unlock(&ex->lock);
    return;
  }
  s = atomic_fetch_sub_explicit(&t->state, NX_ST_REF, memory_order_acq_rel) - NX_ST_REF;
  if (!(s & NX_ST_INBOX)) {
    atomic_store_explicit(&ex->freeing, nx__thread_marker(), memory_order_relaxed);
    nx__task_free(ex, t);
    atomic_store_explicit(&ex->freeing, NULL, memory_order_relaxed);
  }
  bool last = --ex->holds == 0;
  pthread_mutex_unlock(&ex->lock);
  if (last) nx_final_release(ex);
}

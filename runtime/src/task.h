/* Task storage: one allocation = a 64-byte header followed by the future's
 * state (and, for joinable tasks, a join block holding the output).
 *
 * The task pointer is the task handle, the waker's data and the ready-queue
 * entry. Nothing else describes a task, except one entry in the executor's
 * id table (slot index + generation + allocation size), which exists so
 * that stale ids are detected and shutdown can find every task. A task in
 * the executor's bounded slab has the entry of its slab slot's index.
 *
 * Layout (x86-64 / any LP64 target):
 *
 *   offset  size  field        who writes it
 *        0     8  poll         spawn
 *        8     8  drop         spawn (NULL: nothing to release)
 *       16     8  free_fn      spawn: frees the whole allocation (not set for
 *                              a task in the executor's own bounded slab:
 *                              NX_TF_SLAB)
 *       24     8  free_ctx     spawn: the allocator's ctx (heap, arena, ...)
 *       32     8  state        atomic: refs << 2 | DONE | INBOX  (any thread)
 *       40     8  cross_next   atomic: inbox link (producers, then consumer)
 *       48     8  ex           spawn: the executor (outlives its wakers)
 *       56     4  slot         spawn: index in the id table
 *       60     2  join_off16   offset of the join block / 16 (0: none)
 *       62     1  queued       executor thread only: in the ready ring
 *       63     1  flags        executor thread only: NX_TF_*
 *       56     8  meta         the four fields above as one word (a union)
 *       64     -  future state (offset 64 honours any alignment <= 64,
 *                 because the allocation is aligned to the future's alignment)
 *
 * The header is 64 bytes, one cache line when the allocation is 64-aligned
 * (the slab's slots always are): a cross-thread wake then dirties exactly
 * this line (state CAS + cross_next) plus the inbox head line. An allocator
 * that returns 16-aligned storage (glibc malloc) may split it over two
 * lines, and a remote wake then waits for both: cross_wake_busy shows the
 * difference between the slab and malloc rows. Asking every allocator for
 * 64 bytes' alignment would make spawn through glibc's aligned allocation
 * much slower than that difference.
 *
 * `state` packs everything another thread may race on, so one CAS decides:
 *   bit 0  INBOX  the task is linked in (or being pushed onto) the inbox;
 *                 set only by the CAS that wins, so a task is never linked
 *                 twice; the inbox keeps the storage alive while set.
 *   bit 1  DONE   the future was dropped (completed, cancelled or shut down).
 *   2..63 refs    1 for the executor while the task is live, +1 per waker
 *                 clone, +1 per join handle. 62 bits: cannot overflow.
 * The storage is freed when state == DONE exactly (no refs, not in the
 * inbox) and the task is not in the ready ring (`queued`).
 *
 * `queued` is deliberately a separate plain byte: the executor thread's own
 * wakes (the hot path) need no atomic read-modify-write. A task may sit in
 * the ready ring (queued) and in the inbox (INBOX) at once; draining the
 * inbox checks `queued` so it is never in the ring twice, and `queued` is
 * cleared before each poll so a wake during the poll re-queues it.
 */
#ifndef NXRT_TASK_H
#define NXRT_TASK_H

#include "nxrt.h"

#include <assert.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define NX_ST_INBOX ((uint64_t)1)
#define NX_ST_DONE ((uint64_t)2)
#define NX_ST_REF ((uint64_t)4)
#define NX_ST_REFS(s) ((s) >> 2)

/* flags (executor thread only) */
#define NX_TF_JOINABLE 0x01u       /* has a join block */
#define NX_TF_DONE 0x02u           /* mirror of ST_DONE readable without atomics */
#define NX_TF_CANCELLED 0x04u      /* completed by cancel/shutdown, not by READY */
#define NX_TF_CANCEL_PENDING 0x08u /* nx_cancel() called on the task being polled */
#define NX_TF_OUTPUT_SET 0x10u     /* returned READY: the output is valid */
#define NX_TF_SLAB 0x20u           /* storage and id entry: a slot of the executor's
                                      own bounded slab and that slot's entry */
#define NX_TF_ALIGN_SHIFT 6        /* bits 6..7: log2(alloc align) - 3 (16..64) */

#define NX_TASK_HEADER_SIZE 64
#define NX_TASK_MAX_ALIGN 64

struct nx_task {
  nx_poll_fn poll;
  nx_drop_fn drop;
  void (*free_fn)(void *ctx, void *ptr, size_t size, size_t align);
  void *free_ctx;
  _Atomic uint64_t state;
  _Atomic(struct nx_task *) cross_next;
  struct nx_executor *ex;
  union {
    struct {
      uint32_t slot;
      uint16_t join_off16;
      uint8_t queued;
      uint8_t flags;
    };
    /* The four fields above as one word: spawn writes them with one store
     * (NX_META). Read the fields, not the word, after a store to one of
     * them: a wide load of a pending narrow store stalls store forwarding. */
    uint64_t meta;
    /* join_off16, queued and flags as one word: a spawn whose header word
     * is a constant writes it and `slot` with two stores and no OR. */
    struct {
      uint32_t meta_lo_;
      uint32_t meta_hi;
    };
  };
};

static_assert(offsetof(struct nx_task, poll) == 0, "poll at 0");
static_assert(offsetof(struct nx_task, drop) == 8, "drop at 8");
static_assert(offsetof(struct nx_task, free_fn) == 16, "free_fn at 16");
static_assert(offsetof(struct nx_task, free_ctx) == 24, "free_ctx at 24");
static_assert(offsetof(struct nx_task, state) == 32, "state at 32");
static_assert(offsetof(struct nx_task, cross_next) == 40, "cross_next at 40");
static_assert(offsetof(struct nx_task, ex) == 48, "ex at 48");
static_assert(offsetof(struct nx_task, slot) == 56, "slot at 56");
static_assert(offsetof(struct nx_task, join_off16) == 60, "join_off16 at 60");
static_assert(offsetof(struct nx_task, queued) == 62, "queued at 62");
static_assert(offsetof(struct nx_task, flags) == 63, "flags at 63");
static_assert(offsetof(struct nx_task, meta) == 56, "meta (slot..flags as one word) at 56");
static_assert(offsetof(struct nx_task, meta_hi) == 60, "meta_hi (join_off16..flags) at 60");
static_assert(sizeof(struct nx_task) == NX_TASK_HEADER_SIZE, "header is one cache line");
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "NX_META_* assume little-endian");

/* `meta` built from its fields, and the masks of its fields. */
#define NX_META(slot, join_off16, queued, flags)                             \
  ((uint64_t)(uint32_t)(slot) | ((uint64_t)(uint16_t)(join_off16) << 32) | \
   ((uint64_t)(uint8_t)(queued) << 48) | ((uint64_t)(uint8_t)(flags) << 56))
#define NX_META_FLAG(f) NX_META(0, 0, 0, (f))
static_assert(sizeof(_Atomic uint64_t) == 8, "lock-free 64-bit state");

/* The join block of a joinable task, at task + join_off16 * 16. */
typedef struct nx_join_block {
  nx_waker waiter;        /* clone of the awaiting task's waker, or empty */
  uint32_t output_size;
  uint32_t reserved;
  alignas(16) unsigned char output[];
} nx_join_block;
static_assert(offsetof(nx_join_block, output) == 16, "output at 16");

static inline void *nx__task_state(nx_task *t) {
  return (char *)t + NX_TASK_HEADER_SIZE;
}

static inline nx_join_block *nx__task_join(nx_task *t) {
  return t->join_off16 ? (nx_join_block *)((char *)t + (size_t)t->join_off16 * 16) : NULL;
}

static inline size_t nx__task_align(const nx_task *t) {
  return (size_t)8 << (t->flags >> NX_TF_ALIGN_SHIFT);
}

#endif /* NXRT_TASK_H */

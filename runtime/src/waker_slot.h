/* A waker slot a future keeps for the task that polls it (a channel's
 * receiver, an IO side, a join, a timer). Not public. */
#ifndef NXRT_WAKER_SLOT_H
#define NXRT_WAKER_SLOT_H

#include "executor.h"

/* Stores a clone of the polling task's waker in `slot` unless it already
 * holds that task (then nothing happens: no clone per poll). A slot holding
 * another task's waker drops it first. On the executor's thread only. */
static inline void nx__waker_store(nx_waker *slot, nx_cx *cx) {
  if (slot->task == cx->task) return;
  nx_waker_drop(slot);
  nx_waker self = {cx->task};
  nx_waker_clone(&self, slot);
}

#endif /* NXRT_WAKER_SLOT_H */

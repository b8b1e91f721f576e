/* Atomic waker: a single waker slot shared by a registering side (a task
 * about to return NX_PENDING) and waking sides on any thread. The same
 * state machine as futures-rs' AtomicWaker:
 *
 *   WAITING      idle; the slot may hold a waker
 *   REGISTERING  the registrant owns the slot and is writing it
 *   WAKING       a waker owns the slot and is taking it out
 *
 * Why no wake is lost. The waking side first publishes its condition (a
 * queued value, a closed flag), then runs wake(): W1 fetch_or(WAKING), and if
 * it saw WAITING, takes the waker and W2 fetch_and(~WAKING). The registrant
 * runs R1 CAS(WAITING -> REGISTERING), writes the slot, R2 CAS(REGISTERING
 * -> WAITING), and then re-checks the condition. All four are read-modify-
 * writes on `state`, so they are totally ordered (modification order) and
 * each reads the value right before it:
 *   - W1 after R2: W1 reads WAITING; R2 (release) -> W1 (acquire), so the
 *     waker written before R2 is visible and W1's side wakes it.
 *   - W1 before R1: R1 reads W2's value, or W1's if W1 saw a busy slot and
 *     another waker's W2 comes later: either way a value in the release
 *     sequence headed by W1 (C11 7.17.4: later RMWs continue it). R1 is an
 *     acquire, so the condition published before W1 happens-before the
 *     re-check, which sees it. If R1 reads WAKING itself it fails and the
 *     registrant wakes its own task (it is polled again and re-checks).
 *   - W1 between R1 and R2: R2 reads REGISTERING|WAKING and fails; the
 *     registrant takes the waker back out and wakes it itself.
 * So acquire/release RMWs suffice; no seq_cst fence is needed because both
 * sides always write `state` (a waker never "just looks").
 */
#include "services.h"

enum { NX_AW_WAITING = 0, NX_AW_REGISTERING = 1, NX_AW_WAKING = 2 };

void nx__atomic_waker_init(nx_atomic_waker *aw) {
  atomic_init(&aw->state, NX_AW_WAITING);
  aw->waker.task = NULL;
}

int nx__atomic_waker_register(nx_atomic_waker *aw, const nx_waker *w) {
  if (w == NULL || w->task == NULL) return NX_EINVAL;
  unsigned expected = NX_AW_WAITING;
  if (atomic_compare_exchange_strong_explicit(&aw->state, &expected, NX_AW_REGISTERING,
                                              memory_order_acquire, memory_order_acquire)) {
    nx_waker old = {NULL};
    if (aw->waker.task != w->task) {
      old = aw->waker;
      nx_waker_clone(w, &aw->waker);
    }
    expected = NX_AW_REGISTERING;
    if (!atomic_compare_exchange_strong_explicit(&aw->state, &expected, NX_AW_WAITING,
                                                 memory_order_acq_rel, memory_order_acquire)) {
      /* A wake arrived while we wrote the slot: it could not take the waker,
       * so deliver it ourselves. */
      nx_waker mine = aw->waker;
      aw->waker.task = NULL;
      atomic_exchange_explicit(&aw->state, NX_AW_WAITING, memory_order_acq_rel);
      nx_waker_wake(&mine);
    }
    nx_waker_drop(&old);
  } else if (expected & NX_AW_WAKING) {
    /* A wake is running right now and may have taken an older waker (or
     * none): poll again rather than risk missing it. */
    nx_waker_wake_by_ref(w);
  }
  /* REGISTERING seen: two registrants at once, a caller bug (one receiver). */
  return NX_OK;
}

/* Takes the waker out if no one else holds the slot. */
static nx_waker nx_atomic_waker_take(nx_atomic_waker *aw) {
  nx_waker w = {NULL};
  unsigned prev = atomic_fetch_or_explicit(&aw->state, NX_AW_WAKING, memory_order_acq_rel);
  if (prev == NX_AW_WAITING) {
    w = aw->waker;
    aw->waker.task = NULL;
    atomic_fetch_and_explicit(&aw->state, ~(unsigned)NX_AW_WAKING, memory_order_release);
  }
  return w;
}

void nx__atomic_waker_wake(nx_atomic_waker *aw) {
  nx_waker w = nx_atomic_waker_take(aw);
  nx_waker_wake(&w);
}

void nx__atomic_waker_clear(nx_atomic_waker *aw) {
  nx_waker w = nx_atomic_waker_take(aw);
  nx_waker_drop(&w);
}

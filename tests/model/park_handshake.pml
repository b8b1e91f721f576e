/* The park/unpark handshake of runtime/src/park.c, as a Promela model that
 * spin explores exhaustively (every interleaving of one executor and NPROD
 * producers, each waking ROUNDS times).
 *
 * Why a model and not only a C stress test: the lost wakeup needs a
 * producer to act in a window of a few instructions; a stress test hits it
 * by luck, spin enumerates it. The real code makes all four handshake
 * operations seq_cst, so an interleaving (sequentially consistent) model is
 * faithful to it; the broken variants model what weaker orderings allow as
 * a reordering of one load above one store.
 *
 * The code being modelled (park.c, inbox.h, waker.c):
 *   executor: E1 parked = 1 (seq_cst store)
 *             E2 load inbox tail (seq_cst): non-empty -> parked = 0, run
 *             E3 epoll_wait on the eventfd (no timeout), then parked = 0
 *   producer: P1 exchange inbox tail (seq_cst), then link the node
 *             P2 load parked (seq_cst)
 *             P3 if 1: exchange parked = 0; if that returned 1, write eventfd
 *
 * The eventfd is edge-triggered and never read: each write is one more edge;
 * an epoll_wait returns when at least one edge is pending and consumes them.
 *
 * Property (an end-state assertion, checked by the Watchdog process): when
 * nothing in the system can move any more (spin's `timeout`), every pushed
 * node was drained. A violation is exactly a lost wakeup: the executor
 * asleep in E3 with a non-empty inbox and nobody left to write the eventfd.
 *
 * Spin-then-park (NX_RUN_SPIN_PARK): before E1 the executor spins, reading
 * the inbox (S1) up to SPIN times; work seen -> it runs; budget spent -> E1.
 * A producer may act while the executor spins (parked == 0: no eventfd
 * write), while it is between the spin and E1, or while it sleeps. Timed
 * sleeps (a timer deadline, or an early wake before one, then a spin to the
 * deadline): with TIMED=n, E3 may also return by itself, up to n times.
 *
 * Variants (spin -D...):
 *   (none)            the real handshake: spin must find no error.
 *   BROKEN_PRODUCER   P2 moved above P1 (the seed's producer: with only
 *                     acquire/release the load of `parked` may be satisfied
 *                     before the push is visible): spin must find the hang.
 *   BROKEN_EXECUTOR   E2 moved above E1 (the seed's executor: parked = 1
 *                     with release, then the inbox loads): likewise.
 *   BROKEN_SPIN       with SPIN > 0: the executor trusts its last spin read
 *                     and sleeps without E2 (E1 then E3): likewise.
 * tests/model/run_spin.cmake runs all three and fails unless the real one
 * passes AND both broken ones are rejected, so the model can fail.
 */

#ifndef NPROD
#define NPROD 2
#endif
#ifndef ROUNDS
#define ROUNDS 2
#endif
#ifndef SPIN
#define SPIN 0   /* inbox reads of the spin phase before E1 (0: NX_RUN_PARKED) */
#endif

bit parked = 0;   /* ex->inbox.parked */
byte tail = 0;    /* nodes pushed: every P1 exchange moves the tail */
byte linked = 0;  /* nodes whose link store is done */
byte popped = 0;  /* nodes the executor drained */
byte events = 0;  /* eventfd edges not yet consumed by epoll_wait */
bit asleep = 0;   /* the executor is inside epoll_wait */

active proctype Executor() {
  byte spins = 0;
  byte timeouts = 0;
  do
  :: /* A cycle drains the inbox. Vyukov's pop cannot get past a node whose
      * link is not stored yet; modelled conservatively: it drains only when
      * no push is half done (it never parks meanwhile: see E2). */
     atomic { tail == linked && linked > popped -> popped = linked }
  :: /* The run loop found nothing ready and tries to park. Unguarded: the
      * run loop's own emptiness check is a relaxed load that may be stale,
      * so the park attempt may start at any time; E2 must catch that. */
     true ->
     /* S1: the spin phase. parked stays 0: producers make no syscall. */
     spins = 0;
     do
     :: spins < SPIN ->
        if
        :: tail != popped -> goto next  /* work seen while spinning: run */
        :: else -> spins++
        fi
     :: else -> break
     od;
#if defined(BROKEN_SPIN)
     parked = 1;                        /* E1, but no E2: the spin "just checked" */
#elif defined(BROKEN_EXECUTOR)
     if
     :: tail != popped -> goto next     /* E2, reordered above E1 */
     :: else -> skip
     fi;
     parked = 1;                        /* E1 */
#else
     parked = 1;                        /* E1 */
     if
     :: tail != popped -> parked = 0; goto next   /* E2: work arrived, do not sleep */
     :: else -> skip
     fi;
#endif
     asleep = 1;
end_sleep:                              /* a valid place to stop only if no work is left */
#ifdef TIMED
     if
     :: atomic { events > 0 -> events = 0 }  /* E3: woken by the eventfd */
     :: timeouts < TIMED -> timeouts++      /* E3: the deadline passed (a
                                               bounded number of times, so the
                                               system can still come to rest) */
     fi;
#else
     atomic { events > 0 -> events = 0 }  /* E3: epoll_wait, no timeout */
#endif
     asleep = 0;
     parked = 0;
next: skip
  od
}

active [NPROD] proctype Producer() {
  byte r = 0;
  bit want = 0;
  bit was = 0;
  do
  :: r < ROUNDS ->
#ifdef BROKEN_PRODUCER
     want = parked;                     /* P2, reordered above P1 */
     tail++;                            /* P1 */
     linked++;
#else
     tail++;                            /* P1: the push's exchange of the tail */
     linked++;                          /*     then the link store */
     want = parked;                     /* P2 */
#endif
     if
     :: want ->
        atomic { was = parked; parked = 0 };   /* P3: only one producer pays the write */
        if
        :: was -> events++              /* write(evfd) */
        :: else -> skip
        fi
     :: else -> skip
     fi;
     r++
  :: else -> break
  od
}

/* Runs once nothing else can move: then no pushed node may be left behind. */
active proctype Watchdog() {
  timeout ->
    assert(popped == tail)
}

/* Coverage-guided fuzz target: a byte string is read as a sequence of API
 * calls on one executor (spawn boxed/slab/reserve, wake, clone, drop, cancel,
 * run_once, join try/detach, channel send/recv/close, sleep and timeout
 * futures, shutdown, destroy), and every task's poll and drop function makes
 * further calls the bytes choose (spawn, cancel, wake, re-enter the run loop,
 * shut down). A small model checks after every call:
 *   - nx_executor_live_tasks equals the tasks the model holds live, and
 *     allocated >= live;
 *   - every future is dropped exactly once, never before it completed or was
 *     cancelled, never polled after;
 *   - a new task id never equals the id of a task still referenced;
 *   - calls refused by the re-entrancy contract return its codes (nxrt.h);
 *   - every channel value is received or dropped exactly once, in order;
 *   - after destroy, the counting allocator got back everything it gave.
 * A violated check calls abort(), which libFuzzer reports as a crash.
 *
 * The same file builds without libFuzzer (fuzz_replay.c supplies main) so
 * the seed corpus and every saved reproducer run as regression tests in
 * every build variant and under valgrind. Licensed under the MIT license. */
#include "nxrt.h"
#include "nxrt_services.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      fprintf(stderr, "fuzz_api: %s:%d: check failed: %s (op %d)\n", __FILE__,       \
              __LINE__, #cond, op_no);                                              \
      abort();                                                                      \
    }                                                                               \
  } while (0)
#define CHECK_RC(expr, want)                                                        \
  do {                                                                              \
    int got_ = (expr), want_ = (want);                                              \
    if (got_ != want_) {                                                            \
      fprintf(stderr, "fuzz_api: %s:%d: %s returned %s, expected %s (op %d)\n",      \
              __FILE__, __LINE__, #expr, nx_err_name(got_), nx_err_name(want_),     \
              op_no);                                                               \
      abort();                                                                      \
    }                                                                               \
  } while (0)

/* ------------------------------------------------------------------------ */
/* Input                                                                    */
/* ------------------------------------------------------------------------ */

static const uint8_t *in_data;
static size_t in_size, in_pos;
static int op_no;

static uint8_t next_byte(void) { return in_pos < in_size ? in_data[in_pos++] : 0; }
static int input_left(void) { return in_pos < in_size; }

/* ------------------------------------------------------------------------ */
/* The model                                                                */
/* ------------------------------------------------------------------------ */

enum { MAX_TASKS = 64, MAX_WAKERS = 32, MAX_VALUES = 4096, NCHAN = 3 };

/* What a task does in a poll (before deciding ready/pending) or in its drop
 * function; the byte at spawn picks one of each. */
enum act {
  A_NONE, A_SELF_WAKE, A_SPAWN, A_CANCEL_OTHER, A_CANCEL_SELF, A_WAKE_OTHER, A_DROP_WAKER,
  A_RUN_ONCE, A_SHUTDOWN, A_DESTROY, A_SEND, A_RECV, A_NACTS
};
/* What the task's future is, besides its actions: plain; a sleep or timeout
 * (due now, or in an hour); a receive or a send future on a channel; a yield;
 * a join handle it awaits (of a child it spawns at its first poll). */
enum kind {
  K_PLAIN, K_SLEEP_NOW, K_SLEEP_LONG, K_TIMEOUT_LONG, K_RECV, K_SEND, K_YIELD, K_AWAIT, K_NKINDS
};

typedef struct mtask {
  int used;             /* the model slot holds a task (live or not) */
  int live;             /* spawned, not yet dropped */
  int completed;        /* returned READY */
  int dropping;         /* its drop function is running: the slot stays */
  int polls, drops;
  int ready_after;      /* READY at this poll (0: never) */
  uint8_t poll_act, drop_act, arg;
  enum kind kind;
  nx_task_id id;
  int has_join;
  nx_join join;
  int joined_by;        /* model slot of the task holding its join handle, or -1 */
} mtask;

/* The future's state, inside the task. */
typedef struct fut {
  int index;            /* model slot */
  int armed;            /* the future below was initialized */
  int chan, value;      /* K_RECV / K_SEND: channel, value received or to send */
  int child;            /* K_AWAIT: the child's model slot */
  union {
    nx_sleep sleep;
    nx_timeout timeout;
    nx_local_send lsend;
    nx_mpsc_send msend;
    nx_spsc_send ssend;
    nx_yield yield;
    nx_join join;
  } t;
} fut;

typedef struct held_waker { nx_waker w; int target; } held_waker;

typedef struct chan {
  int kind;             /* 0 local, 1 mpsc, 2 spsc */
  int open_tx, open_rx;
  union { nx_local_tx l; nx_mpsc_tx m; nx_spsc_tx s; } tx;
  union { nx_local_rx l; nx_mpsc_rx m; nx_spsc_rx s; } rx;
  int queue[8];         /* model FIFO of value ids (capacity <= 8) */
  int head, len, cap;
  int send_futs;        /* send futures initialized on it and not dropped */
  int waiting;          /* of those, ones that returned NX_PENDING and are not done:
                           a local channel may have promised them slots */
} chan;

/* V_RETURNED: a send future gave up (receiver closed, or dropped unsent):
 * the value stayed the sender's. */
enum vstate { V_NONE, V_QUEUED, V_RECEIVED, V_DROPPED, V_RETURNED };

static struct {
  nx_executor *ex;
  int shut;             /* nx_executor_shutdown returned OK */
  int polling;          /* model slot being polled, or -1 */
  int in_drop;          /* a drop function is running */
  int in_shutdown;      /* nx_executor_shutdown is running */
  int in_run;           /* the harness is inside nx_run_once */
  mtask tasks[MAX_TASKS];
  held_waker wakers[MAX_WAKERS];
  int nwakers;
  chan ch[NCHAN];
  unsigned char vstate[MAX_VALUES];
  int next_value;
  long zero_spawned, zero_dropped;
} m;

static size_t allocs, frees; /* the counting allocator */
static void *count_alloc(void *ctx, size_t size, size_t align) {
  (void)ctx;
  void *p = aligned_alloc(align, (size + align - 1) & ~(align - 1));
  if (p != NULL) allocs++;
  return p;
}
static void count_free(void *ctx, void *p, size_t size, size_t align) {
  (void)ctx;
  (void)size;
  (void)align;
  frees++;
  free(p);
}
static nx_allocator counting = {"fuzz-counting", count_alloc, count_free, NULL, NULL};

static int model_live(void) {
  int n = 0;
  for (int i = 0; i < MAX_TASKS; i++) n += m.tasks[i].used && m.tasks[i].live;
  return n;
}

static void check_counts(void) {
  if (m.ex == NULL || m.shut || m.in_shutdown) return;
  CHECK((int)nx_executor_live_tasks(m.ex) == model_live() + (int)(m.zero_spawned - m.zero_dropped));
  CHECK(nx_executor_allocated_tasks(m.ex) >= nx_executor_live_tasks(m.ex));
}

/* Is id `id` still referenced by some model task (so it must not be reused)? */
static int id_referenced(nx_task_id id) {
  for (int i = 0; i < MAX_TASKS; i++) {
    mtask *t = &m.tasks[i];
    if (!t->used || t->id != id) continue;
    if (t->live || t->has_join || t->joined_by >= 0) return 1;
    for (int w = 0; w < m.nwakers; w++)
      if (m.wakers[w].target == i) return 1;
  }
  return 0;
}

/* A model slot is reusable once its task is dropped and nothing refers to
 * it (its old id may then be reused by the executor). */
static int slot_free(int i) {
  mtask *t = &m.tasks[i];
  if (!t->used) return 1;
  if (t->live || t->has_join || t->joined_by >= 0 || t->dropping) return 0;
  for (int w = 0; w < m.nwakers; w++)
    if (m.wakers[w].target == i) return 0;
  return 1;
}

/* ------------------------------------------------------------------------ */
/* Channels                                                                 */
/* ------------------------------------------------------------------------ */

static void value_dropped(void *v) {
  int id = *(int *)v;
  CHECK(id >= 0 && id < MAX_VALUES);
  CHECK(m.vstate[id] == V_QUEUED);
  m.vstate[id] = V_DROPPED;
}

static void chan_open(int c) {
  chan *ch = &m.ch[c];
  ch->cap = 1 + (next_byte() & 3);
  ch->head = ch->len = 0;
  int rc = ch->kind == 0 ? nx_local_chan_create((size_t)ch->cap, sizeof(int), value_dropped, &ch->tx.l, &ch->rx.l)
         : ch->kind == 1 ? nx_mpsc_create((size_t)ch->cap, sizeof(int), value_dropped, &ch->tx.m, &ch->rx.m)
                         : nx_spsc_create((size_t)ch->cap, sizeof(int), value_dropped, &ch->tx.s, &ch->rx.s);
  CHECK_RC(rc, NX_OK);
  if (ch->kind != 0) { /* mpsc/spsc round capacity up to a power of two */
    int p = 1;
    while (p < ch->cap) p <<= 1;
    ch->cap = p;
  }
  ch->open_tx = ch->open_rx = 1;
}

/* Every queued value of the model was dropped by a receiver close. */
static void chan_forget_queued(chan *ch) {
  for (int k = 0; k < ch->len; k++) CHECK(m.vstate[ch->queue[(ch->head + k) % 8]] == V_DROPPED);
  ch->len = 0;
}

/* A value entered the channel (try_send, or a send future's READY). */
static void chan_queued(chan *ch, int v) {
  CHECK(ch->len < ch->cap);
  CHECK(m.vstate[v] == V_NONE);
  m.vstate[v] = V_QUEUED;
  ch->queue[(ch->head + ch->len++) % 8] = v;
}

/* A value came out of the channel: it must be the model's head. */
static void chan_took(chan *ch, int v) {
  CHECK(ch->len > 0);
  CHECK(v == ch->queue[ch->head % 8]);
  CHECK(m.vstate[v] == V_QUEUED);
  m.vstate[v] = V_RECEIVED;
  ch->head = (ch->head + 1) % 8;
  ch->len--;
}

static void chan_send(int c) {
  chan *ch = &m.ch[c];
  if (!ch->open_tx || m.next_value >= MAX_VALUES) return;
  int v = m.next_value;
  int rc = ch->kind == 0 ? nx_local_try_send(&ch->tx.l, &v)
         : ch->kind == 1 ? nx_mpsc_try_send(&ch->tx.m, &v) : nx_spsc_try_send(&ch->tx.s, &v);
  if (!ch->open_rx) {
    CHECK_RC(rc, NX_EPIPE);
  } else if (ch->len == ch->cap) {
    CHECK_RC(rc, NX_EAGAIN);
  } else if (rc == NX_EAGAIN && ch->waiting > 0) {
    /* a room promised to a waiting send future */
  } else {
    CHECK_RC(rc, NX_OK);
    m.next_value++;
    chan_queued(ch, v);
  }
}

static void chan_recv(int c) {
  chan *ch = &m.ch[c];
  if (!ch->open_rx) return;
  int v = -1;
  int rc = ch->kind == 0 ? nx_local_try_recv(&ch->rx.l, &v)
         : ch->kind == 1 ? nx_mpsc_try_recv(&ch->rx.m, &v) : nx_spsc_try_recv(&ch->rx.s, &v);
  if (ch->len == 0) {
    CHECK_RC(rc, ch->open_tx ? NX_EAGAIN : NX_EPIPE);
    return;
  }
  CHECK_RC(rc, NX_OK);
  chan_took(ch, v);
}

static void chan_close(int c, int rx_side) {
  chan *ch = &m.ch[c];
  if (rx_side && ch->open_rx) {
    ch->open_rx = 0;
    if (ch->kind == 0) nx_local_rx_close(&ch->rx.l);
    else if (ch->kind == 1) nx_mpsc_rx_close(&ch->rx.m);
    else nx_spsc_rx_close(&ch->rx.s);
    chan_forget_queued(ch);
  } else if (!rx_side && ch->open_tx && ch->send_futs == 0) {
    /* (a send future must be dropped before its sender closes: nxrt_services.h) */
    ch->open_tx = 0;
    if (ch->kind == 0) nx_local_tx_close(&ch->tx.l);
    else if (ch->kind == 1) nx_mpsc_tx_close(&ch->tx.m);
    else nx_spsc_tx_close(&ch->tx.s);
    if (!ch->open_rx) chan_forget_queued(ch); /* the last handle dropped them */
  }
  if (!ch->open_tx && !ch->open_rx) chan_open(c);
}

/* ------------------------------------------------------------------------ */
/* Tasks                                                                    */
/* ------------------------------------------------------------------------ */

static nx_poll fut_poll(void *s, nx_cx *cx);
static void fut_drop(void *s);
static int spawn_task(int how);
static void do_cancel(int target);

static int pick_task(uint8_t b) {
  for (int k = 0; k < MAX_TASKS; k++) {
    int i = (b + k) % MAX_TASKS;
    if (m.tasks[i].used) return i;
  }
  return -1;
}

static void drop_waker_at(int w) {
  nx_waker_drop(&m.wakers[w].w);
  m.wakers[w] = m.wakers[--m.nwakers];
}

/* Re-entering calls from a callback: what the contract in nxrt.h says. */
static void reenter_run_once(void) {
  int want = m.shut || m.in_shutdown ? NX_ESHUTDOWN : NX_EBUSY;
  CHECK_RC(nx_run_once(m.ex), want);
}

static void reenter_shutdown(void) {
  CHECK_RC(nx_executor_shutdown(m.ex), m.shut ? NX_OK : NX_EBUSY);
}

static void act(enum act a, uint8_t arg, int self) {
  switch (a) {
    case A_NONE:
    case A_SELF_WAKE: /* poll only; handled by the caller */
    case A_CANCEL_SELF:
      break;
    case A_SPAWN:
      if (!m.in_shutdown && !m.shut) spawn_task(arg % 3);
      break;
    case A_CANCEL_OTHER: {
      int t = pick_task(arg);
      if (t >= 0 && t != self) do_cancel(t);
      break;
    }
    case A_WAKE_OTHER:
      if (m.nwakers > 0) nx_waker_wake_by_ref(&m.wakers[arg % m.nwakers].w);
      break;
    case A_DROP_WAKER:
      if (m.nwakers > 0) drop_waker_at(arg % m.nwakers);
      break;
    case A_RUN_ONCE:
      reenter_run_once();
      break;
    case A_SHUTDOWN:
      reenter_shutdown();
      break;
    case A_DESTROY:
      nx_executor_destroy(m.ex); /* refused from a callback: does nothing */
      CHECK(nx_executor_live_tasks(m.ex) <= MAX_TASKS * 4);
      break;
    case A_SEND:
      chan_send(arg % NCHAN);
      break;
    case A_RECV:
      chan_recv(arg % NCHAN);
      break;
    case A_NACTS:
      break;
  }
}

/* Wakers are taken in polls: a task hands a clone of its waker to the
 * harness at its first poll when its arg byte has bit 7 set, and at every
 * poll when bit 6 is set too. */
static void take_waker_from_poll(nx_cx *cx, int self) {
  if (m.nwakers >= MAX_WAKERS) return;
  nx_waker w = nx_cx_waker(cx);
  CHECK_RC(nx_waker_clone(&w, &m.wakers[m.nwakers].w), NX_OK);
  m.wakers[m.nwakers++].target = self;
}

static int spawn_task_joined(int how, int parent, nx_join *join_dst);

/* The kind's own future: returns 1 when it completed. */
static int kind_poll(fut *f, mtask *t, nx_cx *cx) {
  chan *ch = &m.ch[f->chan];
  int rc;
  switch (t->kind) {
    case K_PLAIN:
    case K_NKINDS:
      return 0;
    case K_SLEEP_NOW:
    case K_SLEEP_LONG:
    case K_TIMEOUT_LONG:
      if (!f->armed) {
        int64_t d = t->kind == K_SLEEP_NOW ? 0 : 3600LL * 1000000000;
        CHECK_RC(t->kind == K_TIMEOUT_LONG ? nx_timeout_init(&f->t.timeout, m.ex, d)
                                           : nx_sleep_init(&f->t.sleep, m.ex, d),
                 NX_OK);
        f->armed = 1;
      }
      rc = t->kind == K_TIMEOUT_LONG ? nx_timeout_poll(&f->t.timeout, cx, NX_PENDING)
                                     : nx_sleep_poll(&f->t.sleep, cx);
      CHECK_RC(rc, t->kind == K_SLEEP_NOW ? NX_READY : NX_PENDING);
      return t->kind == K_SLEEP_NOW;
    case K_YIELD:
      if (!f->armed) {
        CHECK_RC(nx_yield_init(&f->t.yield), NX_OK);
        f->armed = 1;
      }
      return nx_yield_poll(&f->t.yield, cx) == NX_READY;
    case K_RECV: {
      int v = -1;
      rc = ch->kind == 0 ? nx_local_recv_poll(&ch->rx.l, cx, &v)
         : ch->kind == 1 ? nx_mpsc_recv_poll(&ch->rx.m, cx, &v)
                         : nx_spsc_recv_poll(&ch->rx.s, cx, &v);
      if (!ch->open_rx) {
        CHECK_RC(rc, NX_EINVAL); /* the handle was closed under it */
        return 1;
      }
      if (rc == NX_PENDING) {
        CHECK(ch->len == 0 && ch->open_tx);
        return 0;
      }
      if (rc == NX_EPIPE) {
        CHECK(ch->len == 0 && !ch->open_tx);
        return 1;
      }
      CHECK_RC(rc, NX_READY);
      chan_took(ch, v);
      return 1;
    }
    case K_SEND:
      if (!f->armed) {
        if (!ch->open_tx || m.next_value >= MAX_VALUES) return 1;
        f->value = m.next_value++;
        rc = ch->kind == 0 ? nx_local_send_init(&f->t.lsend, &ch->tx.l, &f->value)
           : ch->kind == 1 ? nx_mpsc_send_init(&f->t.msend, &ch->tx.m, &f->value)
                           : nx_spsc_send_init(&f->t.ssend, &ch->tx.s, &f->value);
        CHECK_RC(rc, NX_OK);
        f->armed = 1;
        ch->send_futs++;
      }
      if (f->armed != 1) return 1; /* done already (READY or EPIPE) */
      rc = ch->kind == 0 ? nx_local_send_poll(&f->t.lsend, cx)
         : ch->kind == 1 ? nx_mpsc_send_poll(&f->t.msend, cx) : nx_spsc_send_poll(&f->t.ssend, cx);
      if (rc == NX_PENDING) {
        CHECK(ch->open_rx);
        if (f->armed == 1 && !f->child) {
          f->child = 1; /* counted as waiting */
          ch->waiting++;
        }
        return 0;
      }
      if (f->child) ch->waiting--;
      f->child = 0;
      f->armed = 2;
      if (rc == NX_EPIPE) {
        CHECK(!ch->open_rx);
        m.vstate[f->value] = V_RETURNED;
        return 1;
      }
      CHECK_RC(rc, NX_READY);
      chan_queued(ch, f->value);
      return 1;
    case K_AWAIT:
      if (!f->armed) {
        f->child = spawn_task_joined(t->arg & 1, f->index, &f->t.join);
        if (f->child < 0) return 1;
        f->armed = 1;
      }
      if (f->armed != 1) return 1;
      {
        int out = -1;
        mtask *c = &m.tasks[f->child];
        rc = nx_join_poll(&f->t.join, cx, &out, sizeof out);
        if (rc == NX_PENDING) {
          CHECK(c->live);
          return 0;
        }
        CHECK(!c->live && c->joined_by == f->index);
        CHECK_RC(rc, c->completed ? NX_READY : NX_ECANCELED);
        if (rc == NX_READY) CHECK(out == f->child);
        c->joined_by = -1;
        f->armed = 2;
        return 1;
      }
  }
  return 0;
}

/* Releases what the kind's future holds (from the drop function). */
static void kind_drop(fut *f, mtask *t) {
  chan *ch = &m.ch[f->chan];
  switch (t->kind) {
    case K_TIMEOUT_LONG: nx_timeout_drop(&f->t.timeout); break;
    case K_SLEEP_NOW:
    case K_SLEEP_LONG: nx_sleep_drop(&f->t.sleep); break;
    case K_SEND:
      if (!f->armed) break;
      if (ch->kind == 0) nx_local_send_drop(&f->t.lsend);
      else if (ch->kind == 1) nx_mpsc_send_drop(&f->t.msend);
      else nx_spsc_send_drop(&f->t.ssend);
      if (f->armed == 1) m.vstate[f->value] = V_RETURNED; /* never sent */
      if (f->child) ch->waiting--;
      ch->send_futs--;
      f->armed = 3;
      break;
    case K_AWAIT:
      if (f->armed == 1) {
        nx_join_detach(&f->t.join);
        m.tasks[f->child].joined_by = -1;
      }
      f->armed = 3;
      break;
    default: break;
  }
}

static nx_poll fut_poll(void *s, nx_cx *cx) {
  fut *f = s;
  CHECK(f->index >= 0 && f->index < MAX_TASKS);
  mtask *t = &m.tasks[f->index];
  CHECK(t->used && t->live && !t->completed && t->drops == 0);
  CHECK(nx_cx_task_id(cx) == t->id);
  int outer = m.polling;
  m.polling = f->index;
  t->polls++;
  int ready = t->ready_after != 0 && t->polls >= t->ready_after;
  if (kind_poll(f, t, cx)) ready = 1;
  if ((t->arg & 0x80) && (t->polls == 1 || (t->arg & 0x40))) take_waker_from_poll(cx, f->index);
  if (t->poll_act == A_SELF_WAKE) nx_cx_wake(cx);
  if (t->poll_act == A_CANCEL_SELF) CHECK_RC(nx_cancel(m.ex, t->id), NX_OK);
  act((enum act)t->poll_act, t->arg, f->index);
  if (ready) {
    int *out = nx_cx_output(cx);
    if (out != NULL) *out = f->index;
    t->completed = 1;
  }
  m.polling = outer;
  return ready ? NX_READY : NX_PENDING;
}

static void fut_drop(void *s) {
  fut *f = s;
  CHECK(f->index >= 0 && f->index < MAX_TASKS);
  mtask *t = &m.tasks[f->index];
  CHECK(t->used && t->live && t->drops == 0);
  t->drops++;
  t->live = 0;
  kind_drop(f, t);
  int outer = m.in_drop;
  m.in_drop = 1;
  t->dropping = 1;
  act((enum act)t->drop_act, t->arg, f->index);
  t->dropping = 0;
  m.in_drop = outer;
}

/* A future spawned zero-filled (init NULL): a sleep it never armed. */
typedef struct zero_fut { nx_sleep sleep; nx_timeout timeout; nx_interval iv; } zero_fut;
static nx_poll zero_poll(void *s, nx_cx *cx) {
  (void)s;
  (void)cx;
  return NX_PENDING;
}
static void zero_drop(void *s) {
  zero_fut *z = s;
  nx_sleep_drop(&z->sleep);
  nx_timeout_drop(&z->timeout);
  nx_interval_drop(&z->iv);
  m.zero_dropped++;
}

/* how: 0 boxed, 1 slab, 2 reserve + commit, 3 reserve + abort. Returns the
 * model slot or -1. */
static int spawn_task(int how) { return spawn_task_joined(how, -1, NULL); }

/* Spawns with the input's next three bytes; a join handle goes to the model
 * (joinable bit) or, for a child awaited by task `parent`, to `join_dst`. */
static int spawn_task_joined(int how, int parent, nx_join *join_dst) {
  int i = -1;
  for (int k = 0; k < MAX_TASKS; k++)
    if (slot_free(k)) {
      i = k;
      break;
    }
  if (i < 0) return -1;
  uint8_t b0 = next_byte(), b1 = next_byte(), b2 = next_byte();
  mtask nt = {0};
  nt.used = 1;
  nt.live = 1;
  nt.ready_after = b0 & 7;
  nt.poll_act = (uint8_t)((b1 & 15) % A_NACTS);
  nt.drop_act = (uint8_t)((b1 >> 4) % A_NACTS);
  nt.arg = b2;
  nt.kind = (enum kind)((b0 >> 3) % K_NKINDS);
  nt.joined_by = parent;
  int joinable = join_dst != NULL || ((b0 >> 6) & 1);
  nx_future_desc d = {fut_poll, fut_drop, sizeof(fut), 0, joinable ? sizeof(int) : 0};
  fut init;
  memset(&init, 0, sizeof init);
  init.index = i;
  init.chan = b2 % NCHAN;
  nx_task_id id = NX_TASK_ID_NONE;
  nx_join j = {NULL};
  int rc;
  mtask saved = m.tasks[i];
  m.tasks[i] = nt; /* the model knows the task before its poll can run */
  if (how <= 1) {
    rc = how ? nx_spawn_slab(m.ex, &d, &init, &id, joinable ? &j : NULL)
             : nx_spawn(m.ex, &d, &init, &id, joinable ? &j : NULL);
  } else {
    nx_reservation r;
    rc = nx_reserve(m.ex, (how == 2 ? 0 : NX_RESERVE_SLAB) | (joinable ? NX_RESERVE_JOINABLE : 0),
                    &d, &r);
    if (rc == NX_OK) {
      if (how == 3 && (b2 & 1)) {
        nx_reserve_abort(&r);
        m.tasks[i] = saved;
        return -1;
      }
      memcpy(r.state, &init, sizeof init);
      CHECK_RC(nx_reserve_commit(&r, &id, joinable ? &j : NULL), NX_OK);
    }
  }
  if (m.shut || m.in_shutdown) {
    CHECK_RC(rc, NX_ESHUTDOWN);
  } else if ((how == 1 || how == 3) && rc == NX_ESLABFULL) {
    /* the bounded slab is full: fine */
  } else {
    CHECK_RC(rc, NX_OK);
  }
  if (rc != NX_OK) {
    m.tasks[i] = saved;
    return -1;
  }
  CHECK(id != NX_TASK_ID_NONE);
  for (int k = 0; k < MAX_TASKS; k++)
    if (k != i && m.tasks[k].used && m.tasks[k].id == id) CHECK(!id_referenced(id));
  m.tasks[i].id = id;
  if (join_dst != NULL) {
    *join_dst = j;
  } else {
    m.tasks[i].has_join = joinable;
    m.tasks[i].join = j;
  }
  return i;
}

static void do_cancel(int target) {
  mtask *t = &m.tasks[target];
  int was_live = t->live && !t->completed;
  int rc = nx_cancel(m.ex, t->id);
  if (m.shut || m.in_shutdown) {
    CHECK_RC(rc, NX_ESHUTDOWN);
  } else if (was_live) {
    CHECK_RC(rc, NX_OK);
    if (target != m.polling) CHECK(t->drops == 1 && !t->live);
  } else {
    CHECK(rc == NX_EALREADY || rc == NX_ESTALE);
  }
}

/* ------------------------------------------------------------------------ */
/* Executor lifetime                                                        */
/* ------------------------------------------------------------------------ */

static void executor_new(void) {
  nx_executor_config cfg;
  nx_slab_config sc;
  nx_executor_config_init(&cfg);
  nx_slab_config_init(&sc);
  sc.capacity = 8; /* small: a full slab happens */
  cfg.slab = &sc;
  cfg.allocator = &counting;
  cfg.tasks_per_cycle = 1 + (next_byte() & 7);
  cfg.ready_capacity = 1 + (next_byte() & 3);
  CHECK_RC(nx_executor_create(&cfg, &m.ex), NX_OK);
  m.shut = 0;
}

static void executor_shutdown(void) {
  m.in_shutdown = 1;
  CHECK_RC(nx_executor_shutdown(m.ex), NX_OK);
  m.in_shutdown = 0;
  m.shut = 1;
  for (int i = 0; i < MAX_TASKS; i++)
    if (m.tasks[i].used) CHECK(!m.tasks[i].live && m.tasks[i].drops == 1);
  CHECK(m.zero_spawned == m.zero_dropped);
}

/* Shutdown, release every handle, destroy: everything allocated is freed. */
static void executor_end(void) {
  if (!m.shut) executor_shutdown();
  for (int i = 0; i < MAX_TASKS; i++) {
    mtask *t = &m.tasks[i];
    if (t->used && t->has_join) {
      int out = -1;
      int rc = (next_byte() & 1) ? nx_join_try(&t->join, &out, sizeof out)
                                 : (nx_join_detach(&t->join), NX_ECANCELED);
      CHECK(rc == NX_READY || rc == NX_ECANCELED);
      if (rc == NX_READY) CHECK(t->completed && out == i);
      t->has_join = 0;
    }
  }
  /* Some wakers outlive the executor: dropping them afterwards frees. */
  int keep = next_byte() & 1;
  if (!keep)
    while (m.nwakers > 0) drop_waker_at(m.nwakers - 1);
  nx_executor_destroy(m.ex);
  while (m.nwakers > 0) drop_waker_at(m.nwakers - 1);
  /* Receivers' wakers stored in channels keep their tasks too: close the
   * channels (every task is dropped, so no send future is left) and open
   * fresh ones. */
  for (int c = 0; c < NCHAN; c++) {
    CHECK(m.ch[c].send_futs == 0 && m.ch[c].waiting == 0);
    if (m.ch[c].open_rx) chan_close(c, 1);
    if (m.ch[c].open_tx) chan_close(c, 0);
  }
  m.ex = NULL;
  CHECK(allocs == frees);
  memset(m.tasks, 0, sizeof m.tasks);
  m.zero_spawned = m.zero_dropped = 0;
}

/* ------------------------------------------------------------------------ */
/* The operations                                                           */
/* ------------------------------------------------------------------------ */

enum op {
  OP_SPAWN, OP_SPAWN_SLAB, OP_RESERVE, OP_RESERVE_SLAB, OP_WAKE_BY_REF, OP_WAKE, OP_CLONE,
  OP_DROP_WAKER, OP_CANCEL, OP_CANCEL_STALE, OP_RUN_ONCE, OP_JOIN_TRY, OP_JOIN_DETACH,
  OP_SEND, OP_RECV, OP_CLOSE_TX, OP_CLOSE_RX, OP_SPAWN_ZERO, OP_SHUTDOWN, OP_DESTROY, OP_COUNT
};

static void run_once(void) {
  m.in_run = 1;
  int rc = nx_run_once(m.ex);
  m.in_run = 0;
  if (m.shut) CHECK_RC(rc, NX_ESHUTDOWN);
  else CHECK(rc >= 0);
}

static void do_op(uint8_t code, uint8_t arg) {
  int t = pick_task(arg);
  switch ((enum op)(code % OP_COUNT)) {
    case OP_SPAWN: spawn_task(0); break;
    case OP_SPAWN_SLAB: spawn_task(1); break;
    case OP_RESERVE: spawn_task(2); break;
    case OP_RESERVE_SLAB: spawn_task(3); break;
    case OP_WAKE_BY_REF:
      if (m.nwakers > 0) nx_waker_wake_by_ref(&m.wakers[arg % m.nwakers].w);
      break;
    case OP_WAKE:
      if (m.nwakers > 0) {
        int w = arg % m.nwakers;
        nx_waker_wake(&m.wakers[w].w);
        CHECK(m.wakers[w].w.task == NULL);
        m.wakers[w] = m.wakers[--m.nwakers];
      }
      break;
    case OP_CLONE: /* outside a poll only a held waker can be cloned */
      if (m.nwakers > 0 && m.nwakers < MAX_WAKERS) {
        held_waker *src = &m.wakers[arg % m.nwakers];
        CHECK_RC(nx_waker_clone(&src->w, &m.wakers[m.nwakers].w), NX_OK);
        m.wakers[m.nwakers].target = src->target;
        m.nwakers++;
      }
      break;
    case OP_DROP_WAKER:
      if (m.nwakers > 0) drop_waker_at(arg % m.nwakers);
      break;
    case OP_CANCEL:
      if (t >= 0) do_cancel(t);
      break;
    case OP_CANCEL_STALE: {
      nx_task_id bogus = ((nx_task_id)(arg + 1000u) << 32) | (arg & 7);
      int rc = nx_cancel(m.ex, bogus);
      CHECK_RC(rc, m.shut ? NX_ESHUTDOWN : NX_ESTALE);
      break;
    }
    case OP_RUN_ONCE: run_once(); break;
    case OP_JOIN_TRY:
      if (t >= 0 && m.tasks[t].has_join) {
        int out = -1;
        int rc = nx_join_try(&m.tasks[t].join, &out, sizeof out);
        if (m.tasks[t].live) {
          CHECK_RC(rc, NX_PENDING);
        } else {
          CHECK_RC(rc, m.tasks[t].completed ? NX_READY : NX_ECANCELED);
          if (rc == NX_READY) CHECK(out == t);
          m.tasks[t].has_join = 0;
        }
      }
      break;
    case OP_JOIN_DETACH:
      if (t >= 0 && m.tasks[t].has_join) {
        nx_join_detach(&m.tasks[t].join);
        m.tasks[t].has_join = 0;
      }
      break;
    case OP_SEND: chan_send(arg % NCHAN); break;
    case OP_RECV: chan_recv(arg % NCHAN); break;
    case OP_CLOSE_TX: chan_close(arg % NCHAN, 0); break;
    case OP_CLOSE_RX: chan_close(arg % NCHAN, 1); break;
    case OP_SPAWN_ZERO: {
      nx_future_desc d = NX_FUTURE(zero_fut, zero_poll, zero_drop);
      nx_task_id id;
      int rc = nx_spawn(m.ex, &d, NULL, &id, NULL);
      CHECK_RC(rc, m.shut ? NX_ESHUTDOWN : NX_OK);
      if (rc == NX_OK) {
        m.zero_spawned++;
        if (arg & 1) CHECK_RC(nx_cancel(m.ex, id), NX_OK);
      }
      break;
    }
    case OP_SHUTDOWN:
      if (!m.shut) executor_shutdown();
      else CHECK_RC(nx_executor_shutdown(m.ex), NX_OK);
      break;
    case OP_DESTROY:
      executor_end();
      executor_new();
      break;
    case OP_COUNT: break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  memset(&m, 0, sizeof m);
  m.polling = -1;
  in_data = data;
  in_size = size;
  in_pos = 0;
  op_no = 0;
  allocs = frees = 0;
  executor_new();
  for (int c = 0; c < NCHAN; c++) {
    m.ch[c].kind = c;
    chan_open(c);
  }
  while (input_left() && op_no < 4096) {
    uint8_t code = next_byte(), arg = next_byte();
    op_no++;
    do_op(code, arg);
    check_counts();
  }
  executor_end(); /* first: drop functions may still use the channels */
  for (int c = 0; c < NCHAN; c++) {
    chan *ch = &m.ch[c];  /* executor_end left a fresh pair open: close it */
    if (ch->kind == 0) { nx_local_rx_close(&ch->rx.l); nx_local_tx_close(&ch->tx.l); }
    else if (ch->kind == 1) { nx_mpsc_rx_close(&ch->rx.m); nx_mpsc_tx_close(&ch->tx.m); }
    else { nx_spsc_rx_close(&ch->rx.s); nx_spsc_tx_close(&ch->tx.s); }
  }
  for (int v = 0; v < m.next_value; v++)
    CHECK(m.vstate[v] == V_RECEIVED || m.vstate[v] == V_DROPPED || m.vstate[v] == V_RETURNED);
  return 0;
}

/* Cancellation tokens: a flag, the futures waiting on it, and child tokens.
 *
 * Any thread may cancel, create children, wait and release, so each token
 * has a mutex over its wait list and child list, and an atomic flag for the
 * lock-free is_cancelled(). No lost wakeup: a waiting future checks the flag
 * and links itself under the same lock that cancel() holds while it sets the
 * flag and empties the list, so a future is either linked before (and woken)
 * or sees the flag after.
 *
 * Children: a parent holds weak links to its children (the list), a child a
 * reference to its parent. A child whose last reference goes unlinks itself
 * under the parent's lock; cancel() takes a reference to each child under
 * that same lock (skipping one already at zero), so a child it goes on to
 * cancel is never freed under it. A thread holds one token lock at a time
 * (no lock order to get wrong, any tree depth). Each waiting future holds a
 * token reference, and its drop unlinks it: nothing accumulates per poll
 * (the seed's pushed a new waiter node on every poll and kept them until
 * cancel).
 */
#include "services.h"

#include <pthread.h>
#include <stdlib.h>

struct nx_cancel_token {
  _Atomic int cancelled;
  _Atomic size_t refs;
  pthread_mutex_t lock;
  nx_cancel_wait *waiters;
  nx_cancel_token *parent;                 /* a reference, or NULL */
  nx_cancel_token *children;               /* under this token's lock */
  nx_cancel_token *sib_prev, *sib_next;    /* under the parent's lock */
  nx_cancel_token *work_next;              /* on a cancel()'s work list */
};

static nx_cancel_token *nx_token_new(void) {
  nx_cancel_token *t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  atomic_init(&t->cancelled, 0);
  atomic_init(&t->refs, 1);
  pthread_mutex_init(&t->lock, NULL);
  return t;
}

int nx_cancel_token_create(nx_cancel_token **out) {
  if (out == NULL) return NX_EINVAL;
  *out = nx_token_new();
  return *out ? NX_OK : NX_ENOMEM;
}

int nx_cancel_token_child(nx_cancel_token *parent, nx_cancel_token **out) {
  if (out == NULL) return NX_EINVAL;
  *out = NULL;
  if (parent == NULL) return NX_EINVAL;
  nx_cancel_token *c = nx_token_new();
  if (c == NULL) return NX_ENOMEM;
  nx_cancel_token_retain(parent);
  c->parent = parent;
  pthread_mutex_lock(&parent->lock);
  if (atomic_load_explicit(&parent->cancelled, memory_order_relaxed)) {
    atomic_store_explicit(&c->cancelled, 1, memory_order_release); /* born cancelled */
  } else {
    c->sib_next = parent->children;
    if (parent->children) parent->children->sib_prev = c;
    parent->children = c;
  }
  pthread_mutex_unlock(&parent->lock);
  *out = c;
  return NX_OK;
}

int nx_cancel_token_retain(nx_cancel_token *tok) {
  if (tok == NULL) return NX_EINVAL;
  atomic_fetch_add_explicit(&tok->refs, 1, memory_order_relaxed);
  return NX_OK;
}

void nx_cancel_token_release(nx_cancel_token *tok) {
  while (tok != NULL) {
    if (atomic_fetch_sub_explicit(&tok->refs, 1, memory_order_acq_rel) != 1) return;
    /* Nobody references tok: no waiter (each holds a reference), no child
     * (each holds one too). Unlink from the parent, then drop the parent's
     * reference (iteratively, so long chains do not recurse). */
    nx_cancel_token *parent = tok->parent;
    if (parent != NULL) {
      pthread_mutex_lock(&parent->lock);
      if (tok->sib_prev) tok->sib_prev->sib_next = tok->sib_next;
      else if (parent->children == tok) parent->children = tok->sib_next;
      if (tok->sib_next) tok->sib_next->sib_prev = tok->sib_prev;
      pthread_mutex_unlock(&parent->lock);
    }
    pthread_mutex_destroy(&tok->lock);
    free(tok);
    tok = parent;
  }
}

/* A reference unless the token is already on its way out (refs 0: it is
 * waiting for the parent's lock, which the caller holds, to unlink itself). */
static int nx_token_try_retain(nx_cancel_token *tok) {
  size_t r = atomic_load_explicit(&tok->refs, memory_order_relaxed);
  do {
    if (r == 0) return 0;
  } while (!atomic_compare_exchange_weak_explicit(&tok->refs, &r, r + 1, memory_order_relaxed,
                                                  memory_order_relaxed));
  return 1;
}

/* Cancels one token: wakes its waiters, sets the flag, and pushes its
 * children (with a reference each) onto `*work`. Only the thread that sets
 * the flag collects the children, so a token sits on at most one work list
 * and `work_next` needs no lock. */
static void nx_token_cancel_one(nx_cancel_token *tok, nx_cancel_token **work) {
  pthread_mutex_lock(&tok->lock);
  if (!atomic_load_explicit(&tok->cancelled, memory_order_relaxed)) {
    while (tok->waiters != NULL) {
      nx_cancel_wait *w = tok->waiters;
      tok->waiters = w->next_;
      w->prev_ = w->next_ = NULL;
      w->linked_ = 0;
      nx_waker_wake(&w->waker_);
    }
    /* Stored after the waiters are unlinked: a poll that sees the flag
     * without the lock then knows cancel() is done with its future. */
    atomic_store_explicit(&tok->cancelled, 1, memory_order_release);
    for (nx_cancel_token *c = tok->children; c != NULL; c = c->sib_next) {
      if (!nx_token_try_retain(c)) continue;
      c->work_next = *work;
      *work = c;
    }
  }
  pthread_mutex_unlock(&tok->lock);
}

/* Walks the tree with an explicit work list instead of recursing with the
 * parent's lock held: one lock at a time, any depth. When it returns, every
 * descendant that existed when the flag was set is cancelled, and one made
 * later is born cancelled. */
void nx_cancel_token_cancel(nx_cancel_token *tok) {
  if (tok == NULL) return;
  if (atomic_load_explicit(&tok->cancelled, memory_order_acquire)) return;
  nx_cancel_token *work = NULL;
  nx_token_cancel_one(tok, &work);
  while (work != NULL) {
    nx_cancel_token *c = work;
    work = c->work_next;
    nx_token_cancel_one(c, &work);
    nx_cancel_token_release(c);
  }
}

int nx_cancel_token_is_cancelled(const nx_cancel_token *tok) {
  return tok != NULL && atomic_load_explicit(&tok->cancelled, memory_order_acquire);
}

int nx_cancel_wait_init(nx_cancel_wait *w, nx_cancel_token *tok) {
  if (w == NULL) return NX_EINVAL;
  w->tok_ = NULL;
  w->waker_.task = NULL;
  w->prev_ = w->next_ = NULL;
  w->linked_ = 0;
  if (tok == NULL) return NX_EINVAL;
  nx_cancel_token_retain(tok);
  w->tok_ = tok;
  return NX_OK;
}

int nx_cancel_wait_poll(nx_cancel_wait *w, nx_cx *cx) {
  if (w == NULL || !nx__cx_in_poll(cx) || w->tok_ == NULL) return NX_EINVAL;
  nx_cancel_token *tok = w->tok_;
  if (atomic_load_explicit(&tok->cancelled, memory_order_acquire)) {
    nx_waker_drop(&w->waker_); /* empty unless cancel() came before we linked */
    return NX_READY;
  }
  int rc = NX_PENDING;
  nx_waker old = {NULL};
  pthread_mutex_lock(&tok->lock);
  if (atomic_load_explicit(&tok->cancelled, memory_order_relaxed)) {
    rc = NX_READY; /* cancel() unlinked us (or we never were linked) */
    old = w->waker_;
    w->waker_.task = NULL;
  } else {
    if (!w->linked_) {
      w->prev_ = NULL;
      w->next_ = tok->waiters;
      if (tok->waiters) tok->waiters->prev_ = w;
      tok->waiters = w;
      w->linked_ = 1;
    }
    if (w->waker_.task != cx->task) {
      old = w->waker_;
      nx_waker self = {cx->task};
      nx_waker_clone(&self, &w->waker_);
    }
  }
  pthread_mutex_unlock(&tok->lock);
  nx_waker_drop(&old);
  return rc;
}

void nx_cancel_wait_drop(nx_cancel_wait *w) {
  if (w == NULL || w->tok_ == NULL) return;
  nx_cancel_token *tok = w->tok_;
  pthread_mutex_lock(&tok->lock);
  if (w->linked_) {
    if (w->prev_) w->prev_->next_ = w->next_;
    else tok->waiters = w->next_;
    if (w->next_) w->next_->prev_ = w->prev_;
    w->prev_ = w->next_ = NULL;
    w->linked_ = 0;
  }
  nx_waker old = w->waker_;
  w->waker_.task = NULL;
  pthread_mutex_unlock(&tok->lock);
  nx_waker_drop(&old);
  w->tok_ = NULL;
  nx_cancel_token_release(tok);
}

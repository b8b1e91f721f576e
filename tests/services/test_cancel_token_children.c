/* Child tokens: a parent's cancel reaches children and grandchildren (and
 * the futures waiting on them); a child's cancel does not reach its parent
 * or siblings; a child made from a cancelled parent is born cancelled; 100
 * children are all reached; tokens released in any order (parent before
 * child, child before parent) leave nothing behind (ASan/valgrind). */
#include "nx_test.h"
#include "svc_test.h"

static int woke;

typedef struct {
  nx_cancel_wait w;
  nx_cancel_token *tok;
  int inited;
} waiter;

static nx_poll waiter_poll(void *p, nx_cx *cx) {
  waiter *s = p;
  if (!s->inited) {
    s->inited = 1;
    NX_CHECK_OK(nx_cancel_wait_init(&s->w, s->tok));
  }
  if (nx_cancel_wait_poll(&s->w, cx) == NX_PENDING) return NX_PENDING;
  woke++;
  return NX_READY;
}

static void waiter_drop(void *p) { nx_cancel_wait_drop(&((waiter *)p)->w); }

int main(void) {
  nx_test_start();
  nx_executor *ex = svc_executor();
  nx_cancel_token *root, *a, *b, *a1, *late;
  NX_CHECK_OK(nx_cancel_token_create(&root));
  NX_CHECK_OK(nx_cancel_token_child(root, &a));
  NX_CHECK_OK(nx_cancel_token_child(root, &b));
  NX_CHECK_OK(nx_cancel_token_child(a, &a1));

  /* A child's cancel stays below it. */
  nx_cancel_token_cancel(b);
  NX_CHECK_EQ(nx_cancel_token_is_cancelled(b), 1);
  NX_CHECK_EQ(nx_cancel_token_is_cancelled(root), 0);
  NX_CHECK_EQ(nx_cancel_token_is_cancelled(a), 0);

  /* A grandchild's waiting future is woken by the root's cancel. */
  nx_future_desc d = NX_FUTURE(waiter, waiter_poll, waiter_drop);
  waiter w = {0};
  w.tok = a1;
  NX_CHECK_OK(nx_spawn(ex, &d, &w, NULL, NULL));
  NX_CHECK_EQ(nx_test_run_idle(ex), 1);
  nx_cancel_token *kids[100];
  for (int i = 0; i < 100; i++) NX_CHECK_OK(nx_cancel_token_child(root, &kids[i]));
  /* Released before the cancel: it unlinks itself from the root. */
  nx_cancel_token_release(kids[50]);
  nx_cancel_token_cancel(root);
  NX_CHECK_EQ(nx_cancel_token_is_cancelled(a), 1);
  NX_CHECK_EQ(nx_cancel_token_is_cancelled(a1), 1);
  for (int i = 0; i < 100; i++)
    if (i != 50) NX_CHECK_EQ(nx_cancel_token_is_cancelled(kids[i]), 1);
  NX_CHECK_EQ(nx_test_run_idle(ex), 1);
  NX_CHECK_EQ(woke, 1);

  NX_CHECK_OK(nx_cancel_token_child(root, &late));
  NX_CHECK_EQ(nx_cancel_token_is_cancelled(late), 1); /* born cancelled */

  /* Release order: the root first (children keep it alive), then the rest. */
  nx_cancel_token_release(root);
  nx_cancel_token_release(a);
  for (int i = 0; i < 100; i++)
    if (i != 50) nx_cancel_token_release(kids[i]);
  nx_cancel_token_release(late);
  nx_cancel_token_release(b);
  nx_cancel_token_release(a1);

  /* A 1000-deep chain, cancelled at the top, released from the bottom. */
  nx_cancel_token *chain[1000];
  NX_CHECK_OK(nx_cancel_token_create(&chain[0]));
  for (int i = 1; i < 1000; i++) NX_CHECK_OK(nx_cancel_token_child(chain[i - 1], &chain[i]));
  nx_cancel_token_cancel(chain[0]);
  NX_CHECK_EQ(nx_cancel_token_is_cancelled(chain[999]), 1);
  for (int i = 0; i < 1000; i++) nx_cancel_token_release(chain[i]);
  nx_executor_destroy(ex);
  return 0;
}

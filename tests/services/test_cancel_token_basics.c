/* A cancellation token: not cancelled, then cancelled for good (idempotent);
 * a waiting future is pending before and ready after, several futures on one
 * token all wake; a future made after the cancel is ready at once. Misuse. */
#include "nx_test.h"
#include "svc_test.h"

static int ready_count;

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
  int rc = nx_cancel_wait_poll(&s->w, cx);
  if (rc == NX_PENDING) return NX_PENDING;
  NX_CHECK_RC(rc, NX_READY);
  ready_count++;
  return NX_READY;
}

static void waiter_drop(void *p) { nx_cancel_wait_drop(&((waiter *)p)->w); }

int main(void) {
  nx_test_start();
  nx_executor *ex = svc_executor();
  nx_cancel_token *tok;
  NX_CHECK_OK(nx_cancel_token_create(&tok));
  NX_CHECK_EQ(nx_cancel_token_is_cancelled(tok), 0);
  nx_future_desc d = NX_FUTURE(waiter, waiter_poll, waiter_drop);
  waiter w = {0};
  w.tok = tok;
  for (int i = 0; i < 3; i++) NX_CHECK_OK(nx_spawn(ex, &d, &w, NULL, NULL));
  NX_CHECK_EQ(nx_test_run_idle(ex), 3);
  NX_CHECK_EQ(nx_test_run_idle(ex), 0); /* nothing wakes them */
  NX_CHECK_EQ(ready_count, 0);
  nx_cancel_token_cancel(tok);
  NX_CHECK_EQ(nx_cancel_token_is_cancelled(tok), 1);
  nx_cancel_token_cancel(tok); /* idempotent */
  NX_CHECK_EQ(nx_cancel_token_is_cancelled(tok), 1);
  NX_CHECK_EQ(nx_test_run_idle(ex), 3);
  NX_CHECK_EQ(ready_count, 3);
  NX_CHECK_OK(nx_spawn(ex, &d, &w, NULL, NULL));
  NX_CHECK_EQ(nx_test_run_idle(ex), 1); /* after the cancel: ready at once */
  NX_CHECK_EQ(ready_count, 4);

  /* Misuse. */
  nx_cancel_wait cw;
  nx_cancel_token *other = tok;
  NX_CHECK_RC(nx_cancel_token_create(NULL), NX_EINVAL);
  NX_CHECK_RC(nx_cancel_token_child(NULL, &other), NX_EINVAL);
  NX_CHECK(other == NULL); /* out is cleared on error */
  NX_CHECK_RC(nx_cancel_token_child(tok, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_cancel_token_retain(NULL), NX_EINVAL);
  NX_CHECK_RC(nx_cancel_wait_init(&cw, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_cancel_wait_init(NULL, tok), NX_EINVAL);
  NX_CHECK_RC(nx_cancel_wait_poll(&cw, NULL), NX_EINVAL);
  NX_CHECK_EQ(nx_cancel_token_is_cancelled(NULL), 0);
  nx_cancel_token_cancel(NULL);
  nx_cancel_token_release(NULL);
  nx_cancel_wait_drop(NULL);
  nx_cancel_wait_drop(&cw);
  nx_cancel_token_release(tok);
  nx_executor_destroy(ex);
  return 0;
}

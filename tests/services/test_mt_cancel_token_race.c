/* Races on one token, 200 rounds: two threads cancel at once while two
 * others make (and release) children and a task waits on the token and on a
 * child. Once the cancels have returned every child is cancelled (made
 * before: reached by the cancel; made after: born cancelled), the waiting
 * task always wakes, and nothing leaks (ASan) or races (TSan). */
#include "nx_test.h"
#include "svc_test.h"

#define ROUNDS 200

static nx_cancel_token *tok;
static nx_cancel_token *kept[2][25]; /* children still held when cancel ran */
static atomic_int go;

static void *cancel_thread(void *arg) {
  (void)arg;
  while (!atomic_load(&go)) sched_yield();
  nx_cancel_token_cancel(tok);
  return NULL;
}

static void *child_thread(void *arg) {
  int me = (int)(intptr_t)arg;
  nx_cancel_token *kids[50];
  while (!atomic_load(&go)) sched_yield();
  for (int i = 0; i < 50; i++) NX_CHECK_OK(nx_cancel_token_child(tok, &kids[i]));
  for (int i = 0; i < 25; i++) nx_cancel_token_release(kids[i]);
  for (int i = 0; i < 25; i++) kept[me][i] = kids[25 + i];
  return NULL;
}

static int woke;

typedef struct {
  nx_cancel_wait w1, w2;
  nx_cancel_token *child;
  int inited, done1, done2;
} waiter;

static nx_poll waiter_poll(void *p, nx_cx *cx) {
  waiter *s = p;
  if (!s->inited) {
    s->inited = 1;
    NX_CHECK_OK(nx_cancel_token_child(tok, &s->child));
    NX_CHECK_OK(nx_cancel_wait_init(&s->w1, tok));
    NX_CHECK_OK(nx_cancel_wait_init(&s->w2, s->child));
    atomic_store(&go, 1);
  }
  if (!s->done1) s->done1 = nx_cancel_wait_poll(&s->w1, cx) == NX_READY;
  if (!s->done2) s->done2 = nx_cancel_wait_poll(&s->w2, cx) == NX_READY;
  if (!(s->done1 && s->done2)) return NX_PENDING;
  woke++;
  return NX_READY;
}

static void waiter_drop(void *p) {
  waiter *s = p;
  nx_cancel_wait_drop(&s->w1);
  nx_cancel_wait_drop(&s->w2);
  nx_cancel_token_release(s->child);
}

int main(void) {
  nx_test_start();
  nx_executor *ex = svc_executor();
  nx_future_desc d = NX_FUTURE(waiter, waiter_poll, waiter_drop);
  for (int r = 0; r < ROUNDS; r++) {
    NX_CHECK_OK(nx_cancel_token_create(&tok));
    atomic_store(&go, 0);
    pthread_t th[4];
    NX_CHECK(pthread_create(&th[0], NULL, cancel_thread, NULL) == 0);
    NX_CHECK(pthread_create(&th[1], NULL, cancel_thread, NULL) == 0);
    NX_CHECK(pthread_create(&th[2], NULL, child_thread, (void *)(intptr_t)0) == 0);
    NX_CHECK(pthread_create(&th[3], NULL, child_thread, (void *)(intptr_t)1) == 0);
    NX_CHECK_OK(nx_spawn(ex, &d, NULL, NULL, NULL));
    NX_CHECK_OK(nx_run(ex, NX_RUN_PARKED));
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int t = 0; t < 2; t++)
      for (int i = 0; i < 25; i++) {
        NX_CHECK_EQ(nx_cancel_token_is_cancelled(kept[t][i]), 1);
        nx_cancel_token_release(kept[t][i]);
      }
    nx_cancel_token_release(tok);
  }
  NX_CHECK_EQ(woke, ROUNDS);
  nx_executor_destroy(ex);
  return 0;
}

/* SPEC 9.7 (seed: in block_on_busy a sleep whose deadline is not on a 1 ms
 * tick boundary is lost: the wheel fires it early, the sleep sees it is not
 * due, returns pending with "registered" set, and nothing wakes it again).
 * Here such sleeps complete in busy mode, at or after their deadlines, and
 * repeatedly (a sleep re-armed with nx_sleep_reset). */
#include "nx_test.h"
#include "svc_test.h"

typedef struct {
  NX_ASYNC_FIELDS;
  nx_sleep sl;
  int i, rc;
} st;

static int done_count, early;

static nx_poll st_poll(void *p, nx_cx *cx) {
  st *s = p;
  NX_BEGIN(s);
  NX_CHECK_OK(nx_sleep_init(&s->sl, nx_cx_executor(cx), 1300000)); /* 1.3 ms */
  for (s->i = 0; s->i < 20; s->i++) {
    NX_AWAIT(s, s->rc = nx_sleep_poll(&s->sl, cx));
    NX_CHECK_RC(s->rc, NX_READY);
    if (nx_now_ns() < nx_sleep_deadline(&s->sl)) early++;
    done_count++;
    NX_CHECK_OK(nx_sleep_reset(&s->sl, nx_now_ns() + 700123)); /* off any ms grid */
  }
  NX_END(s);
}

static void st_drop(void *p) { nx_sleep_drop(&((st *)p)->sl); }

int main(void) {
  nx_test_start();
  nx_executor *ex = svc_executor();
  nx_future_desc d = NX_FUTURE(st, st_poll, st_drop);
  NX_CHECK_OK(nx_block_on(ex, NX_RUN_BUSY, &d, NULL, NULL, 0));
  NX_CHECK_EQ(done_count, 20);
  NX_CHECK_EQ(early, 0);
  nx_executor_destroy(ex);
  return 0;
}

/* A yield returns pending once and wakes its own task: the tasks already
 * waiting run before it continues, and it does continue. */
#include "nx_test.h"
#include "svc_test.h"

static char order[16];
static int n_order;

typedef struct {
  NX_ASYNC_FIELDS;
  nx_yield y;
  char name;
} yielder;

static nx_poll yielder_poll(void *p, nx_cx *cx) {
  yielder *s = p;
  NX_BEGIN(s);
  order[n_order++] = s->name;
  nx_yield_init(&s->y);
  NX_AWAIT(s, nx_yield_poll(&s->y, cx));
  order[n_order++] = (char)(s->name + 32); /* lower case: after the yield */
  NX_END(s);
}

int main(void) {
  nx_test_start();
  nx_executor *ex = svc_executor();
  yielder a = {0}, b = {0};
  a.name = 'A';
  b.name = 'B';
  SVC_SPAWN(ex, yielder, yielder_poll, NULL, &a);
  SVC_SPAWN(ex, yielder, yielder_poll, NULL, &b);
  NX_CHECK_OK(nx_run(ex, NX_RUN_BUSY));
  order[n_order] = 0;
  /* A yields, B runs (and yields), then A resumes, then B. */
  NX_CHECK(strcmp(order, "ABab") == 0);

  nx_yield y;
  NX_CHECK_RC(nx_yield_init(NULL), NX_EINVAL);
  NX_CHECK_OK(nx_yield_init(&y));
  NX_CHECK_RC(nx_yield_poll(&y, NULL), NX_EINVAL);
  NX_CHECK_RC(nx_yield_poll(NULL, NULL), NX_EINVAL);
  nx_executor_destroy(ex);
  return 0;
}

/* nx_spawn copies desc->size bytes of `init` into the task's own storage (a
 * later change to the caller's struct does not reach the task); init NULL
 * zero-fills the state. */
#include "nx_test.h"

typedef struct {
  int a;
  char text[40];
  double d;
} copy_fut;

static copy_fut seen;
static void *seen_state;
static int polls;

static nx_poll copy_poll(void *state, nx_cx *cx) {
  (void)cx;
  memcpy(&seen, state, sizeof seen);
  seen_state = state;
  polls++;
  return NX_READY;
}

int main(void) {
  nx_test_start();
  nx_slab_config sc;
  NX_CHECK_OK(nx_slab_config_init(&sc));
  nx_executor *ex = nx_test_executor(0, 0, NULL, &sc);
  nx_future_desc d = NX_FUTURE(copy_fut, copy_poll, NULL);

  for (int slab = 0; slab <= 1; slab++) {
    copy_fut init = {7, "copied in", 2.5};
    NX_CHECK_OK(slab ? nx_spawn_slab(ex, &d, &init, NULL, NULL)
                     : nx_spawn(ex, &d, &init, NULL, NULL));
    /* The caller's struct is a template: changing it now must not matter. */
    init.a = -1;
    strcpy(init.text, "changed after spawn");
    NX_CHECK_EQ(nx_run_once(ex), 1);
    NX_CHECK(seen_state != (void *)&init);
    NX_CHECK_EQ(seen.a, 7);
    NX_CHECK(strcmp(seen.text, "copied in") == 0);
    NX_CHECK(seen.d == 2.5);

    /* init NULL: the state starts zeroed, even in a slot used before. */
    NX_CHECK_OK(slab ? nx_spawn_slab(ex, &d, NULL, NULL, NULL) : nx_spawn(ex, &d, NULL, NULL, NULL));
    NX_CHECK_EQ(nx_run_once(ex), 1);
    copy_fut zero;
    memset(&zero, 0, sizeof zero);
    NX_CHECK(memcmp(&seen, &zero, sizeof zero) == 0);
  }
  NX_CHECK_EQ(polls, 4);
  nx_executor_destroy(ex);
  return 0;
}

/* Consumer of an installed nxrt (see CMakeLists.txt here): spawns a task that
 * produces a value, awaits it from a root task, and exits 0 only if the task
 * ran and its output arrived. */
#include <nxrt.h>
#include <stdio.h>

typedef struct { int in; int *ran; } square_fut;

static nx_poll square_poll(void *p, nx_cx *cx) {
  square_fut *s = p;
  (*s->ran)++;
  *(int *)nx_cx_output(cx) = s->in * s->in;
  return NX_READY;
}

typedef struct { NX_ASYNC_FIELDS; int *ran; nx_join child; int out, rc; } root_fut;

static nx_poll root_poll(void *p, nx_cx *cx) {
  root_fut *s = p;
  NX_BEGIN(s);
  {
    nx_future_desc d = NX_FUTURE_OUT(square_fut, square_poll, NULL, int);
    square_fut init = { 12, s->ran };
    s->rc = nx_spawn(nx_cx_executor(cx), &d, &init, NULL, &s->child);
    if (s->rc != NX_OK) return NX_READY;
  }
  NX_AWAIT_JOIN(s, cx, &s->child, &s->out, sizeof s->out, s->rc);
  *(int *)nx_cx_output(cx) = s->out;
  NX_END(s);
}

int main(void) {
  nx_executor *ex = NULL;
  int rc = nx_executor_create(NULL, &ex);
  if (rc != NX_OK) {
    fprintf(stderr, "nx_executor_create: %s\n", nx_strerror(rc));
    return 1;
  }
  int ran = 0, result = 0;
  root_fut init = { 0 };
  init.ran = &ran;
  nx_future_desc root = NX_FUTURE_OUT(root_fut, root_poll, NULL, int);
  rc = nx_block_on(ex, NX_RUN_PARKED, &root, &init, &result, sizeof result);
  nx_executor_destroy(ex);
  if (rc != NX_OK || ran != 1 || result != 144) {
    fprintf(stderr, "consumer: rc=%s ran=%d result=%d (want NX_OK, 1, 144)\n",
            nx_err_name(rc), ran, result);
    return 1;
  }
  printf("nxrt %s: task ran once, result %d\n", nx_version(), result);
  return 0;
}

/* The poll context handed to every poll function. */
#include "executor.h"

nx_waker nx_cx_waker(nx_cx *cx) {
  nx_waker w = {cx ? cx->task : NULL};
  return w;
}

void nx_cx_wake(nx_cx *cx) {
  if (cx != NULL && cx->task != NULL) nx__wake_local(cx->ex, cx->task);
}

void *nx_cx_output(nx_cx *cx) {
  if (cx == NULL || cx->task == NULL) return NULL;
  nx_join_block *jb = nx__task_join(cx->task);
  return jb && jb->output_size ? jb->output : NULL;
}

nx_executor *nx_cx_executor(nx_cx *cx) { return cx ? cx->ex : NULL; }

nx_task_id nx_cx_task_id(nx_cx *cx) {
  if (cx == NULL || cx->task == NULL) return NX_TASK_ID_NONE;
  nx_task *t = cx->task;
  return nx__task_id(cx->ex, t);
}


/* Join handles: a reference to a finished-or-not task whose join block holds
 * the output and the awaiting task's waker. Executor thread only. */
#include "executor.h"
#include "waker_slot.h"

#include <string.h>

static int nx_join_finish(nx_join *j, void *out, size_t out_size) {
  nx_task *t = j->task;
  nx_join_block *jb = nx__task_join(t);
  int rc = NX_ECANCELED;
  if (t->flags & NX_TF_OUTPUT_SET) {
    size_t n = out_size < jb->output_size ? out_size : jb->output_size;
    if (out != NULL && n != 0) memcpy(out, jb->output, n);
    rc = NX_READY;
  }
  nx_waker_drop(&jb->waiter);
  j->task = NULL;
  nx__ref_drop(t);
  return rc;
}

int nx_join_poll(nx_join *j, nx_cx *cx, void *out, size_t out_size) {
  if (j == NULL || j->task == NULL || cx == NULL || cx->task == NULL) return NX_EINVAL;
  nx_task *t = j->task;
  if (t->flags & NX_TF_DONE) return nx_join_finish(j, out, out_size);
  nx_join_block *jb = nx__task_join(t);
  nx__waker_store(&jb->waiter, cx);
  return NX_PENDING;
}

int nx_join_try(nx_join *j, void *out, size_t out_size) {
  if (j == NULL || j->task == NULL) return NX_EINVAL;
  if (j->task->flags & NX_TF_DONE) return nx_join_finish(j, out, out_size);
  return NX_PENDING;
}

void nx_join_detach(nx_join *j) {
  if (j == NULL || j->task == NULL) return;
  nx_task *t = j->task;
  j->task = NULL;
  nx_waker_drop(&nx__task_join(t)->waiter);
  nx__ref_drop(t);
}

nx_task_id nx_join_id(const nx_join *j) {
  if (j == NULL || j->task == NULL) return NX_TASK_ID_NONE;
  nx_task *t = j->task;
  if (t->ex->shut) return NX_TASK_ID_NONE;
  return nx__task_id(t->ex, t);
}

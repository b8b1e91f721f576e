/* Registration misuse is a clear error that changes nothing; deregistering
 * leaves the descriptor open and the nx_io reusable; a descriptor closed
 * before deregistering (against the documented rule) is reported; a task
 * cancelled while waiting on IO releases its waker through its drop. */
#include "nx_test.h"
#include "svc_test.h"

static nx_executor *ex;
static int pfd[2], thread_rc;
static nx_io shared_io;

static void *other_thread(void *arg) {
  (void)arg;
  nx_io io = {0};
  thread_rc = nx_io_register(&io, ex, pfd[0], NX_IO_READ);
  return NULL;
}

static void *other_thread_dereg(void *arg) {
  (void)arg;
  thread_rc = nx_io_deregister(&shared_io);
  return NULL;
}

typedef struct {
  nx_io io;
} waiter;

static nx_poll waiter_poll(void *p, nx_cx *cx) {
  waiter *s = p;
  if (nx_io_fd(&s->io) < 0) NX_CHECK_OK(nx_io_register(&s->io, nx_cx_executor(cx), pfd[0], NX_IO_READ));
  nx_io_clear_readable(&s->io);
  NX_CHECK_RC(nx_io_poll_readable(&s->io, cx), NX_PENDING);
  return NX_PENDING;
}

static void waiter_drop(void *p) { nx_io_drop(&((waiter *)p)->io); }

int main(void) {
  nx_test_start();
  nx_test_alloc_stats st = {0};
  nx_allocator al = nx_test_counting_allocator(&st);
  ex = nx_test_executor(0, 0, &al, NULL);
  NX_CHECK(pipe(pfd) == 0);
  svc_set_nonblocking(pfd[0]);
  svc_set_nonblocking(pfd[1]);

  nx_io io = {0};
  NX_CHECK_RC(nx_io_register(NULL, ex, pfd[0], NX_IO_READ), NX_EINVAL);
  NX_CHECK_RC(nx_io_register(&io, NULL, pfd[0], NX_IO_READ), NX_EINVAL);
  NX_CHECK_RC(nx_io_register(&io, ex, -1, NX_IO_READ), NX_EINVAL);
  NX_CHECK_RC(nx_io_register(&io, ex, pfd[0], 0), NX_EINVAL);
  NX_CHECK_RC(nx_io_register(&io, ex, pfd[0], 4), NX_EINVAL);
  NX_CHECK_RC(nx_io_register(&io, ex, 1000, NX_IO_READ), NX_EBADF);
  NX_CHECK_EQ(nx_io_fd(&io), -1);
  /* A regular file cannot be in an epoll set. */
  FILE *f = tmpfile();
  NX_CHECK(f != NULL);
  NX_CHECK_RC(nx_io_register(&io, ex, fileno(f), NX_IO_READ), NX_ENOTPOLLABLE);
  fclose(f);
  /* From another thread. */
  pthread_t th;
  NX_CHECK(pthread_create(&th, NULL, other_thread, NULL) == 0);
  pthread_join(th, NULL);
  NX_CHECK_RC(thread_rc, NX_EWRONGTHREAD);

  NX_CHECK_OK(nx_io_register(&io, ex, pfd[0], NX_IO_READ));
  NX_CHECK_EQ(nx_io_fd(&io), pfd[0]);
  NX_CHECK_RC(nx_io_register(&io, ex, pfd[0], NX_IO_READ), NX_EINVAL); /* twice */
  NX_CHECK_RC(nx_io_poll_writable(&io, NULL), NX_EINVAL);
  NX_CHECK_OK(nx_io_deregister(&io));
  NX_CHECK_RC(nx_io_deregister(&io), NX_EINVAL);
  NX_CHECK(fcntl(pfd[0], F_GETFD) >= 0); /* still open */
  NX_CHECK_OK(nx_io_register(&io, ex, pfd[0], NX_IO_READ)); /* reusable */
  /* Deregistering from another thread is refused (a copy of the nx_io is
   * enough to show it: the call must not touch anything). */
  shared_io = io;
  NX_CHECK(pthread_create(&th, NULL, other_thread_dereg, NULL) == 0);
  pthread_join(th, NULL);
  NX_CHECK_RC(thread_rc, NX_EWRONGTHREAD);
  NX_CHECK_OK(nx_io_deregister(&io));

  /* Closing before deregistering: reported, and the nx_io is let go anyway. */
  int extra[2];
  NX_CHECK(pipe(extra) == 0);
  NX_CHECK_OK(nx_io_register(&io, ex, extra[0], NX_IO_READ));
  close(extra[0]);
  NX_CHECK_RC(nx_io_deregister(&io), -EBADF);
  NX_CHECK_EQ(nx_io_fd(&io), -1);
  close(extra[1]);

  /* Cancelled while waiting: the drop releases the waker, the task is freed. */
  nx_future_desc d = NX_FUTURE(waiter, waiter_poll, waiter_drop);
  nx_task_id id;
  NX_CHECK_OK(nx_spawn(ex, &d, NULL, &id, NULL));
  NX_CHECK_EQ(nx_test_run_idle(ex), 1);
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 1);
  NX_CHECK_OK(nx_cancel(ex, id));
  NX_CHECK_EQ_U(nx_executor_allocated_tasks(ex), 0);
  NX_CHECK_EQ_U(st.frees, st.allocs);
  close(pfd[0]);
  close(pfd[1]);
  nx_executor_destroy(ex);
  return 0;
}

/* IO readiness: descriptors in the executor's epoll set, edge-triggered,
 * with a reader waker and a writer waker per descriptor.
 *
 * The nx_io itself is the epoll data pointer (its first member is the
 * nx_epoll_source callback park.c calls), so an event costs no lookup. An
 * event sets the side's readiness bit and wakes that side's task; the waker
 * stays stored (woken by reference) so a task that waits on the same
 * descriptor again does not clone it again. Readiness starts set (the first
 * read/write is simply tried) and is cleared on EAGAIN, or on a stream read
 * that came back short (nx__io_read_was_short): with edge triggering, data
 * that arrives after that raises a new edge, which the next epoll_wait
 * reports. Events and polls both run on the executor
 * thread, so there is no window between "EAGAIN" and "waker stored".
 *
 * The per-executor IO service exists only for shutdown: it keeps the list of
 * registrations so it can release their wakers and take them out of the
 * epoll set before the tasks owning them are dropped.
 */
#define _GNU_SOURCE
#include "services.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* A private bit in interest_: the descriptor is a socket, so writes use
 * send(MSG_NOSIGNAL) and a closed peer is NX_EPIPE, not SIGPIPE. */
#define NX_IO_SOCKET_ 0x100u
/* A private bit in readiness_, never cleared while registered: an event
 * reported the read side's end (peer's FIN, hang-up or error). An event
 * carries the descriptor's whole state when epoll reported it, and any
 * change after that raises a new edge. So without this bit a short read
 * means the socket is drained; with it, the end is still queued behind the
 * data and will raise no further edge, so the next read must try. */
#define NX_IO_READ_END_ 0x100u
/* A private bit in interest_: every future waiting on this registration
 * takes a readiness that turns out false (it tries, and waits again on
 * EAGAIN), so a busy executor may mark it ready instead of asking epoll
 * (nx__io_busy_idle). */
#define NX_IO_TRY_FIRST_ 0x200u

/* Busy idling tries the waiting transfers themselves while at most this
 * many descriptors are registered. Data that arrives waits on average for
 * half an idle step, then the call that finds it: trying N descriptors is
 * N/2 + 1 system calls, asking epoll 1/2 + 1 + the transfer; trying wins
 * below 3. */
#define NX_IO_TRY_FIRST_MAX 2
/* While trying first, every this many idle steps ask epoll instead, for
 * the other registrations and sources. */
#define NX_IO_TRY_FIRST_EPOLL_EVERY 16

static_assert(offsetof(nx_io, ready_) == 0, "nx_io starts with its epoll callback");

typedef struct nx_io_service {
  nx_service base;     /* first */
  nx_io *head;         /* registrations */
  uint32_t count;      /* of registrations */
  uint32_t busy_idles; /* nx__io_busy_idle steps (counts to the next epoll_wait) */
} nx_io_service;

static void nx_io_unlink(nx_io_service *svc, nx_io *io) {
  svc->count--;
  if (io->prev_) io->prev_->next_ = io->next_;
  else svc->head = io->next_;
  if (io->next_) io->next_->prev_ = io->prev_;
  io->prev_ = io->next_ = NULL;
}

/* Forgets the registration locally (the epoll side is the caller's). */
static void nx_io_detach(nx_io_service *svc, nx_io *io) {
  nx_io_unlink(svc, io);
  io->ex_->epoll_sources--;
  io->svc_ = NULL;
  io->readiness_ = 0;
  nx_waker_drop(&io->reader_);
  nx_waker_drop(&io->writer_);
}

static void nx_io_service_shutdown(nx_service *s, nx_executor *ex) {
  nx_io_service *svc = (nx_io_service *)s;
  while (svc->head != NULL) {
    nx_io *io = svc->head;
    epoll_ctl(ex->epfd, EPOLL_CTL_DEL, io->fd_, NULL);
    nx_io_detach(svc, io);
  }
  nx__executor_remove_service(ex, s);
  free(svc);
}

/* Events arrive through nx__poll_events: no per-cycle hook, no deadline. */
static const nx_service_ops nx_io_service_ops = {NULL, NULL, nx_io_service_shutdown};

static nx_service *nx_io_service_create(nx_executor *ex) {
  (void)ex;
  nx_io_service *svc = calloc(1, sizeof *svc);
  return svc != NULL ? &svc->base : NULL;
}

static int nx_io_service_get(nx_executor *ex, nx_io_service **out) {
  nx_service *s = NULL;
  int rc = nx__service_get(ex, &nx_io_service_ops, nx_io_service_create, &s);
  *out = (nx_io_service *)s;
  return rc;
}

/* Called by nx__poll_events (park.c) on the executor thread. */
static void nx_io_ready(nx_epoll_source *src, uint32_t events) {
  nx_io *io = (nx_io *)(void *)src;
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) io->readiness_ |= NX_IO_READ_END_;
  if (events & (EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    io->readiness_ |= NX_IO_READ;
    nx_waker_wake_by_ref(&io->reader_);
  }
  if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
    io->readiness_ |= NX_IO_WRITE;
    nx_waker_wake_by_ref(&io->writer_);
  }
}

int nx_io_register(nx_io *io, nx_executor *ex, int fd, unsigned interest) {
  if (io == NULL || ex == NULL || fd < 0 || interest == 0 ||
      (interest & ~(unsigned)(NX_IO_READ | NX_IO_WRITE)) != 0)
    return NX_EINVAL;
  /* An io that is registered right now must be deregistered first; a
   * never-registered one may hold garbage, so only svc_ is trusted here
   * when the caller zeroed or deregistered it (task state starts zeroed). */
  if (io->svc_ != NULL) return NX_EINVAL;
  nx_io_service *svc;
  int rc = nx_io_service_get(ex, &svc);
  if (rc < 0) return rc;
  io->ready_ = nx_io_ready;
  io->ex_ = ex;
  io->fd_ = fd;
  io->interest_ = interest;
  io->readiness_ = interest; /* optimistic: the first read/write is tried */
  io->reader_.task = io->writer_.task = NULL;
  struct epoll_event ev;
  ev.events = EPOLLET | ((interest & NX_IO_READ) ? EPOLLIN | EPOLLRDHUP : 0) |
              ((interest & NX_IO_WRITE) ? EPOLLOUT : 0);
  ev.data.ptr = io;
  if (epoll_ctl(ex->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    int err = errno;
    io->fd_ = -1;
    /* EPERM is epoll's "this file cannot be polled", not a permission or
     * thread problem: name it so. */
    return err == EPERM ? NX_ENOTPOLLABLE : -err;
  }
  struct stat sb;
  if (fstat(fd, &sb) == 0 && S_ISSOCK(sb.st_mode)) io->interest_ |= NX_IO_SOCKET_;
  io->svc_ = svc;
  io->prev_ = NULL;
  io->next_ = svc->head;
  if (svc->head) svc->head->prev_ = io;
  svc->head = io;
  svc->count++;
  ex->epoll_sources++;
  return NX_OK;
}

static inline int nx_io_check(const nx_io *io, const nx_cx *cx, unsigned side) {
  if (io == NULL || !nx__cx_in_poll(cx) || io->svc_ == NULL || cx->ex != io->ex_ ||
      !(io->interest_ & side))
    return NX_EINVAL;
  return NX_OK;
}

static int nx_io_poll_side(nx_io *io, nx_cx *cx, unsigned side) {
  int rc = nx_io_check(io, cx, side);
  if (rc < 0) return rc;
  if (io->readiness_ & side) return NX_READY;
  nx__waker_store(side == NX_IO_READ ? &io->reader_ : &io->writer_, cx);
  return NX_PENDING;
}

int nx_io_poll_readable(nx_io *io, nx_cx *cx) { return nx_io_poll_side(io, cx, NX_IO_READ); }
int nx_io_poll_writable(nx_io *io, nx_cx *cx) { return nx_io_poll_side(io, cx, NX_IO_WRITE); }

void nx_io_clear_readable(nx_io *io) {
  if (io != NULL) io->readiness_ &= ~(unsigned)NX_IO_READ;
}

void nx__io_read_was_short(nx_io *io) {
  if (!(io->readiness_ & NX_IO_READ_END_)) io->readiness_ &= ~(unsigned)NX_IO_READ;
}

void nx_io_clear_writable(nx_io *io) {
  if (io != NULL) io->readiness_ &= ~(unsigned)NX_IO_WRITE;
}

int nx_io_read_poll(nx_io *io, nx_cx *cx, void *buf, size_t len, size_t *n_out) {
  int rc = nx_io_check(io, cx, NX_IO_READ);
  if (rc < 0) return rc;
  if (buf == NULL || n_out == NULL) return NX_EINVAL;
  while (io->readiness_ & NX_IO_READ) {
    ssize_t n = read(io->fd_, buf, len);
    if (n >= 0) {
      *n_out = (size_t)n;
      return NX_READY;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      io->readiness_ &= ~(unsigned)NX_IO_READ;
    else if (errno != EINTR)
      return -errno;
  }
  nx__waker_store(&io->reader_, cx);
  return NX_PENDING;
}

int nx_io_write_poll(nx_io *io, nx_cx *cx, const void *buf, size_t len, size_t *n_out) {
  int rc = nx_io_check(io, cx, NX_IO_WRITE);
  if (rc < 0) return rc;
  if (buf == NULL || n_out == NULL) return NX_EINVAL;
  while (io->readiness_ & NX_IO_WRITE) {
    ssize_t n = (io->interest_ & NX_IO_SOCKET_) ? send(io->fd_, buf, len, MSG_NOSIGNAL)
                                                : write(io->fd_, buf, len);
    if (n >= 0) {
      *n_out = (size_t)n;
      return NX_READY;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      io->readiness_ &= ~(unsigned)NX_IO_WRITE;
    else if (errno != EINTR)
      return -errno;
  }
  nx__waker_store(&io->writer_, cx);
  return NX_PENDING;
}

void nx__io_set_try_first(nx_io *io) { io->interest_ |= NX_IO_TRY_FIRST_; }

/* A side whose readiness was cleared and whose waiter tries first: marked
 * ready and woken, so the waiter's next try is the readiness check. True if
 * a task was woken. */
static bool nx_io_try_side(nx_io *io, unsigned side) {
  nx_waker *w = side == NX_IO_READ ? &io->reader_ : &io->writer_;
  if (w->task == NULL || (io->readiness_ & side) || !(io->interest_ & side)) return false;
  io->readiness_ |= side;
  nx_waker_wake_by_ref(w);
  return true;
}

/* With one socket, epoll_wait then recv is two system calls where a recv
 * alone finds the data: trying first takes the epoll_wait off the path from
 * the data's arrival to the task reading it. */
void nx__io_busy_idle(nx_executor *ex) {
  nx_io_service *svc = (nx_io_service *)(void *)nx__service_find(ex, &nx_io_service_ops);
  bool woke = false;
  if (svc != NULL && svc->count <= NX_IO_TRY_FIRST_MAX &&
      ++svc->busy_idles % NX_IO_TRY_FIRST_EPOLL_EVERY != 0) {
    for (nx_io *io = svc->head; io != NULL; io = io->next_) {
      if (!(io->interest_ & NX_IO_TRY_FIRST_)) continue;
      woke |= nx_io_try_side(io, NX_IO_READ);
      woke |= nx_io_try_side(io, NX_IO_WRITE);
    }
  }
  if (!woke) nx__poll_events(ex, 0);
}

int nx_io_fd(const nx_io *io) { return io != NULL && io->svc_ != NULL ? io->fd_ : -1; }

int nx_io_deregister(nx_io *io) {
  if (io == NULL || io->svc_ == NULL) return NX_EINVAL;
  if (!nx__on_owner(io->ex_)) return NX_EWRONGTHREAD;
  int rc = NX_OK;
  if (epoll_ctl(io->ex_->epfd, EPOLL_CTL_DEL, io->fd_, NULL) < 0) rc = -errno;
  nx_io_detach(io->svc_, io);
  io->fd_ = -1;
  return rc;
}

void nx_io_drop(nx_io *io) { (void)nx_io_deregister(io); }

void nx_io_wake(nx_io *io, unsigned sides) {
  if (io == NULL || io->svc_ == NULL) return;
  if (sides & NX_IO_READ) nx_waker_wake(&io->reader_);
  if (sides & NX_IO_WRITE) nx_waker_wake(&io->writer_);
}

void nx_io_forget_waker(nx_io *io, unsigned sides, const nx_waker *w) {
  if (io == NULL || io->svc_ == NULL || w == NULL || w->task == NULL) return;
  if ((sides & NX_IO_READ) && io->reader_.task == w->task) nx_waker_drop(&io->reader_);
  if ((sides & NX_IO_WRITE) && io->writer_.task == w->task) nx_waker_drop(&io->writer_);
}

/* Shutdown requests: a per-executor handle (a cancellation token underneath)
 * that any thread can trigger, a future any task can await (it registers a
 * waker, unlike the seed's, which only the root task noticed), and opt-in
 * SIGINT/SIGTERM handling.
 *
 * Signals: the handler is async-signal-safe: it only reads an atomic fd and
 * write()s to that eventfd. The eventfd sits in the executor's epoll set, and
 * its event (on the executor thread) triggers the shutdown, which takes locks
 * and wakes tasks, none of which a handler may do. A self-pipe-style eventfd
 * rather than signalfd because signalfd needs the signals blocked in every
 * thread of the process, which a library cannot arrange. The previous
 * handlers are restored on removal and at executor shutdown (the seed never
 * restored them).
 */
#define _GNU_SOURCE
#include "services.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct nx_shutdown {
  _Atomic size_t refs;
  nx_cancel_token *tok;
};

typedef struct nx_shutdown_service {
  nx_service base;            /* first */
  nx_epoll_source sig_src;    /* the signal eventfd's epoll callback */
  nx_executor *ex;
  nx_shutdown *h;             /* the service's own reference */
  int sig_fd;                 /* -1 unless signals are installed */
  struct sigaction old_int, old_term;
} nx_shutdown_service;

/* ------------------------------------------------------------------------ */
/* The handle                                                               */
/* ------------------------------------------------------------------------ */

int nx_shutdown_retain(nx_shutdown *h) {
  if (h == NULL) return NX_EINVAL;
  atomic_fetch_add_explicit(&h->refs, 1, memory_order_relaxed);
  return NX_OK;
}

void nx_shutdown_release(nx_shutdown *h) {
  if (h == NULL || atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel) != 1) return;
  nx_cancel_token_release(h->tok);
  free(h);
}

void nx_shutdown_trigger(nx_shutdown *h) {
  if (h != NULL) nx_cancel_token_cancel(h->tok);
}

int nx_shutdown_is_triggered(const nx_shutdown *h) {
  return h != NULL && nx_cancel_token_is_cancelled(h->tok);
}

/* ------------------------------------------------------------------------ */
/* Signals                                                                  */
/* ------------------------------------------------------------------------ */

/* Process-wide: which service owns the signals, the fd the handler writes,
 * and how many handler runs are in flight (so removal can wait them out
 * before closing the fd). */
static _Atomic(nx_shutdown_service *) nx_sig_owner;
static _Atomic int nx_sig_fd = -1;
static _Atomic int nx_sig_in_handler;

static void nx_sig_handler(int sig) {
  (void)sig;
  int saved = errno;
  atomic_fetch_add_explicit(&nx_sig_in_handler, 1, memory_order_seq_cst);
  int fd = atomic_load_explicit(&nx_sig_fd, memory_order_seq_cst);
  if (fd >= 0) {
    uint64_t one = 1;
    ssize_t n = write(fd, &one, sizeof one);
    (void)n;
  }
  atomic_fetch_sub_explicit(&nx_sig_in_handler, 1, memory_order_seq_cst);
  errno = saved;
}

static void nx_sig_ready(nx_epoll_source *src, uint32_t events) {
  (void)events;
  nx_shutdown_service *svc = (nx_shutdown_service *)((char *)src - offsetof(nx_shutdown_service, sig_src));
  uint64_t n;
  while (read(svc->sig_fd, &n, sizeof n) == (ssize_t)sizeof n) {
  }
  nx_shutdown_trigger(svc->h);
}

static void nx_sig_remove(nx_shutdown_service *svc) {
  if (svc->sig_fd < 0) return;
  sigaction(SIGINT, &svc->old_int, NULL);
  sigaction(SIGTERM, &svc->old_term, NULL);
  /* seq_cst with the handler's: once the fd reads -1 and no run is in
   * flight, no handler can still write to it. */
  atomic_store_explicit(&nx_sig_fd, -1, memory_order_seq_cst);
  while (atomic_load_explicit(&nx_sig_in_handler, memory_order_seq_cst) != 0) sched_yield();
  epoll_ctl(svc->ex->epfd, EPOLL_CTL_DEL, svc->sig_fd, NULL);
  svc->ex->epoll_sources--;
  close(svc->sig_fd);
  svc->sig_fd = -1;
  atomic_store_explicit(&nx_sig_owner, NULL, memory_order_release);
}

/* ------------------------------------------------------------------------ */
/* The service                                                              */
/* ------------------------------------------------------------------------ */

static void nx_shutdown_service_shutdown(nx_service *s, nx_executor *ex) {
  nx_shutdown_service *svc = (nx_shutdown_service *)s;
  nx_sig_remove(svc);
  nx_shutdown_release(svc->h);
  nx__executor_remove_service(ex, s);
  free(svc);
}

/* Signals arrive through nx__poll_events: no per-cycle hook, no deadline. */
static const nx_service_ops nx_shutdown_service_ops = {NULL, NULL, nx_shutdown_service_shutdown};

static nx_service *nx_shutdown_service_create(nx_executor *ex) {
  nx_shutdown_service *svc = calloc(1, sizeof *svc);
  nx_shutdown *h = calloc(1, sizeof *h);
  if (svc == NULL || h == NULL || nx_cancel_token_create(&h->tok) < 0) {
    free(svc);
    free(h);
    return NULL;
  }
  atomic_init(&h->refs, 1);
  svc->sig_src.ready = nx_sig_ready;
  svc->ex = ex;
  svc->h = h;
  svc->sig_fd = -1;
  return &svc->base;
}

static int nx_shutdown_service_get(nx_executor *ex, nx_shutdown_service **out) {
  nx_service *s = NULL;
  int rc = nx__service_get(ex, &nx_shutdown_service_ops, nx_shutdown_service_create, &s);
  *out = (nx_shutdown_service *)s;
  return rc;
}

int nx_shutdown_handle(nx_executor *ex, nx_shutdown **out) {
  if (out == NULL) return NX_EINVAL;
  *out = NULL;
  if (ex == NULL) return NX_EINVAL;
  nx_shutdown_service *svc;
  int rc = nx_shutdown_service_get(ex, &svc);
  if (rc < 0) return rc;
  nx_shutdown_retain(svc->h);
  *out = svc->h;
  return NX_OK;
}

int nx_shutdown_signals_install(nx_executor *ex) {
  if (ex == NULL) return NX_EINVAL;
  nx_shutdown_service *svc;
  int rc = nx_shutdown_service_get(ex, &svc);
  if (rc < 0) return rc;
  nx_shutdown_service *none = NULL;
  if (!atomic_compare_exchange_strong_explicit(&nx_sig_owner, &none, svc, memory_order_acq_rel,
                                               memory_order_acquire))
    return NX_EBUSY;
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) {
    rc = -errno;
    goto fail;
  }
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = &svc->sig_src};
  if (epoll_ctl(ex->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    rc = -errno;
    close(fd);
    goto fail;
  }
  svc->sig_fd = fd;
  ex->epoll_sources++;
  atomic_store_explicit(&nx_sig_fd, fd, memory_order_seq_cst);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = nx_sig_handler;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGINT, &sa, &svc->old_int) < 0) {
    rc = -errno;
    sigaction(SIGINT, NULL, &svc->old_int);
    sigaction(SIGTERM, NULL, &svc->old_term);
    nx_sig_remove(svc);
    return rc;
  }
  if (sigaction(SIGTERM, &sa, &svc->old_term) < 0) {
    rc = -errno;
    sigaction(SIGTERM, NULL, &svc->old_term);
    nx_sig_remove(svc);
    return rc;
  }
  return NX_OK;

fail:
  atomic_store_explicit(&nx_sig_owner, NULL, memory_order_release);
  return rc;
}

int nx_shutdown_signals_remove(nx_executor *ex) {
  if (ex == NULL) return NX_EINVAL;
  if (ex->shut) return NX_EINVAL; /* shutdown already removed them */
  if (!nx__on_owner(ex)) return NX_EWRONGTHREAD;
  nx_service *s = nx__service_find(ex, &nx_shutdown_service_ops);
  nx_shutdown_service *svc = (nx_shutdown_service *)s;
  if (svc == NULL || svc->sig_fd < 0) return NX_EINVAL;
  nx_sig_remove(svc);
  return NX_OK;
}

/* ------------------------------------------------------------------------ */
/* The future                                                               */
/* ------------------------------------------------------------------------ */

int nx_shutdown_wait_init(nx_shutdown_wait *w, nx_shutdown *h) {
  if (w == NULL) return NX_EINVAL;
  return nx_cancel_wait_init(&w->wait_, h ? h->tok : NULL);
}

int nx_shutdown_wait_poll(nx_shutdown_wait *w, nx_cx *cx) {
  return w ? nx_cancel_wait_poll(&w->wait_, cx) : NX_EINVAL;
}

void nx_shutdown_wait_drop(nx_shutdown_wait *w) {
  if (w != NULL) nx_cancel_wait_drop(&w->wait_);
}

/* The status code table (NX_ERR_MAP in nxrt.h) is whole and unambiguous:
 * every code it generates has its own name (spelled as the enum) and a
 * non-empty text of its own, no two codes are equal, errno-named codes are
 * the negated errno and nxrt's own conditions lie outside the errno range;
 * poll results are named apart from status codes (NX_PENDING and NX_OK are
 * both 0); unknown values get "unknown error" / "NX_UNKNOWN"; the socket
 * errors a networking layer returns are named; nx_version matches the
 * header. */
#include "nx_test.h"

#include "nxrt_services.h"

typedef struct { int code; const char *name; int is_errno; } entry;
#define ENTRY(name, value, text) {NX_##name, "NX_" #name, 0},
static entry table[] = {NX_ERR_MAP(ENTRY)};
enum { N = sizeof table / sizeof table[0] };

/* errno-named codes equal the negated errno (the name after NX_ is the
 * errno's); the others are listed here. */
static const int own[] = {NX_ESLABFULL, NX_EALIGN, NX_EWRONGTHREAD, NX_ENOTPOLLABLE};

int main(void) {
  nx_test_start();
  for (int i = 0; i < N; i++) {
    const char *name = nx_err_name(table[i].code);
    const char *text = nx_strerror(table[i].code);
    NX_CHECK(name != NULL && text != NULL);
    if (strcmp(name, table[i].name) != 0)
      nx_test_fail(__FILE__, __LINE__, "nx_err_name(%d) = %s, expected %s", table[i].code, name,
                   table[i].name);
    NX_CHECK(text[0] != '\0');
    NX_CHECK(strcmp(text, "unknown error") != 0);
    NX_CHECK(table[i].code < 0);
    for (int k = 0; k < i; k++) {
      if (table[k].code == table[i].code)
        nx_test_fail(__FILE__, __LINE__, "%s and %s are both %d", table[k].name, table[i].name,
                     table[i].code);
      NX_CHECK(strcmp(nx_strerror(table[k].code), text) != 0);
    }
    int is_own = 0;
    for (size_t k = 0; k < sizeof own / sizeof own[0]; k++) is_own |= own[k] == table[i].code;
    NX_CHECK(is_own ? table[i].code < -4095 : table[i].code >= -4095);
  }
  /* Spot checks that errno names are the errno values. */
  NX_CHECK_EQ(NX_EPIPE, -EPIPE);
  NX_CHECK_EQ(NX_ENOSPC, -ENOSPC);
  NX_CHECK_EQ(NX_EPERM, -EPERM);
  NX_CHECK(strcmp(nx_err_name(-ENOSPC), "NX_ENOSPC") == 0); /* not "slab full" */
  NX_CHECK(strcmp(nx_err_name(-EEXIST), "NX_EEXIST") == 0);
  NX_CHECK(NX_EWRONGTHREAD != NX_ENOTPOLLABLE && NX_EWRONGTHREAD != NX_EPERM);
  /* The socket errors a networking layer on top returns as -errno. */
  const int sock[] = {ECONNREFUSED, ECONNRESET, ECONNABORTED, EADDRINUSE, EADDRNOTAVAIL, EPIPE,
                      ETIMEDOUT, ENOTCONN, ENETUNREACH, EHOSTUNREACH, EMSGSIZE, EACCES,
                      EAFNOSUPPORT, EINPROGRESS, EISCONN, ENOBUFS, EAGAIN, EINTR};
  for (size_t i = 0; i < sizeof sock / sizeof sock[0]; i++) {
    if (strcmp(nx_err_name(-sock[i]), "NX_UNKNOWN") == 0)
      nx_test_fail(__FILE__, __LINE__, "-errno %d has no name", sock[i]);
  }
  /* Status codes and poll results. */
  NX_CHECK(strcmp(nx_err_name(NX_OK), "NX_OK") == 0);
  NX_CHECK(strcmp(nx_strerror(NX_OK), "success") == 0);
  NX_CHECK(strcmp(nx_poll_name(NX_PENDING), "NX_PENDING") == 0);
  NX_CHECK(strcmp(nx_poll_name(NX_READY), "NX_READY") == 0);
  NX_CHECK(strcmp(nx_poll_name(NX_ETIMEDOUT), "NX_ETIMEDOUT") == 0);
  NX_CHECK(strcmp(nx_poll_name(7), "NX_UNKNOWN") == 0);
  const int unknown[] = {1, 2, -1000, -9999, 12345, -ENOTBLK};
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    NX_CHECK(strcmp(nx_strerror(unknown[i]), "unknown error") == 0);
    NX_CHECK(strcmp(nx_err_name(unknown[i]), "NX_UNKNOWN") == 0);
  }
  char want[32];
  snprintf(want, sizeof want, "%d.%d.%d", NXRT_VERSION_MAJOR, NXRT_VERSION_MINOR,
           NXRT_VERSION_PATCH);
  NX_CHECK(strcmp(nx_version(), want) == 0);
  return 0;
}

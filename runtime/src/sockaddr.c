/* Socket addresses: numeric text in and out, IPv4 and IPv6 (with a scope:
 * "[fe80::1%eth0]:80"). Numeric only: a name lookup blocks, which a task
 * must never do on the executor's thread. */
#define _GNU_SOURCE
#include "nxrt_net.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int nx_sockaddr_clear(nx_sockaddr *out) {
  if (out == NULL) return NX_EINVAL;
  memset(out, 0, sizeof *out);
  return NX_OK;
}

/* "::1" or "fe80::1%eth0" (scope by name or number). */
static int nx_parse_v6(nx_sockaddr *out, const char *ip, size_t n) {
  char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  if (n == 0 || n >= sizeof buf) return NX_EINVAL;
  memcpy(buf, ip, n);
  buf[n] = '\0';
  char *scope = strchr(buf, '%');
  unsigned scope_id = 0;
  if (scope != NULL) {
    *scope++ = '\0';
    char *end;
    unsigned long v = strtoul(scope, &end, 10);
    if (*scope != '\0' && *end == '\0' && v <= UINT32_MAX) scope_id = (unsigned)v;
    else if ((scope_id = if_nametoindex(scope)) == 0) return NX_EINVAL;
  }
  if (inet_pton(AF_INET6, buf, &out->u.in6.sin6_addr) != 1) return NX_EINVAL;
  out->u.in6.sin6_family = AF_INET6;
  out->u.in6.sin6_scope_id = scope_id;
  out->len = sizeof out->u.in6;
  return NX_OK;
}

static int nx_parse_v4(nx_sockaddr *out, const char *ip, size_t n) {
  char buf[INET_ADDRSTRLEN];
  if (n == 0 || n >= sizeof buf) return NX_EINVAL;
  memcpy(buf, ip, n);
  buf[n] = '\0';
  if (inet_pton(AF_INET, buf, &out->u.in4.sin_addr) != 1) return NX_EINVAL;
  out->u.in4.sin_family = AF_INET;
  out->len = sizeof out->u.in4;
  return NX_OK;
}

static int nx_parse_port(const char *p, uint16_t *port) {
  if (*p < '0' || *p > '9') return NX_EINVAL;
  char *end;
  unsigned long v = strtoul(p, &end, 10);
  if (*end != '\0' || v > 65535) return NX_EINVAL;
  *port = (uint16_t)v;
  return NX_OK;
}

int nx_sockaddr_parse(nx_sockaddr *out, const char *text) {
  if (nx_sockaddr_clear(out) < 0 || text == NULL) return NX_EINVAL;
  uint16_t port;
  int rc;
  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    if (close == NULL || close[1] != ':') return NX_EINVAL;
    rc = nx_parse_v6(out, text + 1, (size_t)(close - text - 1));
    if (rc == NX_OK) rc = nx_parse_port(close + 2, &port);
  } else {
    const char *colon = strrchr(text, ':');
    if (colon == NULL) return NX_EINVAL;
    rc = nx_parse_v4(out, text, (size_t)(colon - text));
    if (rc == NX_OK) rc = nx_parse_port(colon + 1, &port);
  }
  if (rc == NX_OK) rc = nx_sockaddr_set_port(out, port);
  if (rc < 0) nx_sockaddr_clear(out);
  return rc;
}

int nx_sockaddr_ip(nx_sockaddr *out, const char *ip, uint16_t port) {
  if (nx_sockaddr_clear(out) < 0 || ip == NULL) return NX_EINVAL;
  size_t n = strlen(ip);
  int rc = strchr(ip, ':') != NULL ? nx_parse_v6(out, ip, n) : nx_parse_v4(out, ip, n);
  if (rc == NX_OK) rc = nx_sockaddr_set_port(out, port);
  if (rc < 0) nx_sockaddr_clear(out);
  return rc;
}

static int nx_sockaddr_fixed(nx_sockaddr *out, int family, uint16_t port, int loopback) {
  if (nx_sockaddr_clear(out) < 0) return NX_EINVAL;
  if (family == AF_INET) {
    out->u.in4.sin_family = AF_INET;
    out->u.in4.sin_addr.s_addr = htonl(loopback ? INADDR_LOOPBACK : INADDR_ANY);
    out->len = sizeof out->u.in4;
  } else if (family == AF_INET6) {
    out->u.in6.sin6_family = AF_INET6;
    out->u.in6.sin6_addr = loopback ? in6addr_loopback : in6addr_any;
    out->len = sizeof out->u.in6;
  } else {
    return NX_EINVAL;
  }
  return nx_sockaddr_set_port(out, port);
}

int nx_sockaddr_loopback(nx_sockaddr *out, int family, uint16_t port) {
  return nx_sockaddr_fixed(out, family, port, 1);
}

int nx_sockaddr_any(nx_sockaddr *out, int family, uint16_t port) {
  return nx_sockaddr_fixed(out, family, port, 0);
}

int nx_sockaddr_from(nx_sockaddr *out, const struct sockaddr *sa, socklen_t len) {
  if (nx_sockaddr_clear(out) < 0 || sa == NULL) return NX_EINVAL;
  if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof out->u.in4) {
    memcpy(&out->u.in4, sa, sizeof out->u.in4);
    out->len = sizeof out->u.in4;
  } else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof out->u.in6) {
    memcpy(&out->u.in6, sa, sizeof out->u.in6);
    out->len = sizeof out->u.in6;
  } else {
    return NX_EINVAL;
  }
  return NX_OK;
}

int nx_sockaddr_family(const nx_sockaddr *a) {
  if (a == NULL) return AF_UNSPEC;
  if (a->len == sizeof a->u.in4 && a->u.sa.sa_family == AF_INET) return AF_INET;
  if (a->len == sizeof a->u.in6 && a->u.sa.sa_family == AF_INET6) return AF_INET6;
  return AF_UNSPEC;
}

uint16_t nx_sockaddr_port(const nx_sockaddr *a) {
  switch (nx_sockaddr_family(a)) {
  case AF_INET: return ntohs(a->u.in4.sin_port);
  case AF_INET6: return ntohs(a->u.in6.sin6_port);
  default: return 0;
  }
}

int nx_sockaddr_set_port(nx_sockaddr *a, uint16_t port) {
  switch (nx_sockaddr_family(a)) {
  case AF_INET: a->u.in4.sin_port = htons(port); return NX_OK;
  case AF_INET6: a->u.in6.sin6_port = htons(port); return NX_OK;
  default: return NX_EINVAL;
  }
}

int nx_sockaddr_format(const nx_sockaddr *a, char *buf, size_t size) {
  if (buf == NULL) return NX_EINVAL;
  int family = nx_sockaddr_family(a);
  char ip[INET6_ADDRSTRLEN], scope[IF_NAMESIZE + 12] = "";
  if (family == AF_UNSPEC ||
      inet_ntop(family, family == AF_INET ? (const void *)&a->u.in4.sin_addr
                                          : (const void *)&a->u.in6.sin6_addr,
                ip, sizeof ip) == NULL) {
    if (size > 0) buf[0] = '\0';
    return NX_EINVAL;
  }
  int n;
  if (family == AF_INET) {
    n = snprintf(buf, size, "%s:%u", ip, (unsigned)nx_sockaddr_port(a));
  } else {
    if (a->u.in6.sin6_scope_id != 0) {
      char name[IF_NAMESIZE];
      if (if_indextoname(a->u.in6.sin6_scope_id, name) != NULL)
        snprintf(scope, sizeof scope, "%%%s", name);
      else
        snprintf(scope, sizeof scope, "%%%u", (unsigned)a->u.in6.sin6_scope_id);
    }
    n = snprintf(buf, size, "[%s%s]:%u", ip, scope, (unsigned)nx_sockaddr_port(a));
  }
  if (n < 0 || (size_t)n >= size) {
    if (size > 0) buf[0] = '\0';
    return -ENOSPC;
  }
  return n;
}

int nx_sockaddr_equal(const nx_sockaddr *a, const nx_sockaddr *b) {
  int family = nx_sockaddr_family(a);
  if (family == AF_UNSPEC || family != nx_sockaddr_family(b)) return 0;
  if (family == AF_INET)
    return a->u.in4.sin_port == b->u.in4.sin_port &&
           a->u.in4.sin_addr.s_addr == b->u.in4.sin_addr.s_addr;
  return a->u.in6.sin6_port == b->u.in6.sin6_port &&
         a->u.in6.sin6_scope_id == b->u.in6.sin6_scope_id &&
         memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, sizeof a->u.in6.sin6_addr) == 0;
}

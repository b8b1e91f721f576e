/* Socket addresses from and to text: IPv4 and IPv6 (with a numeric
 * scope), port handling, equality, and every malformed input (NX_EINVAL,
 * the output cleared); a buffer too small for the text is -ENOSPC. */
#include "nx_test.h"
#include "nxrt_net.h"

static void round_trip(const char *text, int family, uint16_t port) {
  nx_sockaddr a, b;
  char buf[NX_SOCKADDR_STRLEN];
  NX_CHECK_OK(nx_sockaddr_parse(&a, text));
  NX_CHECK_EQ(nx_sockaddr_family(&a), family);
  NX_CHECK_EQ(nx_sockaddr_port(&a), port);
  NX_CHECK_EQ(nx_sockaddr_format(&a, buf, sizeof buf), (int)strlen(text));
  if (strcmp(buf, text) != 0) nx_test_fail(__FILE__, __LINE__, "'%s' came back as '%s'", text, buf);
  NX_CHECK_OK(nx_sockaddr_parse(&b, buf));
  NX_CHECK(nx_sockaddr_equal(&a, &b));
}

int main(void) {
  nx_test_start();
  round_trip("127.0.0.1:8080", AF_INET, 8080);
  round_trip("0.0.0.0:0", AF_INET, 0);
  round_trip("255.255.255.255:65535", AF_INET, 65535);
  round_trip("[::1]:9", AF_INET6, 9);
  round_trip("[2001:db8::42]:443", AF_INET6, 443);
  round_trip("[::ffff:10.1.2.3]:7", AF_INET6, 7);

  nx_sockaddr a, b;
  char buf[NX_SOCKADDR_STRLEN];
  NX_CHECK_OK(nx_sockaddr_parse(&a, "[fe80::1%7]:80"));
  NX_CHECK_EQ(a.u.in6.sin6_scope_id, 7);
  NX_CHECK(nx_sockaddr_format(&a, buf, sizeof buf) > 0);
  NX_CHECK(strchr(buf, '%') != NULL);

  const char *bad[] = {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                       "127.0.0.1:80x", "1.2.3:80", "localhost:80", "::1:80", "[::1]",
                       "[::1]80", "[::1:80", "[1.2.3.4]:80", "[fe80::1%nosuchif0]:80",
                       "127.0.0.1: 80"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(&a, 0x5a, sizeof a);
    int rc = nx_sockaddr_parse(&a, bad[i]);
    if (rc != NX_EINVAL) nx_test_fail(__FILE__, __LINE__, "'%s' parsed (%d)", bad[i], rc);
    NX_CHECK_EQ(nx_sockaddr_family(&a), AF_UNSPEC);
    NX_CHECK_EQ(a.len, 0);
  }
  NX_CHECK_RC(nx_sockaddr_parse(NULL, "1.2.3.4:5"), NX_EINVAL);
  NX_CHECK_RC(nx_sockaddr_parse(&a, NULL), NX_EINVAL);

  NX_CHECK_OK(nx_sockaddr_ip(&a, "10.0.0.1", 53));
  NX_CHECK_OK(nx_sockaddr_parse(&b, "10.0.0.1:53"));
  NX_CHECK(nx_sockaddr_equal(&a, &b));
  NX_CHECK_OK(nx_sockaddr_set_port(&b, 54));
  NX_CHECK(!nx_sockaddr_equal(&a, &b));
  NX_CHECK_OK(nx_sockaddr_ip(&a, "::1", 1));
  NX_CHECK_EQ(nx_sockaddr_family(&a), AF_INET6);
  NX_CHECK_RC(nx_sockaddr_ip(&a, "10.0.0.1:53", 1), NX_EINVAL);
  NX_CHECK_OK(nx_sockaddr_loopback(&a, AF_INET6, 5));
  NX_CHECK_OK(nx_sockaddr_parse(&b, "[::1]:5"));
  NX_CHECK(nx_sockaddr_equal(&a, &b));
  NX_CHECK_OK(nx_sockaddr_any(&a, AF_INET, 6));
  NX_CHECK_EQ(nx_sockaddr_format(&a, buf, sizeof buf), 9);
  NX_CHECK(strcmp(buf, "0.0.0.0:6") == 0);
  NX_CHECK_RC(nx_sockaddr_format(&a, buf, 5), -ENOSPC);
  NX_CHECK_EQ(buf[0], '\0');
  NX_CHECK_RC(nx_sockaddr_loopback(&a, AF_UNIX, 1), NX_EINVAL);
  NX_CHECK_RC(nx_sockaddr_format(&a, buf, sizeof buf), NX_EINVAL);
  NX_CHECK_EQ(buf[0], '\0');
  nx_sockaddr none = {0};
  NX_CHECK_RC(nx_sockaddr_format(&none, buf, sizeof buf), NX_EINVAL);
  NX_CHECK_RC(nx_sockaddr_set_port(&none, 1), NX_EINVAL);
  NX_CHECK_EQ(nx_sockaddr_port(NULL), 0);
  NX_CHECK(!nx_sockaddr_equal(&none, &none));
  struct sockaddr_un_like { sa_family_t f; char path[20]; } unix_addr = {AF_UNIX, "x"};
  NX_CHECK_RC(nx_sockaddr_from(&a, (struct sockaddr *)&unix_addr, sizeof unix_addr), NX_EINVAL);
  return 0;
}

/* nx_strerror and nx_err_name know every status code nxrt defines (distinct
 * names matching the enum spelling, non-empty texts) and answer "unknown
 * error" / "NX_UNKNOWN" for anything else; nx_version matches the header. */
#include "nx_test.h"

#define CODE(c) {c, #c}
static const struct { int code; const char *name; } codes[] = {
    CODE(NX_OK),        CODE(NX_EINVAL),    CODE(NX_ENOMEM),   CODE(NX_ESLABFULL),
    CODE(NX_E2BIG),     CODE(NX_EALIGN),    CODE(NX_ESTALE),   CODE(NX_EALREADY),
    CODE(NX_ECANCELED), CODE(NX_ESHUTDOWN), CODE(NX_EOVERFLOW), CODE(NX_EPERM),
    CODE(NX_EBUSY),
};
enum { N = sizeof codes / sizeof codes[0] };

int main(void) {
  nx_test_start();
  for (int i = 0; i < N; i++) {
    const char *name = nx_err_name(codes[i].code);
    const char *text = nx_strerror(codes[i].code);
    NX_CHECK(name != NULL && text != NULL);
    if (strcmp(name, codes[i].name) != 0)
      nx_test_fail(__FILE__, __LINE__, "nx_err_name(%d) = %s, expected %s", codes[i].code, name,
                   codes[i].name);
    NX_CHECK(text[0] != '\0');
    NX_CHECK(strcmp(text, "unknown error") != 0);
    NX_CHECK(codes[i].code <= 0);
    for (int k = 0; k < i; k++) {
      NX_CHECK(codes[k].code != codes[i].code); /* every code distinct */
      NX_CHECK(strcmp(nx_strerror(codes[k].code), text) != 0);
    }
  }
  /* nxrt_services.h's codes have names too. */
  NX_CHECK(strcmp(nx_err_name(-EAGAIN), "NX_EAGAIN") == 0);
  NX_CHECK(strcmp(nx_err_name(-EPIPE), "NX_EPIPE") == 0);
  NX_CHECK(strcmp(nx_err_name(-ETIMEDOUT), "NX_ETIMEDOUT") == 0);
  const int unknown[] = {1, 2, -1000, -9999, 12345, -ENOENT};
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

/* Status code names and texts, generated from NX_ERR_MAP (nxrt.h). A
 * switch, not a table walk: the compiler rejects two codes with one value
 * (duplicate case), so the table cannot hold an alias. */
#include "nxrt.h"

const char *nx_strerror(int code) {
  switch (code) {
    case NX_OK: return "success";
#define NX_ERR_TEXT_(name, value, text) case NX_##name: return text;
    NX_ERR_MAP(NX_ERR_TEXT_)
#undef NX_ERR_TEXT_
    default: return "unknown error";
  }
}

const char *nx_err_name(int code) {
  switch (code) {
    case NX_OK: return "NX_OK";
#define NX_ERR_NAME_(name, value, text) case NX_##name: return "NX_" #name;
    NX_ERR_MAP(NX_ERR_NAME_)
#undef NX_ERR_NAME_
    default: return "NX_UNKNOWN";
  }
}

const char *nx_poll_name(int result) {
  if (result == NX_PENDING) return "NX_PENDING";
  if (result == NX_READY) return "NX_READY";
  return result < 0 ? nx_err_name(result) : "NX_UNKNOWN";
}

#define NX_STR_(x) #x
#define NX_STR(x) NX_STR_(x)

const char *nx_version(void) {
  return NX_STR(NXRT_VERSION_MAJOR) "." NX_STR(NXRT_VERSION_MINOR) "." NX_STR(NXRT_VERSION_PATCH);
}

/* Status codes and the per-thread error message. */
#include "peil/core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* One message per thread: library calls may run in OpenMP workers. */
static _Thread_local char errbuf[2048];

const char *peil_strerror(int status) {
  switch (status) {
  case PEIL_OK: return "success";
  case PEIL_EINVAL: return "invalid argument";
  case PEIL_EDATA: return "bad input data";
  case PEIL_ENOTFOUND: return "not found";
  case PEIL_EEXIST: return "already exists";
  case PEIL_ETYPE: return "wrong type";
  case PEIL_ENOMEM: return "out of memory";
  case PEIL_EIO: return "input/output error";
  case PEIL_EHDF5: return "HDF5 error";
  case PEIL_ENUMERIC: return "numerical failure";
  case PEIL_EINTERNAL: return "internal error";
  default: return "unknown status";
  }
}

const char *peil_errmsg(void) { return errbuf; }

void peil_error_clear(void) { errbuf[0] = '\0'; }

int peil_error(int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(errbuf, sizeof errbuf, fmt, ap);
  va_end(ap);
  return status;
}

int peil_error_prefix(int status, const char *fmt, ...) {
  char old[sizeof errbuf];
  memcpy(old, errbuf, sizeof old);
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(errbuf, sizeof errbuf, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  size_t used = (size_t)n < sizeof errbuf ? (size_t)n : sizeof errbuf - 1;
  /* The message is cut at the buffer's end: long context beats none. */
  const char *rest = old[0] ? old : peil_strerror(status);
  size_t len = strlen(rest), room = sizeof errbuf - 1 - used;
  if (len > room) len = room;
  memcpy(errbuf + used, rest, len);
  errbuf[used + len] = '\0';
  return status;
}

int peil_exit_code(int status) {
  switch (status) {
  case PEIL_OK: return 0;
  case PEIL_EINVAL:
  case PEIL_EDATA:
  case PEIL_ENOTFOUND:
  case PEIL_EEXIST:
  case PEIL_ETYPE:
  case PEIL_ENUMERIC: return 2;
  default: return 1;
  }
}

const char *peil_version(void) { return PEIL_VERSION_STRING; }

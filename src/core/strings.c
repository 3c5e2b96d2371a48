/* Lists of formatted strings (the warnings a result carries). */
#define _GNU_SOURCE /* vasprintf */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "peil/core.h"

int peil_strings_vaddf(char ***v, size_t *n, const char *fmt, va_list ap) {
  char **w = realloc(*v, (*n + 1) * sizeof *w);
  if (!w) return peil_error(PEIL_ENOMEM, "out of memory");
  *v = w;
  if (vasprintf(&w[*n], fmt, ap) < 0) return peil_error(PEIL_ENOMEM, "out of memory");
  (*n)++;
  return PEIL_OK;
}

int peil_strings_addf(char ***v, size_t *n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = peil_strings_vaddf(v, n, fmt, ap);
  va_end(ap);
  return rc;
}

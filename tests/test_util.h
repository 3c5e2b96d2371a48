/* Shared by the unit tests: cmocka plus tolerance checks and scratch paths. */
#ifndef PEIL_TEST_UTIL_H
#define PEIL_TEST_UTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "peil/peil.h"

/* |got - want| <= rtol * max(|want|, tiny): relative agreement that means
 * something for coefficients and standard errors (1e-6 in reference tests). */
#define assert_close(got, want, rtol)                                                      \
  do {                                                                                     \
    double g_ = (got), w_ = (want);                                                        \
    double scale_ = fabs(w_) > 1e-300 ? fabs(w_) : 1e-300;                                 \
    if (!(fabs(g_ - w_) <= (rtol)*scale_))                                                 \
      fail_msg("%s = %.17g, expected %.17g (relative error %.3g > %.3g)", #got, g_, w_,    \
               fabs(g_ - w_) / scale_, (double)(rtol));                                    \
  } while (0)

/* A library call that must succeed; shows peil's message when it does not. */
#define assert_ok(call)                                                                    \
  do {                                                                                     \
    int rc_ = (call);                                                                      \
    if (rc_ != 0) fail_msg("%s returned %d: %s", #call, rc_, peil_errmsg());               \
  } while (0)

/* A scratch path under the build tree, unique per test program and name. */
static inline const char *test_path(const char *name) {
  static char buf[8][1024];
  static int k = 0;
  char *p = buf[k++ % 8];
  snprintf(p, sizeof buf[0], "%s/scratch-%d-%s", PEIL_TEST_TMP, (int)getpid(), name);
  return p;
}

static inline int file_exists(const char *path) { return access(path, F_OK) == 0; }

/* Writes a text file (for CSV tests). */
static inline void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

#endif

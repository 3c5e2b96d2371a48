/* peil test on numbers (successes/trials, a table of counts, two samples
 * or their summaries): as the command line and a [test NAME] section's
 * counts give them. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "test_args.h"

/* A usage error: the numbers are not what the test takes. */
static int bad_usage(int *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad_usage(int *usage, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  *usage = 1;
  return peil_error(PEIL_EINVAL, "%s", msg);
}

static int parse_numbers(const char *s, double **v, size_t *n) {
  size_t cap = 1;
  for (const char *p = s; *p; p++) cap += *p == ',';
  *v = malloc(cap * sizeof **v);
  *n = 0;
  if (!*v) return -1;
  const char *p = s;
  for (;;) {
    char *end;
    errno = 0;
    double x = strtod(p, &end);
    while (*end == ' ') end++;
    if (end == p || errno || (*end && *end != ',')) return -1;
    (*v)[(*n)++] = x;
    if (!*end) return 0;
    p = end + 1;
  }
}

/* "71/300" */
static int parse_fraction(const char *s, double *x, double *n) {
  char *end;
  *x = strtod(s, &end);
  if (end == s || *end != '/') return -1;
  const char *p = end + 1;
  *n = strtod(p, &end);
  return end == p || *end ? -1 : 0;
}

/* "12,5,7;3,9,11": rows split by ';', every row as long as the first. */
static int parse_table(const char *s, double **v, size_t *nr, size_t *nc) {
  char *copy = strdup(s), *save = NULL;
  size_t cap = 0, n = 0;
  *v = NULL, *nr = *nc = 0;
  int rc = copy ? 0 : -1;
  for (char *row = copy ? strtok_r(copy, ";", &save) : NULL; !rc && row; row = strtok_r(NULL, ";", &save)) {
    double *r;
    size_t k;
    if (parse_numbers(row, &r, &k) || (*nr && k != *nc)) rc = -1;
    else {
      if (n + k > cap) {
        double *g = realloc(*v, (cap = 2 * (n + k)) * sizeof *g);
        if (!g) rc = -1;
        else *v = g;
      }
      if (!rc) memcpy(*v + n, r, k * sizeof *r), n += k, *nc = k, (*nr)++;
    }
    free(r);
  }
  free(copy);
  return rc || !*nr ? -1 : 0;
}

int test_numbers(peil_test_kind kind, char *const *args, size_t nargs, int summary,
                 const peil_test_options *o, peil_test_result *r, int *usage) {
  double *a = NULL, *b = NULL, *x = NULL, *n = NULL;
  size_t na = 0, nb = 0, nr = 0, nc = 0;
  int rc = 0;
  switch (kind) {
  case PEIL_TEST_PROP:
  case PEIL_TEST_BINOM:
    if (kind == PEIL_TEST_BINOM && nargs != 1) return bad_usage(usage, "binom takes one X/N, e.g. 71/300");
    if (!(x = calloc(nargs, sizeof *x)) || !(n = calloc(nargs, sizeof *n))) rc = peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < nargs; i++)
      if (parse_fraction(args[i], &x[i], &n[i])) {
        free(x), free(n);
        return bad_usage(usage, "'%s' is not successes/trials, e.g. 71/300", args[i]);
      }
    if (!rc) rc = kind == PEIL_TEST_BINOM ? peil_stats_binom_test(x[0], n[0], o, r) : peil_stats_prop_test(x, n, nargs, o, r);
    break;
  case PEIL_TEST_CHISQ:
  case PEIL_TEST_FISHER:
    if (nargs != 1 || parse_table(args[0], &a, &nr, &nc)) {
      free(a);
      return bad_usage(usage, "%s takes one table: rows of counts split by ';', e.g. '12,5,7;3,9,11'",
                       kind == PEIL_TEST_CHISQ ? "chisq" : "fisher");
    }
    if (kind == PEIL_TEST_FISHER && nr == 1 && nc == 4) nr = nc = 2; /* a,b,c,d */
    if (kind == PEIL_TEST_FISHER && (nr != 2 || nc != 2)) {
      free(a);
      return bad_usage(usage, "fisher takes a 2 x 2 table: a,b,c,d or 'a,b;c,d', not '%s'", args[0]);
    }
    rc = kind == PEIL_TEST_CHISQ ? peil_stats_chisq_test(a, nr, nc, o, r) : peil_stats_fisher_test(a, o, r);
    break;
  case PEIL_TEST_T:
  case PEIL_TEST_WILCOX:
    if (nargs != 2 || parse_numbers(args[0], &a, &na) || parse_numbers(args[1], &b, &nb) ||
        (summary && (na != 3 || nb != 3))) {
      free(a), free(b);
      return summary ? bad_usage(usage, "summary takes two groups as MEAN,SD,N MEAN,SD,N")
                     : bad_usage(usage, "give the two samples as X1,X2,... Y1,Y2,... (or data with value and group)");
    }
    if (summary) {
      peil_group_summary gx = {a[0], a[1], a[2]}, gy = {b[0], b[1], b[2]};
      rc = peil_stats_t_test_summary(&gx, &gy, o, r);
    } else {
      rc = kind == PEIL_TEST_T ? peil_stats_t_test(a, na, b, nb, o, r) : peil_stats_wilcox_test(a, na, b, nb, o, r);
    }
    break;
  }
  free(a), free(b), free(x), free(n);
  return rc;
}


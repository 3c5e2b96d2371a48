/* A test on the numbers read from a table of a store: what `peil test`
 * and the batch runner's [test NAME] sections call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_internal.h"

static const char *const kinds[] = {"prop", "binom", "chisq", "fisher", "t", "wilcox"};

const char *peil_test_kind_name(peil_test_kind k) {
  return (unsigned)k < sizeof kinds / sizeof *kinds ? kinds[k] : "?";
}

int peil_test_kind_from_name(const char *name) {
  for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
    if (strcmp(name, kinds[i]) == 0) return (int)i;
  return -1;
}

/* Successes and trials per group of 0/1 values. */
static int proportions(const peil_stats_data *d, double **x, double **n) {
  *x = calloc(d->ngroups, sizeof **x);
  *n = calloc(d->ngroups, sizeof **n);
  if (!*x || !*n) return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t g = 0; g < d->ngroups; g++) {
    for (size_t i = 0; i < d->n[g]; i++) (*x)[g] += d->values[g][i];
    (*n)[g] = (double)d->n[g];
  }
  return PEIL_OK;
}

static int run_prop(const peil_stats_data *d, peil_test_kind kind, const peil_stats_data_options *o,
                    const peil_test_options *to, peil_test_result *out) {
  if (o->group && d->ngroups < 2)
    return peil_error(PEIL_EDATA, "group column '%s' has one level in the rows used (%s): nothing to compare "
                      "(leave out the group for a one-sample test)", o->group, d->ngroups ? d->level[0] : "");
  double *x = NULL, *n = NULL;
  int rc = proportions(d, &x, &n);
  if (!rc) rc = kind == PEIL_TEST_BINOM ? peil_stats_binom_test(x[0], n[0], to, out)
                                        : peil_stats_prop_test(x, n, d->ngroups, to, out);
  free(x), free(n);
  return rc;
}

static int run_table(const peil_stats_data *d, peil_test_kind kind, const peil_stats_data_options *o,
                     const peil_test_options *to, peil_test_result *out) {
  if (d->nrow < 2 || d->ncol < 2) {
    int rows = d->nrow < 2;
    return peil_error(PEIL_EDATA, "column '%s' has %zu level%s in the rows used%s%s: a table needs at least 2 "
                      "rows and 2 columns", rows ? o->rows : o->cols, rows ? d->nrow : d->ncol,
                      (rows ? d->nrow : d->ncol) == 1 ? "" : "s", (rows ? d->nrow : d->ncol) ? ": " : "",
                      (rows ? d->nrow : d->ncol) ? (rows ? d->row_level[0] : d->col_level[0]) : "");
  }
  if (kind == PEIL_TEST_CHISQ) return peil_stats_chisq_test(d->count, d->nrow, d->ncol, to, out);
  if (d->nrow != 2 || d->ncol != 2)
    return peil_error(PEIL_EDATA, "Fisher's exact test takes a 2 x 2 table; '%s' by '%s' is %zu x %zu "
                      "(use chisq, or --where to keep two levels of each)", o->rows, o->cols, d->nrow, d->ncol);
  return peil_stats_fisher_test(d->count, to, out);
}

int peil_stats_run(peil_store *s, const char *table, peil_test_kind kind, const peil_stats_data_options *opt,
                   const peil_test_options *to, peil_stats_data **data, peil_test_result *out) {
  peil_stats_data_options o = *opt;
  *data = NULL;
  peil_test_result_clear(out);
  switch (kind) {
  case PEIL_TEST_PROP:
  case PEIL_TEST_BINOM: {
    if (kind == PEIL_TEST_BINOM && o.group)
      return peil_error(PEIL_EINVAL, "the binomial test takes one sample: leave out the group");
    o.binary = 1;
    int rc = peil_stats_read_groups(s, table, &o, 0, data);
    return rc ? rc : run_prop(*data, kind, &o, to, out);
  }
  case PEIL_TEST_CHISQ:
  case PEIL_TEST_FISHER: {
    int rc = peil_stats_read_table(s, table, &o, data);
    return rc ? rc : run_table(*data, kind, &o, to, out);
  }
  case PEIL_TEST_T:
  case PEIL_TEST_WILCOX: {
    if (!o.group) return peil_error(PEIL_EINVAL, "the %s test compares two groups: give the group column",
                                    kind == PEIL_TEST_T ? "t" : "rank-sum");
    int rc = peil_stats_read_groups(s, table, &o, 1, data);
    if (rc) return rc;
    const peil_stats_data *d = *data;
    return kind == PEIL_TEST_T ? peil_stats_t_test(d->values[0], d->n[0], d->values[1], d->n[1], to, out)
                               : peil_stats_wilcox_test(d->values[0], d->n[0], d->values[1], d->n[1], to, out);
  }
  }
  return peil_error(PEIL_EINVAL, "unknown test %d", (int)kind);
}

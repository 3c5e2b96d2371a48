/* chisq.test on an r x c table: Pearson's statistic against the counts
 * expected under independence, Yates' correction for 2 x 2 tables, and the
 * residuals R returns with it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>

#include "stats_internal.h"

static int check_table(const double *x, size_t nr, size_t nc, double *rs, double *cs, double *total) {
  if (nr < 2 || nc < 2)
    return peil_error(PEIL_EINVAL, "a %zu x %zu table: the test needs at least 2 rows and 2 columns", nr, nc);
  for (size_t i = 0; i < nr * nc; i++)
    if (!isfinite(x[i]) || x[i] < 0)
      return peil_error(PEIL_EDATA, "cell [%zu,%zu] of the table is %g: counts must be finite and not negative",
                        i / nc + 1, i % nc + 1, x[i]);
  *total = 0;
  for (size_t i = 0; i < nr; i++) rs[i] = 0;
  for (size_t j = 0; j < nc; j++) cs[j] = 0;
  for (size_t i = 0; i < nr; i++)
    for (size_t j = 0; j < nc; j++) rs[i] += x[i * nc + j], cs[j] += x[i * nc + j], *total += x[i * nc + j];
  if (*total == 0) return peil_error(PEIL_EDATA, "every cell of the table is 0");
  /* R returns NaN for a table with an empty row or column (0/0 in the
   * expected counts); peil says which. */
  for (size_t i = 0; i < nr; i++)
    if (rs[i] == 0) return peil_error(PEIL_EDATA, "row %zu of the table is empty (all counts 0): "
                                      "no expected counts (drop the row)", i + 1);
  for (size_t j = 0; j < nc; j++)
    if (cs[j] == 0) return peil_error(PEIL_EDATA, "column %zu of the table is empty (all counts 0): "
                                      "no expected counts (drop the column)", j + 1);
  return PEIL_OK;
}

static int chisq(const double *x, size_t nr, size_t nc, const peil_test_options *o, peil_test_result *r) {
  size_t cells = nr * nc;
  double *rs = malloc(nr * sizeof *rs), *cs = malloc(nc * sizeof *cs), n = 0;
  r->observed = malloc(cells * sizeof *r->observed);
  r->expected = malloc(cells * sizeof *r->expected);
  r->residuals = malloc(cells * sizeof *r->residuals);
  r->stdres = malloc(cells * sizeof *r->stdres);
  int rc = rs && cs && r->observed && r->expected && r->residuals && r->stdres
               ? check_table(x, nr, nc, rs, cs, &n)
               : peil_error(PEIL_ENOMEM, "out of memory");
  if (rc) {
    free(rs), free(cs);
    return rc;
  }
  r->nrow = nr, r->ncol = nc, r->n_total = n;
  double yates = 0, stat = 0;
  int small = 0;
  for (size_t i = 0; i < nr; i++)
    for (size_t j = 0; j < nc; j++) {
      size_t c = i * nc + j;
      double e = rs[i] * cs[j] / n, v = cs[j] * rs[i] * (n - rs[i]) * (n - cs[j]) / (n * n * n);
      r->observed[c] = x[c];
      r->expected[c] = e;
      r->residuals[c] = (x[c] - e) / sqrt(e);
      r->stdres[c] = (x[c] - e) / sqrt(v);
      small |= e < 5;
    }
  free(rs), free(cs);
  /* Yates: 2 x 2 only, and never more than the smallest |x - E|. */
  if (o->correct && nr == 2 && nc == 2) {
    yates = 0.5;
    for (size_t c = 0; c < 4; c++) yates = fmin(yates, fabs(x[c] - r->expected[c]));
  }
  for (size_t c = 0; c < cells; c++) {
    double d = fabs(x[c] - r->expected[c]) - yates;
    stat += d * d / r->expected[c];
  }
  snprintf(r->method, sizeof r->method, "Pearson's Chi-squared test%s",
           yates > 0 ? " with Yates' continuity correction" : "");
  r->statistic_name = "X-squared";
  r->statistic = stat;
  r->parameter_name = "df";
  r->parameter = (double)((nr - 1) * (nc - 1));
  r->p_value = gsl_cdf_chisq_Q(stat, r->parameter);
  if (small) return stats_result_warn(r, "Chi-squared approximation may be incorrect");
  return PEIL_OK;
}

int peil_stats_chisq_test(const double *counts, size_t nrow, size_t ncol, const peil_test_options *opt,
                          peil_test_result *out) {
  peil_test_options o;
  int rc = stats_options(opt, &o);
  peil_test_result_clear(out);
  if (rc) return rc;
  stats_result_start(out, "", &o, 0);
  if ((rc = chisq(counts, nrow, ncol, &o, out))) peil_test_result_clear(out);
  return rc;
}

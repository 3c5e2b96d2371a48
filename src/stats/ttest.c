/* t.test for two samples: Welch's test (unequal variances, Satterthwaite's
 * degrees of freedom) and the pooled-variance test, from data or from
 * summary statistics, as R 4.2's t.test computes them. */
#include <float.h>
#include <math.h>
#include <stdio.h>

#include <gsl/gsl_cdf.h>

#include "stats_internal.h"

/* Mean and variance as R computes them: sums in long double, the mean
 * corrected by the mean of the residuals (a second pass), the variance
 * from squared deviations about it. NaN values are skipped. */
static void moments(const double *v, size_t n, double *mean, double *var, double *count) {
  long double s = 0;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (!isnan(v[i])) s += v[i], k++;
  *count = (double)k;
  if (k == 0) {
    *mean = *var = NAN;
    return;
  }
  s /= k;
  long double t = 0;
  for (size_t i = 0; i < n; i++)
    if (!isnan(v[i])) t += v[i] - s;
  s += t / k;
  long double ss = 0;
  for (size_t i = 0; i < n; i++)
    if (!isnan(v[i])) ss += (v[i] - s) * (v[i] - s);
  *mean = (double)s;
  *var = k > 1 ? (double)(ss / (k - 1)) : NAN;
}

typedef struct {
  double mean, var, n;
} group;

static int t_test(const group *x, const group *y, const peil_test_options *o, peil_test_result *r) {
  const char *which[2] = {"x (group 1)", "y (group 2)"};
  const group *g[2] = {x, y};
  for (int i = 0; i < 2; i++) {
    if (g[i]->n < 1 || (!o->var_equal && g[i]->n < 2))
      return peil_error(PEIL_EDATA, "not enough observations in %s: %.0f; %s", which[i], g[i]->n,
                        o->var_equal ? "the pooled t test needs at least 1 in each group"
                                     : "Welch's t test needs at least 2 in each group");
    if (!isfinite(g[i]->mean) || (g[i]->n > 1 && !isfinite(g[i]->var)))
      return peil_error(PEIL_EDATA, "the mean or variance of %s is not finite", which[i]);
  }
  if (o->var_equal && x->n + y->n < 3)
    return peil_error(PEIL_EDATA, "not enough observations: the pooled t test needs at least 3 in all");
  double se, df;
  if (o->var_equal) {
    df = x->n + y->n - 2;
    double v = 0;
    if (x->n > 1) v += (x->n - 1) * x->var;
    if (y->n > 1) v += (y->n - 1) * y->var;
    v /= df;
    se = sqrt(v * (1 / x->n + 1 / y->n));
  } else {
    double sx = sqrt(x->var / x->n), sy = sqrt(y->var / y->n);
    se = sqrt(sx * sx + sy * sy);
    df = pow(se, 4) / (pow(sx, 4) / (x->n - 1) + pow(sy, 4) / (y->n - 1));
  }
  /* R stops here for data without spread; peil also when there is none
   * at all (R would go on to divide 0 by 0). */
  if (!(se > 10 * DBL_EPSILON * fmax(fabs(x->mean), fabs(y->mean))))
    return peil_error(PEIL_EDATA, "the data are essentially constant (standard error %g of means %g and %g)",
                      se, x->mean, y->mean);
  double t = (x->mean - y->mean - o->mu) / se, lo, hi;
  switch (o->alternative) {
  case PEIL_LESS:
    r->p_value = gsl_cdf_tdist_P(t, df);
    lo = -INFINITY, hi = t + gsl_cdf_tdist_Pinv(o->conf_level, df);
    break;
  case PEIL_GREATER:
    r->p_value = gsl_cdf_tdist_Q(t, df);
    lo = t - gsl_cdf_tdist_Pinv(o->conf_level, df), hi = INFINITY;
    break;
  default: {
    r->p_value = 2 * gsl_cdf_tdist_P(-fabs(t), df);
    double q = gsl_cdf_tdist_Pinv(1 - (1 - o->conf_level) / 2, df);
    lo = t - q, hi = t + q;
  }
  }
  r->conf_low = o->mu + lo * se;
  r->conf_high = o->mu + hi * se;
  r->conf_level = o->conf_level;
  snprintf(r->method, sizeof r->method, "%s", o->var_equal ? "Two Sample t-test" : "Welch Two Sample t-test");
  r->statistic_name = "t";
  r->statistic = t;
  r->parameter_name = "df";
  r->parameter = df;
  r->std_error = se;
  r->difference = x->mean - y->mean;
  int rc = stats_result_estimates(r, 2, "mean of x", 0);
  if (!rc) rc = stats_result_nulls(r, 1, &o->mu, "difference in means");
  double n[2] = {x->n, y->n};
  if (!rc) rc = stats_result_groups(r, 2, n, NULL);
  if (rc) return rc;
  if ((rc = stats_result_rename(r, 1, "mean of y"))) return rc;
  r->estimate[0] = x->mean, r->estimate[1] = y->mean;
  return PEIL_OK;
}

static int run(const group *x, const group *y, const peil_test_options *opt, peil_test_result *out) {
  peil_test_options o;
  int rc = stats_options(opt, &o);
  peil_test_result_clear(out);
  if (rc) return rc;
  stats_result_start(out, "", &o, 1);
  if ((rc = t_test(x, y, &o, out))) peil_test_result_clear(out);
  return rc;
}

int peil_stats_t_test(const double *x, size_t nx, const double *y, size_t ny, const peil_test_options *o,
                      peil_test_result *out) {
  group gx, gy;
  moments(x, nx, &gx.mean, &gx.var, &gx.n);
  moments(y, ny, &gy.mean, &gy.var, &gy.n);
  return run(&gx, &gy, o, out);
}

int peil_stats_t_test_summary(const peil_group_summary *x, const peil_group_summary *y,
                              const peil_test_options *o, peil_test_result *out) {
  const peil_group_summary *s[2] = {x, y};
  for (int i = 0; i < 2; i++) {
    if (!stats_is_count(s[i]->n))
      return peil_error(PEIL_EDATA, "group %d: n must be a whole number, not %g", i + 1, s[i]->n);
    if (!isfinite(s[i]->mean)) return peil_error(PEIL_EDATA, "group %d: the mean is %g", i + 1, s[i]->mean);
    if (!(s[i]->sd >= 0 && isfinite(s[i]->sd)))
      return peil_error(PEIL_EDATA, "group %d: the standard deviation must be a number >= 0, not %g", i + 1, s[i]->sd);
  }
  group gx = {x->mean, x->sd * x->sd, nearbyint(x->n)}, gy = {y->mean, y->sd * y->sd, nearbyint(y->n)};
  return run(&gx, &gy, o, out);
}

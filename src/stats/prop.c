/* prop.test: the chi-square (score) test of one or k proportions, the
 * Wilson score interval of one proportion and R's Wald interval of the
 * difference of two; every formula follows R 4.2's prop.test. */
#include <math.h>
#include <stdio.h>

#include <gsl/gsl_cdf.h>

#include "stats_internal.h"

/* Wilson's score interval with continuity correction `yates` (0 or at most
 * 0.5), as prop.test for one sample: the corrected estimate moves away
 * from the centre by yates / n before the score bounds are taken. */
static void wilson(double x, double n, double z, double yates, peil_alternative alt, double *lo,
                   double *hi) {
  double est = x / n, z22n = z * z / (2 * n);
  double pc = est + yates / n;
  double pu = pc >= 1 ? 1 : (pc + z22n + z * sqrt(pc * (1 - pc) / n + z22n / (2 * n))) / (1 + 2 * z22n);
  pc = est - yates / n;
  double pl = pc <= 0 ? 0 : (pc + z22n - z * sqrt(pc * (1 - pc) / n + z22n / (2 * n))) / (1 + 2 * z22n);
  *lo = alt == PEIL_LESS ? 0 : fmax(pl, 0);
  *hi = alt == PEIL_GREATER ? 1 : fmin(pu, 1);
}

/* The normal quantile of an interval: two-sided (1 + level) / 2. */
static double interval_z(double conf_level, peil_alternative alt) {
  return gsl_cdf_ugaussian_Pinv(alt == PEIL_TWO_SIDED ? (1 + conf_level) / 2 : conf_level);
}

static int check_counts(double x, double n, size_t i, size_t k) {
  char where[32] = "";
  if (k > 1) snprintf(where, sizeof where, " (group %zu)", i + 1);
  if (!isfinite(n) || n <= 0) return peil_error(PEIL_EDATA, "the number of trials must be positive, not %g%s", n, where);
  if (!isfinite(x) || x < 0) return peil_error(PEIL_EDATA, "the number of successes must not be negative, not %g%s", x, where);
  if (x > n)
    return peil_error(PEIL_EDATA, "%g successes in %g trials%s: more successes than trials", x, n, where);
  return PEIL_OK;
}

int peil_stats_wilson(double x, double n, double conf_level, peil_alternative alt, int correct,
                      double *lo, double *hi) {
  int rc = check_counts(x, n, 0, 1);
  if (rc) return rc;
  if (!(conf_level > 0 && conf_level < 1))
    return peil_error(PEIL_EINVAL, "the confidence level must be between 0 and 1, not %g", conf_level);
  /* As prop.test(x, n) with its default p = 0.5, which caps the correction
   * at |x - n/2|. */
  double yates = correct ? fmin(0.5, fabs(x - n * 0.5)) : 0;
  wilson(x, n, interval_z(conf_level, alt), yates, alt, lo, hi);
  return PEIL_OK;
}

/* The test once inputs are checked: k groups, null probabilities p (NULL:
 * equality of k >= 2), options o with the alternative forced as R does. */
static int prop_test(const double *x, const double *n, size_t k, const double *p,
                     const peil_test_options *o, peil_test_result *r) {
  peil_alternative alt = o->alternative;
  double yates = o->correct && k <= 2 ? 0.5 : 0, delta = NAN;
  int rc;
  /* The interval first: it may lower the correction, which the method's
   * name and the statistic then use (R's order). */
  if (k == 1) {
    yates = fmin(yates, fabs(x[0] - n[0] * p[0]));
    wilson(x[0], n[0], interval_z(o->conf_level, alt), yates, alt, &r->conf_low, &r->conf_high);
    r->conf_level = o->conf_level;
  } else if (k == 2 && !p) {
    double e1 = x[0] / n[0], e2 = x[1] / n[1], sn = 1 / n[0] + 1 / n[1];
    delta = e1 - e2;
    yates = fmin(yates, fabs(delta) / sn);
    double width = interval_z(o->conf_level, alt) * sqrt(e1 * (1 - e1) / n[0] + e2 * (1 - e2) / n[1]) + yates * sn;
    r->conf_low = alt == PEIL_LESS ? -1 : fmax(delta - width, -1);
    r->conf_high = alt == PEIL_GREATER ? 1 : fmin(delta + width, 1);
    r->conf_level = o->conf_level;
    r->difference = delta;
  }
  const char *cc = yates ? "with" : "without";
  if (k == 1) snprintf(r->method, sizeof r->method, "1-sample proportions test %s continuity correction", cc);
  else snprintf(r->method, sizeof r->method, "%zu-sample test for %s proportions %s continuity correction", k,
                p ? "given" : "equality of", cc);

  if ((rc = stats_result_estimates(r, k, k == 1 ? "p" : "prop", k > 1))) return rc;
  for (size_t i = 0; i < k; i++) r->estimate[i] = x[i] / n[i];
  if ((rc = stats_result_groups(r, k, n, x))) return rc;
  double pooled = NAN;
  if (p) {
    if ((rc = stats_result_nulls(r, k, p, k == 1 ? "p" : "prop"))) return rc;
    r->parameter = (double)k;
  } else {
    double sx = 0, sn = 0;
    for (size_t i = 0; i < k; i++) sx += x[i], sn += n[i];
    pooled = sx / sn;
    r->parameter = (double)(k - 1);
    if (k > 1 && (pooled == 0 || pooled == 1))
      return peil_error(PEIL_EDATA, "%s in every group: the proportions cannot differ, and "
                        "the test has no information (R gives NaN)", pooled == 0 ? "no successes" : "only successes");
  }
  r->parameter_name = "df";
  /* The 2 x k table of successes and failures against its expectation. */
  double stat = 0;
  int small = 0;
  for (size_t i = 0; i < k; i++) {
    double pi = p ? p[i] : pooled;
    double e1 = n[i] * pi, e0 = n[i] * (1 - pi);
    small |= e1 < 5 || e0 < 5;
    double d1 = fabs(x[i] - e1) - yates, d0 = fabs(n[i] - x[i] - e0) - yates;
    stat += d1 * d1 / e1 + d0 * d0 / e0;
  }
  if (small && (rc = stats_result_warn(r, "Chi-squared approximation may be incorrect"))) return rc;
  r->statistic_name = "X-squared";
  r->statistic = stat;
  double est = x[0] / n[0];
  if (k == 1) r->z = est > p[0] ? sqrt(stat) : est < p[0] ? -sqrt(stat) : 0;
  else if (k == 2 && !p) r->z = delta > 0 ? sqrt(stat) : delta < 0 ? -sqrt(stat) : 0;
  if (alt == PEIL_TWO_SIDED) r->p_value = gsl_cdf_chisq_Q(stat, r->parameter);
  else r->p_value = alt == PEIL_LESS ? gsl_cdf_ugaussian_P(r->z) : gsl_cdf_ugaussian_Q(r->z);
  return PEIL_OK;
}

int peil_stats_prop_test(const double *x, const double *n, size_t k, const peil_test_options *opt,
                         peil_test_result *out) {
  peil_test_options o;
  int rc = stats_options(opt, &o);
  peil_test_result_clear(out);
  if (rc) return rc;
  if (k == 0) return peil_error(PEIL_EINVAL, "prop test: no groups");
  for (size_t i = 0; i < k; i++)
    if ((rc = check_counts(x[i], n[i], i, k))) return rc;
  if (o.p && o.np != k)
    return peil_error(PEIL_EINVAL, "%zu null probabilit%s for %zu group%s: give one per group", o.np,
                      o.np == 1 ? "y" : "ies", k, k == 1 ? "" : "s");
  for (size_t i = 0; o.p && i < k; i++)
    if (!(o.p[i] > 0 && o.p[i] < 1))
      return peil_error(PEIL_EINVAL, "the null probability must be strictly between 0 and 1, not %g", o.p[i]);
  /* R tests k > 2 groups, or 2 against given probabilities, two-sided only;
   * one group against p = 0.5 unless told. */
  if (k > 2 || (k == 2 && o.p)) o.alternative = PEIL_TWO_SIDED;
  static const double half = 0.5;
  if (k == 1 && !o.p) o.p = &half, o.np = 1;
  stats_result_start(out, "", &o, 1);
  if ((rc = prop_test(x, n, k, o.p, &o, out))) peil_test_result_clear(out);
  return rc;
}

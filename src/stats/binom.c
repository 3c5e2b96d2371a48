/* binom.test: the exact binomial test and the Clopper-Pearson interval,
 * as R 4.2's binom.test computes them. */
#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "stats_internal.h"

/* P(X <= q) and P(X > q) for X ~ Binomial(n, p), any whole q. */
static double pbinom_lower(double q, double n, double p) {
  if (q < 0) return 0;
  if (q >= n) return 1;
  return gsl_cdf_binomial_P((unsigned)q, p, (unsigned)n);
}

static double pbinom_upper(double q, double n, double p) {
  if (q < 0) return 1;
  if (q >= n) return 0;
  return gsl_cdf_binomial_Q((unsigned)q, p, (unsigned)n);
}

/* R's two-sided p-value: the probability of the outcomes no more likely
 * than x, where "no more likely" allows a relative 1e-7 so that outcomes
 * equally likely in exact arithmetic count as such. dbinom is unimodal:
 * the outcomes on the other side of the mode n p that qualify form its far
 * tail, and counting them gives that tail's start. */
static double two_sided(double x, double n, double p) {
  if (p == 0) return x == 0;
  if (p == 1) return x == n;
  const double rel = 1 + 1e-7;
  double d = gsl_ran_binomial_pdf((unsigned)x, p, (unsigned)n) * rel, m = n * p;
  if (x == m) return 1;
  double y = 0;
  if (x < m) {
    for (double i = ceil(m); i <= n; i++) y += gsl_ran_binomial_pdf((unsigned)i, p, (unsigned)n) <= d;
    return pbinom_lower(x, n, p) + pbinom_upper(n - y, n, p);
  }
  for (double i = 0; i <= floor(m); i++) y += gsl_ran_binomial_pdf((unsigned)i, p, (unsigned)n) <= d;
  return pbinom_lower(y - 1, n, p) + pbinom_upper(x - 1, n, p);
}

static int check(double x, double n) {
  if (!stats_is_count(n) || n < 1)
    return peil_error(PEIL_EDATA, "the number of trials must be a whole number of at least 1, not %g", n);
  if (!stats_is_count(x))
    return peil_error(PEIL_EDATA, "the number of successes must be a whole number of at least 0, not %g", x);
  if (nearbyint(x) > nearbyint(n))
    return peil_error(PEIL_EDATA, "%g successes in %g trials: more successes than trials", x, n);
  if (n > 4294967295.0) return peil_error(PEIL_EDATA, "%g trials: more than 2^32 - 1", n);
  return PEIL_OK;
}

/* A beta quantile: the t with P(T <= t) = alpha (lower) or P(T > t) =
 * alpha. GSL's gsl_cdf_beta_Pinv fails to converge (and aborts) for large
 * parameters (x = 30512 of n = 100000), so the cdf is inverted here by
 * Brent's method to 1e-13 relative; it is smooth and monotone. */
typedef struct {
  double a, b, alpha;
  int lower;
} beta_tail;

static double beta_minus(double t, void *p) {
  const beta_tail *q = p;
  return q->lower ? gsl_cdf_beta_P(t, q->a, q->b) - q->alpha : q->alpha - gsl_cdf_beta_Q(t, q->a, q->b);
}

static int qbeta(double alpha, double a, double b, int lower, double *t) {
  beta_tail q = {a, b, alpha, lower};
  return stats_root_precise(beta_minus, &q, 0, 1, t);
}

/* The interval once checked: the beta quantiles that make the tail
 * probabilities equal alpha (each side alpha = (1 - level) / 2). R takes
 * the upper end as qbeta(1 - alpha); the upper tail itself is as exact. */
static int clopper_pearson(double x, double n, double conf_level, peil_alternative alt, double *lo,
                           double *hi) {
  double alpha = alt == PEIL_TWO_SIDED ? (1 - conf_level) / 2 : 1 - conf_level;
  int rc = PEIL_OK;
  *lo = 0, *hi = 1;
  if (alt != PEIL_LESS && x > 0) rc = qbeta(alpha, x, n - x + 1, 1, lo);
  if (!rc && alt != PEIL_GREATER && x < n) rc = qbeta(alpha, x + 1, n - x, 0, hi);
  return rc;
}

int peil_stats_clopper_pearson(double x, double n, double conf_level, peil_alternative alt,
                               double *lo, double *hi) {
  int rc = check(x, n);
  if (rc) return rc;
  if (!(conf_level > 0 && conf_level < 1))
    return peil_error(PEIL_EINVAL, "the confidence level must be between 0 and 1, not %g", conf_level);
  return clopper_pearson(nearbyint(x), nearbyint(n), conf_level, alt, lo, hi);
}

int peil_stats_binom_test(double x, double n, const peil_test_options *opt, peil_test_result *r) {
  peil_test_options o;
  int rc = stats_options(opt, &o);
  peil_test_result_clear(r);
  if (!rc) rc = check(x, n);
  if (rc) return rc;
  x = nearbyint(x), n = nearbyint(n);
  if (o.p && o.np != 1) return peil_error(PEIL_EINVAL, "the binomial test takes one null probability, not %zu", o.np);
  double p = o.p ? o.p[0] : 0.5;
  if (!(p >= 0 && p <= 1))
    return peil_error(PEIL_EINVAL, "the null probability must be between 0 and 1, not %g", p);
  stats_result_start(r, "Exact binomial test", &o, 1);
  r->statistic_name = "number of successes";
  r->statistic = x;
  r->parameter_name = "number of trials";
  r->parameter = n;
  switch (o.alternative) {
  case PEIL_LESS: r->p_value = pbinom_lower(x, n, p); break;
  case PEIL_GREATER: r->p_value = pbinom_upper(x - 1, n, p); break;
  default: r->p_value = two_sided(x, n, p); break;
  }
  r->conf_level = o.conf_level;
  if ((rc = clopper_pearson(x, n, o.conf_level, o.alternative, &r->conf_low, &r->conf_high)) ||
      (rc = stats_result_estimates(r, 1, "probability of success", 0)) ||
      (rc = stats_result_nulls(r, 1, &p, "probability of success")) ||
      (rc = stats_result_groups(r, 1, &n, &x))) {
    peil_test_result_clear(r);
    return rc;
  }
  r->estimate[0] = x / n;
  return PEIL_OK;
}

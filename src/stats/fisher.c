/* fisher.test on a 2 x 2 table: the conditional (noncentral
 * hypergeometric) distribution of the top-left cell given the margins, the
 * exact p-value, the conditional maximum-likelihood odds ratio and its
 * interval, as R 4.2's fisher.test computes them. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_sf_gamma.h>

#include "stats_internal.h"

/* The support lo..hi of the top-left cell x given the margins (m in the
 * first column, n in the second, k in the first row) and the log of its
 * central hypergeometric probabilities: log scale, so that tables of
 * millions do not underflow. */
typedef struct {
  double x, lo, hi;
  size_t len;
  double *logdc;
  double *d; /* work: the noncentral probabilities */
} hyper;

/* The noncentral distribution for odds ratio ncp (finite, > 0), as
 * probabilities d[0..len) that sum to 1. */
static void dnhyper(hyper *h, double ncp) {
  double lr = log(ncp), mx = -INFINITY, s = 0;
  for (size_t i = 0; i < h->len; i++) {
    h->d[i] = h->logdc[i] + lr * (h->lo + (double)i);
    if (h->d[i] > mx) mx = h->d[i];
  }
  for (size_t i = 0; i < h->len; i++) s += h->d[i] = exp(h->d[i] - mx);
  for (size_t i = 0; i < h->len; i++) h->d[i] /= s;
}

/* Its mean. */
static double mnhyper(hyper *h, double ncp) {
  if (ncp == 0) return h->lo;
  if (isinf(ncp)) return h->hi;
  dnhyper(h, ncp);
  double s = 0;
  for (size_t i = 0; i < h->len; i++) s += (h->lo + (double)i) * h->d[i];
  return s;
}

/* P(X <= x) or P(X >= x) (upper) under odds ratio ncp. At 1 the central
 * probabilities themselves, without renormalising (R's phyper). */
static double pnhyper(hyper *h, double ncp, int upper) {
  double x = h->x, s = 0;
  if (ncp == 0) return upper ? x <= h->lo : x >= h->lo;
  if (isinf(ncp)) return upper ? x <= h->hi : x >= h->hi;
  size_t ix = (size_t)(x - h->lo);
  if (ncp == 1) {
    for (size_t i = upper ? ix : 0; i < (upper ? h->len : ix + 1); i++) s += exp(h->logdc[i]);
    return fmin(s, 1);
  }
  dnhyper(h, ncp);
  for (size_t i = upper ? ix : 0; i < (upper ? h->len : ix + 1); i++) s += h->d[i];
  return s;
}

/* The functions whose roots are the estimate and the interval's ends, in
 * the odds ratio t or (inverted) in 1/t: R searches (0, 1] for odds ratios
 * below 1 and [eps, 1] in 1/t above. */
typedef struct {
  hyper *h;
  double target;
  int upper, inverse;
} root_fn;

static double mean_minus(double t, void *p) {
  root_fn *r = p;
  return mnhyper(r->h, r->inverse ? 1 / t : t) - r->target;
}

static double tail_minus(double t, void *p) {
  root_fn *r = p;
  return pnhyper(r->h, r->inverse ? 1 / t : t, r->upper) - r->target;
}

static int find(const peil_test_options *o, stats_fn f, root_fn *r, double *out) {
  double lo = r->inverse ? DBL_EPSILON : 0, t;
  int rc = o->precise ? stats_root_precise(f, r, lo, 1, &t) : stats_uniroot(f, r, lo, 1, &t);
  if (!rc) *out = r->inverse ? 1 / t : t;
  return rc;
}

/* The conditional MLE: the odds ratio whose mean is x. */
static int mle(hyper *h, const peil_test_options *o, double *est) {
  if (h->x == h->lo) return *est = 0, PEIL_OK;
  if (h->x == h->hi) return *est = INFINITY, PEIL_OK;
  double mu = mnhyper(h, 1);
  if (mu == h->x) return *est = 1, PEIL_OK;
  root_fn r = {h, h->x, 0, mu < h->x};
  return find(o, mean_minus, &r, est);
}

/* The interval's upper end: the odds ratio at which P(X <= x) = alpha;
 * the lower end: where P(X >= x) = alpha. */
static int bound(hyper *h, const peil_test_options *o, double alpha, int upper_end, double *out) {
  if (upper_end && h->x == h->hi) return *out = INFINITY, PEIL_OK;
  if (!upper_end && h->x == h->lo) return *out = 0, PEIL_OK;
  double p = pnhyper(h, 1, !upper_end);
  if (p == alpha) return *out = 1, PEIL_OK;
  /* P(X <= x) falls as the odds ratio grows; P(X >= x) rises. */
  int inverse = upper_end ? p > alpha : p < alpha;
  root_fn r = {h, alpha, !upper_end, inverse};
  return find(o, tail_minus, &r, out);
}

static double p_value(hyper *h, double ratio, peil_alternative alt) {
  if (alt == PEIL_LESS) return pnhyper(h, ratio, 0);
  if (alt == PEIL_GREATER) return pnhyper(h, ratio, 1);
  if (ratio == 0) return h->x == h->lo;
  if (isinf(ratio)) return h->x == h->hi;
  /* Tables no more likely than the observed one, within a relative 1e-7
   * (R's allowance for ties in exact arithmetic). */
  dnhyper(h, ratio);
  double lim = h->d[(size_t)(h->x - h->lo)] * (1 + 1e-7), s = 0;
  for (size_t i = 0; i < h->len; i++)
    if (h->d[i] <= lim) s += h->d[i];
  return s;
}

static int check(const double *t) {
  static const char *const cell[] = {"a (row 1, column 1)", "b (row 1, column 2)",
                                     "c (row 2, column 1)", "d (row 2, column 2)"};
  for (int i = 0; i < 4; i++)
    if (!stats_is_count(t[i]))
      return peil_error(PEIL_EDATA, "cell %s of the table is %g: counts must be whole numbers of at least 0",
                        cell[i], t[i]);
  if (t[0] + t[1] + t[2] + t[3] > 2147483647.0)
    return peil_error(PEIL_EDATA, "the table holds more than 2^31 - 1 counts");
  return PEIL_OK;
}

static int fisher(const double *t, const peil_test_options *o, peil_test_result *r) {
  double a = nearbyint(t[0]), b = nearbyint(t[1]), c = nearbyint(t[2]), d = nearbyint(t[3]);
  double m = a + c, n = b + d, k = a + b;
  hyper h = {.x = a, .lo = fmax(0, k - n), .hi = fmin(k, m)};
  h.len = (size_t)(h.hi - h.lo) + 1;
  h.logdc = malloc(h.len * sizeof *h.logdc);
  h.d = malloc(h.len * sizeof *h.d);
  int rc = h.logdc && h.d ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
  double lnc = gsl_sf_lnchoose((unsigned)(m + n), (unsigned)k);
  for (size_t i = 0; !rc && i < h.len; i++) {
    unsigned s = (unsigned)(h.lo + (double)i);
    h.logdc[i] = gsl_sf_lnchoose((unsigned)m, s) + gsl_sf_lnchoose((unsigned)n, (unsigned)k - s) - lnc;
  }
  if (!rc) {
    r->p_value = p_value(&h, o->odds_ratio, o->alternative);
    if ((rc = stats_result_estimates(r, 1, "odds ratio", 0))) goto done;
    if ((rc = mle(&h, o, &r->estimate[0]))) goto done;
    double alpha = o->alternative == PEIL_TWO_SIDED ? (1 - o->conf_level) / 2 : 1 - o->conf_level;
    r->conf_low = 0, r->conf_high = INFINITY;
    if (o->alternative != PEIL_LESS && (rc = bound(&h, o, alpha, 0, &r->conf_low))) goto done;
    if (o->alternative != PEIL_GREATER && (rc = bound(&h, o, alpha, 1, &r->conf_high))) goto done;
    r->conf_level = o->conf_level;
    if ((rc = stats_result_nulls(r, 1, &o->odds_ratio, "odds ratio"))) goto done;
    r->observed = malloc(4 * sizeof *r->observed);
    if (!r->observed) rc = peil_error(PEIL_ENOMEM, "out of memory");
    else {
      double v[4] = {a, b, c, d};
      for (int i = 0; i < 4; i++) r->observed[i] = v[i];
      r->nrow = r->ncol = 2;
      r->n_total = a + b + c + d;
    }
  }
done:
  free(h.logdc), free(h.d);
  return rc;
}

int peil_stats_fisher_test(const double table[4], const peil_test_options *opt, peil_test_result *out) {
  peil_test_options o;
  int rc = stats_options(opt, &o);
  peil_test_result_clear(out);
  if (!rc) rc = check(table);
  if (!rc && !(o.odds_ratio >= 0))
    rc = peil_error(PEIL_EINVAL, "the null odds ratio must be a number from 0 to infinity, not %g", o.odds_ratio);
  if (rc) return rc;
  stats_result_start(out, "Fisher's Exact Test for Count Data", &o, 1);
  if ((rc = fisher(table, &o, out))) peil_test_result_clear(out);
  return rc;
}

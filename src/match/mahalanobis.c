/* Greedy nearest-neighbour matching on the Mahalanobis distance of the
 * formula's covariates, as MatchIt 4.5.1 defines it: the covariance is the
 * pooled within-group covariance of the units not discarded, constant
 * columns are left out, and factors enter as their level indicators. (MatchIt
 * takes every level with a generalised inverse; peil leaves out each
 * factor's first level and inverts: a difference of two units' indicators
 * sums to zero, so the distance is the same.)
 *
 * With S = U'U (Cholesky), d(x, y)^2 = |U'^-1 (x - y)|^2. The difference is
 * taken first: a treated unit halfway between two controls (age 21 between
 * 19 and 23, all else equal) is then at exactly the same distance from
 * both, and the tie goes to the first in the data, as the rule says;
 * transforming the units first would let rounding decide. There
 * is no order on a multi-dimensional distance to search in, so each focal
 * unit looks at every control of its stratum: O(n_treated x n_control x p)
 * operations. That is fine to some 10^4 x 10^5 per stratum; for more, match
 * within --exact strata or on a propensity score. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "../model/lapack.h"
#include "match_internal.h"

/* The columns of the distance: numeric variables and the indicators of
 * every factor level but the first, without constant ones, into z (n x p,
 * unit-major), and the Cholesky factor U of their pooled covariance. */
static int transformed(const peil_match_data *d, const uint8_t *disc, double **zout, double **uout,
                       size_t *pout) {
  size_t n = d->n, p = 0;
  const double **col = malloc((d->ncov ? d->ncov : 1) * sizeof *col);
  if (!col) return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t c = 0; c < d->ncov; c++) {
    const peil_match_covariate *cv = &d->cov[c];
    if (cv->level == 0) continue;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) lo = fmin(lo, cv->x[i]), hi = fmax(hi, cv->x[i]);
    if (fabs(hi - lo) < 1.4901161193847656e-08) continue;
    col[p++] = cv->x;
  }
  if (p == 0) {
    free(col);
    return peil_error(PEIL_EDATA, "Mahalanobis distance: every covariate is constant");
  }
  /* Pooled within-group covariance: sum over groups of the centred cross
   * products, / (n - 2). */
  double *mean = calloc(2 * p, sizeof *mean), *S = calloc(p * p, sizeof *S);
  double *z = malloc(n * p * sizeof *z);
  size_t cnt[2] = {0, 0};
  if (!mean || !S || !z) {
    free(col), free(mean), free(S), free(z);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++)
    if (!disc[i]) {
      cnt[d->treat[i]]++;
      for (size_t j = 0; j < p; j++) mean[d->treat[i] * p + j] += col[j][i];
    }
  for (int g = 0; g < 2; g++)
    for (size_t j = 0; j < p; j++) mean[g * p + j] /= cnt[g] ? (double)cnt[g] : 1;
  for (size_t i = 0; i < n; i++) {
    if (disc[i]) continue;
    const double *m = mean + d->treat[i] * p;
    for (size_t a = 0; a < p; a++)
      for (size_t b = 0; b <= a; b++) S[a * p + b] += (col[a][i] - m[a]) * (col[b][i] - m[b]);
  }
  double denom = (double)(cnt[0] + cnt[1]) - 2;
  for (size_t a = 0; a < p; a++)
    for (size_t b = 0; b <= a; b++) S[b * p + a] = S[a * p + b] /= denom > 0 ? denom : 1;
  /* S = U'U. */
  int ip = (int)p, info = 0;
  dpotrf_("U", &ip, S, &ip, &info);
  int rc = PEIL_OK;
  if (info != 0)
    rc = peil_error(PEIL_EDATA, "Mahalanobis distance: the covariates are collinear (column %d "
                    "depends on the ones before it); leave one out", info);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < p; j++) z[i * p + j] = col[j][i];
  free(col), free(mean);
  if (rc) {
    free(z), free(S);
    return rc;
  }
  *zout = z;
  *uout = S;
  *pout = p;
  return PEIL_OK;
}

/* |U'^-1 (a - b)|^2; v: p doubles of scratch. */
static double dist2(const double *a, const double *b, const double *U, size_t p, double *v) {
  for (size_t j = 0; j < p; j++) v[j] = a[j] - b[j];
  int ip = (int)p, one = 1, info = 0;
  dtrtrs_("U", "T", "N", &ip, &one, U, &ip, v, &ip, &info);
  double s = 0;
  for (size_t j = 0; j < p; j++) s += v[j] * v[j];
  return s;
}

int match_mahalanobis(const peil_match_data *d, const peil_match_options *o, peil_match_result *r) {
  size_t n = d->n, k = r->ratio;
  int focal = o->estimand == PEIL_ATC ? 0 : 1;
  double *z = NULL, *U = NULL, *v = NULL;
  size_t p = 0;
  int rc = transformed(d, r->discarded, &z, &U, &p);
  if (rc) return rc;
  if (!(v = malloc(p * sizeof *v))) {
    free(z), free(U);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  size_t nf = 0;
  for (size_t i = 0; i < n; i++) nf += d->treat[i] == focal;
  r->n_treated = nf;
  r->treated_unit = peil_alloc_large(nf, sizeof *r->treated_unit);
  r->pairs = malloc((nf * k + 1) * sizeof *r->pairs);
  size_t *order = peil_alloc_large(nf, sizeof *order);
  int64_t *ctrl = peil_alloc_large(n, sizeof *ctrl);
  uint8_t *used = calloc(n ? n : 1, 1);
  if (!r->treated_unit || !r->pairs || !order || !ctrl || !used) {
    free(z), free(U), free(v), free(order), free(ctrl), free(used);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  size_t t = 0, nc = 0;
  for (size_t i = 0; i < n; i++) {
    if (d->treat[i] == focal) r->treated_unit[t] = (int64_t)i, order[t] = t, t++;
    else if (!r->discarded[i]) ctrl[nc++] = (int64_t)i;
  }
  for (size_t q = 0; q < nf * k; q++) r->pairs[q] = -1;
  if (o->nn.order == PEIL_MATCH_RANDOM && nf > 1) {
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    if (!g) rc = peil_error(PEIL_ENOMEM, "out of memory");
    else {
      gsl_rng_set(g, o->nn.seed);
      gsl_ran_shuffle(g, order, nf, sizeof *order);
      gsl_rng_free(g);
    }
  }
  /* k rounds; in each, focal units in order take the nearest control of
   * their stratum not used (without replacement) and not already theirs;
   * equal distances: the first in the data. */
  for (size_t round = 0; !rc && round < k; round++)
    for (size_t q = 0; q < nf; q++) {
      size_t ti = order[q];
      int64_t u = r->treated_unit[ti];
      if (r->discarded[u] || (round && r->pairs[ti * k + round - 1] < 0)) continue;
      int64_t best = -1;
      double bd = INFINITY;
      for (size_t j = 0; j < nc; j++) {
        int64_t c = ctrl[j];
        if ((!o->nn.replace && used[c]) || (d->stratum && d->stratum[c] != d->stratum[u])) continue;
        int mine = 0;
        for (size_t e = 0; e < round; e++) mine |= r->pairs[ti * k + e] == c;
        if (mine) continue;
        double dd = dist2(z + (size_t)u * p, z + (size_t)c * p, U, p, v);
        if (dd < bd) bd = dd, best = c;
      }
      if (best < 0) continue;
      r->pairs[ti * k + round] = best;
      if (!o->nn.replace) used[best] = 1;
    }
  free(z), free(U), free(v), free(order), free(ctrl), free(used);
  return rc;
}

/* Strata: exact matching (every combination of the formula's variables),
 * coarsened exact matching (numeric variables binned first) and
 * subclassification on the distance's quantiles, with MatchIt's stratum
 * weights; and 1:k pairs drawn at random within strata (the STiP report's
 * exact matching on binned age and benefit duration).
 *
 * Combinations are numbered one variable at a time (levels.c), so any
 * number of variables and distinct values works without a product of
 * level counts that could overflow. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "match_internal.h"

/* The bin of x: the number of breaks <= x (findInterval), breaks ascending. */
static double bin_of(double x, const double *breaks, size_t nb) {
  size_t lo = 0, hi = nb;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (breaks[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return (double)lo;
}

/* CEM's bins of a numeric variable: the user's cut points, or Sturges'
 * rule: ceil(log2(n) + 1) bins of equal width between the smallest and
 * largest value (R's seq(min, max, length.out = k + 1), outer breaks
 * open). Intervals are closed on the left. */
static int cem_bins(const peil_match_var *mv, size_t n, const peil_cem_cuts *cuts, double *bin) {
  double *br = NULL;
  size_t nb = 0;
  if (cuts) {
    br = malloc((cuts->ncuts ? cuts->ncuts : 1) * sizeof *br);
    if (!br) return PEIL_ENOMEM;
    memcpy(br, cuts->cuts, cuts->ncuts * sizeof *br);
    qsort(br, cuts->ncuts, sizeof *br, match_cmp_double);
    for (size_t j = 0; j < cuts->ncuts; j++)
      if (nb == 0 || br[j] != br[nb - 1]) br[nb++] = br[j];
  } else {
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) lo = fmin(lo, mv->x[i]), hi = fmax(hi, mv->x[i]);
    size_t k = (size_t)ceil(log2((double)n) + 1);
    if (k < 1) k = 1;
    br = malloc(k * sizeof *br);
    if (!br) return PEIL_ENOMEM;
    /* The inner breaks of seq(lo, hi, length.out = k + 1). */
    if (hi > lo)
      for (size_t j = 1; j < k; j++) br[nb++] = lo + (double)j * ((hi - lo) / (double)k);
  }
  for (size_t i = 0; i < n; i++) bin[i] = bin_of(mv->x[i], br, nb);
  free(br);
  return PEIL_OK;
}

int match_exact_strata(const peil_match_data *d, const peil_match_options *o, int64_t *id,
                       size_t *nstrata) {
  size_t n = d->n;
  double *code = peil_alloc_large(n, sizeof *code);
  if (!code) return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) id[i] = d->stratum ? d->stratum[i] : 0;
  *nstrata = d->stratum ? d->nstrata : 1;
  int rc = PEIL_OK;
  for (size_t c = 0; !rc && c < o->ncuts; c++) {
    size_t v = 0;
    while (v < d->nvars && strcmp(d->vars[v].name, o->cuts[c].variable)) v++;
    if (v == d->nvars)
      rc = peil_error(PEIL_ENOTFOUND, "--cutpoints %s: not a variable of the formula", o->cuts[c].variable);
    else if (d->vars[v].is_factor)
      rc = peil_error(PEIL_ETYPE, "--cutpoints %s: the variable is categorical; cut points are for "
                      "numbers", o->cuts[c].variable);
  }
  for (size_t v = 0; !rc && v < d->nvars; v++) {
    const peil_match_var *mv = &d->vars[v];
    if (mv->is_factor) {
      for (size_t i = 0; i < n; i++) code[i] = mv->code[i];
    } else if (o->method == PEIL_MATCH_CEM) {
      const peil_cem_cuts *cuts = NULL;
      for (size_t c = 0; c < o->ncuts; c++)
        if (strcmp(o->cuts[c].variable, mv->name) == 0) cuts = &o->cuts[c];
      if (cem_bins(mv, n, cuts, code)) rc = peil_error(PEIL_ENOMEM, "out of memory");
    } else {
      memcpy(code, mv->x, n * sizeof *code);
    }
    if (!rc) rc = match_strata_refine(id, code, n, nstrata);
  }
  free(code);
  return rc;
}

/* R's quantile(x, p, type = 7) of sorted x. */
static double quantile7(const double *x, size_t m, double p) {
  double index = 1 + (double)(m - 1) * p;
  size_t lo = (size_t)floor(index), hi = (size_t)ceil(index);
  double q = x[lo - 1];
  double h = index - (double)lo;
  if (index > (double)lo && x[hi - 1] != q) q = (1 - h) * q + h * x[hi - 1];
  return q;
}

int match_subclasses(const peil_match_data *d, const double *dist, const uint8_t *discarded,
                     peil_estimand e, size_t nsub, int64_t *id, double *bounds) {
  size_t n = d->n, m = 0;
  double *x = peil_alloc_large(n, sizeof *x);
  if (!x) return peil_error(PEIL_ENOMEM, "out of memory");
  /* The quantiles of the target group's scores, discarded units included
   * (as MatchIt). */
  for (size_t i = 0; i < n; i++)
    if (e == PEIL_ATE || d->treat[i] == (e == PEIL_ATT)) x[m++] = dist[i];
  qsort(x, m, sizeof *x, match_cmp_double);
  for (size_t k = 0; k <= nsub; k++) {
    double p = k == nsub ? 1 : (double)k * (1.0 / (double)nsub); /* seq(0, 1, length.out) */
    bounds[k] = quantile7(x, m, p);
  }
  free(x);
  for (size_t i = 0; i < n; i++) {
    if (discarded[i]) {
      id[i] = -1;
      continue;
    }
    double b = bin_of(dist[i], bounds, nsub + 1); /* findInterval(all.inside = TRUE) */
    if (b < 1) b = 1;
    if (b > (double)nsub) b = (double)nsub;
    id[i] = (int64_t)b - 1;
  }
  return PEIL_OK;
}

/* Counts of the focal (treated) and other units of each stratum. */
static int stratum_counts(const peil_match_data *d, const int64_t *id, size_t ns, size_t **n1,
                          size_t **n0) {
  *n1 = calloc(ns ? ns : 1, sizeof **n1);
  *n0 = calloc(ns ? ns : 1, sizeof **n0);
  if (!*n1 || !*n0) {
    free(*n1), free(*n0);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < d->n; i++)
    if (id[i] >= 0) (d->treat[i] ? *n1 : *n0)[id[i]]++;
  return PEIL_OK;
}

int match_stratum_weights(const peil_match_data *d, int64_t *id, size_t ns, peil_estimand e,
                          double *w, size_t *n_one_sided) {
  size_t *n1, *n0;
  int rc = stratum_counts(d, id, ns, &n1, &n0);
  if (rc) return rc;
  *n_one_sided = 0;
  for (size_t s = 0; s < ns; s++) *n_one_sided += (n1[s] == 0) != (n0[s] == 0);
  /* Renumber the strata that have both groups 0, 1, ...; the others: -1. */
  int64_t *keep = malloc((ns ? ns : 1) * sizeof *keep);
  if (!keep) {
    free(n1), free(n0);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  int64_t next = 0;
  for (size_t s = 0; s < ns; s++) keep[s] = n1[s] && n0[s] ? next++ : -1;
  double sum1 = 0, sum0 = 0;
  size_t k1 = 0, k0 = 0;
  for (size_t i = 0; i < d->n; i++) {
    int64_t s = id[i];
    w[i] = 0;
    if (s < 0 || keep[s] < 0) {
      id[i] = -1;
      continue;
    }
    double a = (double)n1[s], b = (double)n0[s];
    if (d->treat[i]) w[i] = e == PEIL_ATT ? 1 : e == PEIL_ATC ? b / a : (a + b) / a, sum1 += w[i], k1++;
    else w[i] = e == PEIL_ATT ? a / b : e == PEIL_ATC ? 1 : (a + b) / b, sum0 += w[i], k0++;
    id[i] = keep[s];
  }
  /* Scale the non-focal weights (both groups' for ATE) to sum to their
   * number of units. */
  for (size_t i = 0; i < d->n; i++) {
    if (w[i] == 0) continue;
    if (!d->treat[i] && e != PEIL_ATC) w[i] *= (double)k0 / sum0;
    if (d->treat[i] && e != PEIL_ATT) w[i] *= (double)k1 / sum1;
  }
  free(n1), free(n0), free(keep);
  return PEIL_OK;
}

int match_random_pairs(const peil_match_data *d, const int64_t *id, size_t ns, size_t k,
                       uint64_t seed, int64_t *focal_of, size_t *nfocal, int64_t *pairs) {
  size_t n = d->n;
  /* The units of each stratum, in data order. */
  size_t *start = calloc(ns + 1, sizeof *start), *fill = calloc(ns + 1, sizeof *fill);
  int64_t *unit = peil_alloc_large(n, sizeof *unit);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (!start || !fill || !unit || !r) {
    free(start), free(fill), free(unit);
    if (r) gsl_rng_free(r);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++)
    if (id[i] >= 0) start[id[i] + 1]++;
  for (size_t s = 0; s < ns; s++) start[s + 1] += start[s];
  for (size_t i = 0; i < n; i++)
    if (id[i] >= 0) unit[start[id[i]] + fill[id[i]]++] = (int64_t)i;
  /* Focal units are numbered in data order. */
  size_t nt = 0;
  int64_t *rank = peil_alloc_large(n, sizeof *rank);
  int64_t *t = peil_alloc_large(n, sizeof *t), *c = peil_alloc_large(n, sizeof *c);
  if (!rank || !t || !c) {
    free(start), free(fill), free(unit), free(rank), free(t), free(c);
    gsl_rng_free(r);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    rank[i] = d->treat[i] ? (int64_t)nt : -1;
    if (d->treat[i]) focal_of[nt++] = (int64_t)i;
  }
  for (size_t q = 0; q < nt * k; q++) pairs[q] = -1;
  for (size_t s = 0; s < ns; s++) {
    size_t a = 0, b = 0;
    for (size_t j = start[s]; j < start[s + 1]; j++) {
      int64_t u = unit[j];
      if (d->treat[u]) t[a++] = u;
      else c[b++] = u;
    }
    if (!a || !b) continue;
    /* One stream per stratum, from the seed and the stratum's number: the
     * draw does not depend on the order strata are visited in. */
    gsl_rng_set(r, seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(s + 1)));
    gsl_ran_shuffle(r, t, a, sizeof *t);
    gsl_ran_shuffle(r, c, b, sizeof *c);
    /* Round j: treated q (in the drawn order) takes control j * a + q. */
    for (size_t j = 0; j < k; j++)
      for (size_t q = 0; q < a && j * a + q < b; q++) pairs[(size_t)rank[t[q]] * k + j] = c[j * a + q];
  }
  *nfocal = nt;
  free(start), free(fill), free(unit), free(rank), free(t), free(c);
  gsl_rng_free(r);
  return PEIL_OK;
}

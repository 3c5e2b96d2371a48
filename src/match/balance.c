/* Balance statistics of a matching result: MatchIt 4.5.1's summary() with
 * its defaults (standardize = TRUE, no interactions), the rules of
 * tests/reference/matching/README.md, which the reference script checks
 * against summary() in every case.
 *
 * Where MatchIt's code and the README's text differ, the code wins:
 *   - the fallback SD of a numeric column (when the SD of the estimand's
 *     group is below sqrt(DBL_EPSILON), e.g. a constant column among the
 *     treated) is MatchIt's pooled_sd() called with s.weights, a vector of
 *     ones: sum_g sum_i (x_i - mean_g)^2 / (n - 1), not / (n - 2) (checked
 *     with MatchIt 4.5.1; no reference case reaches it);
 *   - when neither group has two units of nonzero weight (MatchIt's
 *     "too.small"), a difference in means above sqrt(DBL_EPSILON) is not
 *     standardised but NaN, and so are the variance ratio, the eCDF
 *     statistics of a numeric column and the pair distance.
 *
 * Per column: one pass in unit order for the group sums (Neumaier
 * compensated: a fixed order, and a rounding error that does not grow
 * with n), one for the sums of squares, and for a numeric column a radix
 * sort of its values (stable: equal values keep the unit order) and a
 * sweep over them for the eCDFs and for the mean distance of all
 * treated-control pairs within strata (exact, CEM): over the gaps between
 * consecutive values of a stratum, gap x (pairs that straddle it), all
 * terms positive, O(n) after the sort however large the strata. The
 * columns run in parallel, one column per thread at a time, each into its
 * own row: results do not depend on the thread count. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "peil/match.h"

/* sqrt(.Machine$double.eps) = 2^-26, MatchIt's threshold for a difference
 * in means that is standardised. */
#define SQRT_EPS 1.4901161193847656e-08

/* ---- Compensated sums (Neumaier). */

typedef struct {
  double s, c;
} ksum;

static inline void ks_add(ksum *k, double x) {
  double t = k->s + x;
  if (fabs(k->s) >= fabs(x))
    k->c += (k->s - t) + x;
  else
    k->c += (x - t) + k->s;
  k->s = t;
}

static inline double ks_val(const ksum *k) { return k->s + k->c; }

/* ---- Radix sort of doubles (with the unit index). */

static inline uint64_t key_of(double d) {
  if (d == 0) d = 0.0; /* -0 and +0 are one value */
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u >> 63 ? ~u : u ^ (UINT64_C(1) << 63);
}

static inline double value_of(uint64_t u) {
  u = u >> 63 ? u ^ (UINT64_C(1) << 63) : ~u;
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)
#define RADIX_PASSES 6 /* 6 x 11 >= 64 */

/* What the sweep in sorted order needs of a unit. It travels with the key
 * through the radix sort: fetching it by unit index afterwards would be a
 * cache miss per unit and per column (a third of the time at 5 million
 * units), for 24 bytes more per unit of sort buffers. */
typedef struct {
  double w;   /* matching weight */
  int64_t st; /* (stratum + 1) * 2 + treated; stratum -1: none */
} unit_info;

/* One thread's scratch: sort buffers for n units (48 bytes a unit) and
 * per-stratum sums. */
typedef struct {
  uint64_t *key, *key2;
  unit_info *pay, *pay2;
  size_t *count; /* RADIX_PASSES x RADIX_SIZE */
  int64_t *tl, *cl; /* per stratum: treated, controls so far (binary: with x = 1) */
  double *last;
  ksum *tot;
} workspace;

static void ws_free(workspace *w) {
  free(w->key);
  free(w->key2);
  free(w->pay);
  free(w->pay2);
  free(w->count);
  free(w->tl);
  free(w->cl);
  free(w->last);
  free(w->tot);
  memset(w, 0, sizeof *w);
}

static int ws_alloc(workspace *w, size_t n, size_t nstrata) {
  memset(w, 0, sizeof *w);
  size_t ns = nstrata ? nstrata : 1;
  if (n == 0) n = 1;
  w->key = peil_alloc_large(n, sizeof *w->key);
  w->key2 = peil_alloc_large(n, sizeof *w->key2);
  w->pay = peil_alloc_large(n, sizeof *w->pay);
  w->pay2 = peil_alloc_large(n, sizeof *w->pay2);
  w->count = malloc(RADIX_PASSES * RADIX_SIZE * sizeof *w->count);
  w->tl = malloc(ns * sizeof *w->tl);
  w->cl = malloc(ns * sizeof *w->cl);
  w->last = malloc(ns * sizeof *w->last);
  w->tot = malloc(ns * sizeof *w->tot);
  if (!w->key || !w->key2 || !w->pay || !w->pay2 || !w->count || !w->tl || !w->cl || !w->last ||
      !w->tot) {
    ws_free(w);
    return -1;
  }
  return 0;
}

/* Sorts x's values into w->key (ascending) with what the sweep needs of
 * their units in w->pay (weight w, stratum or NULL, treatment):
 * least significant digit first, every pass stable (equal values keep the
 * unit order), passes in which all keys share the digit skipped. */
static void sort_values(workspace *w, const double *x, size_t n, const double *wt,
                        const int64_t *stratum, const int8_t *treat) {
  uint64_t *k = w->key, *k2 = w->key2;
  unit_info *ix = w->pay, *ix2 = w->pay2;
  size_t *count = w->count;
  memset(count, 0, RADIX_PASSES * RADIX_SIZE * sizeof *count);
  for (size_t i = 0; i < n; i++) {
    uint64_t u = key_of(x[i]);
    k[i] = u;
    int64_t s = stratum && stratum[i] >= 0 ? stratum[i] : -1;
    ix[i].w = wt[i];
    ix[i].st = (s + 1) * 2 + (treat[i] != 0);
    for (int p = 0; p < RADIX_PASSES; p++) count[p * RADIX_SIZE + (u >> (p * RADIX_BITS) & (RADIX_SIZE - 1))]++;
  }
  if (n < 2) return;
  for (int p = 0; p < RADIX_PASSES; p++) {
    size_t *c = count + (size_t)p * RADIX_SIZE;
    int shift = p * RADIX_BITS;
    if (c[k[0] >> shift & (RADIX_SIZE - 1)] == n) continue; /* one digit */
    size_t sum = 0;
    for (size_t b = 0; b < RADIX_SIZE; b++) {
      size_t m = c[b];
      c[b] = sum;
      sum += m;
    }
    for (size_t i = 0; i < n; i++) {
      size_t at = c[k[i] >> shift & (RADIX_SIZE - 1)]++;
      k2[at] = k[i];
      ix2[at] = ix[i];
    }
    uint64_t *tk = k;
    k = k2;
    k2 = tk;
    unit_info *ti = ix;
    ix = ix2;
    ix2 = ti;
  }
  /* the sorted data is in k/ix: keep it under the names the caller reads */
  w->key = k;
  w->key2 = k2;
  w->pay = ix;
  w->pay2 = ix2;
}

/* ---- One column. */


typedef struct {
  size_t n;
  const int8_t *treat;
  const double *w;          /* matching weights */
  peil_estimand estimand;
  int pairs_from;           /* 0: no pair distance, 1: the match matrix, 2: strata */
  const peil_match_result *r;
  const int64_t *stratum;   /* r->subclass (pairs_from 2) */
  size_t nstrata;
  const int64_t *n1s, *n0s; /* per stratum: treated, controls */
} context;

/* Group sums of one column for one set of weights (NULL: all 1). */
typedef struct {
  double sw[2], mean[2], var[2]; /* sum of weights, weighted mean, wvar() */
  size_t nonzero[2];             /* units with weight != 0 */
} group_stats;

static void group_sums(const context *c, const double *x, const double *w, int binary,
                       group_stats *g) {
  ksum sw[2] = {{0, 0}, {0, 0}}, swx[2] = {{0, 0}, {0, 0}}, sww[2] = {{0, 0}, {0, 0}};
  size_t nz[2] = {0, 0};
  for (size_t i = 0; i < c->n; i++) {
    int t = c->treat[i] != 0;
    double wi = w ? w[i] : 1.0;
    if (wi == 0) continue; /* adds nothing to any sum */
    nz[t]++;
    ks_add(&sw[t], wi);
    ks_add(&swx[t], wi * x[i]);
    ks_add(&sww[t], wi * wi);
  }
  for (int t = 0; t < 2; t++) {
    g->sw[t] = ks_val(&sw[t]);
    g->mean[t] = ks_val(&swx[t]) / g->sw[t];
    g->nonzero[t] = nz[t];
  }
  /* wvar(): binary p(1 - p); else sum w'(x - m)^2 / (1 - sum w'^2), w' = w / sum(w) */
  ksum ss[2] = {{0, 0}, {0, 0}};
  if (!binary)
    for (size_t i = 0; i < c->n; i++) {
      int t = c->treat[i] != 0;
      double wi = w ? w[i] : 1.0;
      if (wi == 0) continue;
      double e = x[i] - g->mean[t];
      ks_add(&ss[t], wi * e * e);
    }
  for (int t = 0; t < 2; t++) {
    double p = g->mean[t];
    if (binary) {
      g->var[t] = p * (1 - p);
    } else {
      double s = g->sw[t], s2 = ks_val(&sww[t]);
      g->var[t] = (ks_val(&ss[t]) / s) / (1 - s2 / (s * s));
    }
  }
}

/* The standardisation SD from the unweighted full sample (MatchIt's
 * s.d.denom: treated for ATT, control for ATC, pooled for ATE), with
 * MatchIt's fallback when it is not finite or tiny. */
static double standard_sd(const context *c, const double *x, int binary, const group_stats *all,
                          const double *n_g) {
  double sd;
  switch (c->estimand) {
  case PEIL_ATC: sd = sqrt(all->var[0]); break;
  case PEIL_ATE: sd = sqrt((all->var[1] + all->var[0]) / 2); break;
  default: sd = sqrt(all->var[1]); break;
  }
  if (isfinite(sd) && sd >= SQRT_EPS) return sd;
  /* pooled_sd(x, t, w = s.weights) with the "proportional" contribution;
   * s.weights is a vector of ones, so w' = 1/n */
  double n = n_g[0] + n_g[1];
  if (binary) {
    double v = 0;
    for (int t = 1; t >= 0; t--) {
      double sx = all->mean[t] * n_g[t]; /* the group's sum */
      v += sx * (1 - sx / n_g[t]) / n;
    }
    return sqrt(v);
  }
  ksum ss = {0, 0};
  for (size_t i = 0; i < c->n; i++) {
    double e = x[i] - all->mean[c->treat[i] != 0];
    ks_add(&ss, e * e);
  }
  return sqrt((ks_val(&ss) / n) / (1 - 1 / n));
}

/* The mean |x_t - x_c| over the pairs of the match matrix. */
static double pair_dist_matrix(const context *c, const double *x) {
  const peil_match_result *r = c->r;
  ksum s = {0, 0};
  size_t cnt = 0;
  for (size_t t = 0; t < r->n_treated; t++) {
    double xt = x[r->treated_unit[t]];
    for (size_t k = 0; k < r->ratio; k++) {
      int64_t u = r->pairs[t * r->ratio + k];
      if (u < 0) continue;
      ks_add(&s, fabs(xt - x[u]));
      cnt++;
    }
  }
  return ks_val(&s) / (double)cnt; /* no pairs: NaN, as R's mean(numeric(0)) */
}

/* The mean |x_t - x_c| over all treated-control pairs within strata, for
 * a binary column: in stratum s, with t1 treated and c1 controls at 1,
 * t1 (n0 - c1) + (n1 - t1) c1 pairs differ by 1. */
static double pair_dist_strata_binary(const context *c, workspace *ws, const double *x) {
  int64_t *t1 = ws->tl, *c1 = ws->cl;
  memset(t1, 0, c->nstrata * sizeof *t1);
  memset(c1, 0, c->nstrata * sizeof *c1);
  for (size_t i = 0; i < c->n; i++) {
    int64_t s = c->stratum[i];
    if (s < 0 || x[i] == 0) continue;
    if (c->treat[i])
      t1[s]++;
    else
      c1[s]++;
  }
  double tot = 0, cnt = 0; /* integers, exact below 2^53 */
  for (size_t s = 0; s < c->nstrata; s++) {
    tot += (double)(t1[s] * (c->n0s[s] - c1[s]) + (c->n1s[s] - t1[s]) * c1[s]);
    cnt += (double)c->n1s[s] * (double)c->n0s[s];
  }
  return tot / cnt;
}

/* One sweep over a numeric column's sorted values (ws->key, ws->pay) for
 * what needs the order:
 *   - the eCDFs of both samples: weights normalised to sum 1 in each group,
 *     D(v) = |F1(v) - F0(v)| at every distinct value v of all units (weight
 *     0 or not), its mean and maximum over those values;
 *   - with strata (pd not NULL), the mean |x_t - x_c| over all treated-
 *     control pairs within a stratum: in each stratum, the sum over its
 *     pairs is the sum over the gaps between its consecutive values of
 *     gap x (treated below x controls above + controls below x treated
 *     above), every term positive.
 * One pass, so each unit's treatment, weight and stratum are fetched once. */
typedef struct {
  int want;              /* compute this sample's eCDF */
  double inv[2];         /* all: 1 / n_g (w' = w / sum(w) with w = 1) */
  double sw[2];          /* matched: the groups' sums of weights */
  ksum cs, sum;
  double max;
  size_t nv;
} ecdf_acc;

static void sorted_sweep(const context *c, workspace *ws, const group_stats *ga,
                         const group_stats *gm, int ecdf_all, int ecdf_matched, double *ecdf,
                         double *pd) {
  ecdf_acc e[2];
  memset(e, 0, sizeof e);
  e[0].want = ecdf_all;
  e[1].want = ecdf_matched;
  for (int t = 0; t < 2; t++) e[1].sw[t] = gm->sw[t], e[0].sw[t] = ga->sw[t];
  int strata = pd != NULL;
  int64_t *tl = ws->tl, *cl = ws->cl;
  if (strata) {
    memset(tl, 0, c->nstrata * sizeof *tl);
    memset(cl, 0, c->nstrata * sizeof *cl);
    memset(ws->tot, 0, c->nstrata * sizeof *ws->tot);
  }
  size_t n = c->n;
  for (size_t q = 0; q < n; q++) {
    const unit_info *u = &ws->pay[q];
    int t = (int)(u->st & 1);
    double v = value_of(ws->key[q]);
    if (e[0].want) ks_add(&e[0].cs, t ? 1 / e[0].sw[1] : -(1 / e[0].sw[0]));
    if (e[1].want) {
      double wi = u->w;
      if (wi != 0) ks_add(&e[1].cs, t ? wi / e[1].sw[1] : -(wi / e[1].sw[0]));
    }
    if (strata) {
      int64_t s = (u->st >> 1) - 1;
      if (s >= 0) {
        if (tl[s] + cl[s] > 0) {
          double gap = v - ws->last[s];
          if (gap != 0) {
            double straddle = (double)tl[s] * (double)(c->n0s[s] - cl[s]) +
                              (double)cl[s] * (double)(c->n1s[s] - tl[s]);
            ks_add(&ws->tot[s], gap * straddle);
          }
        }
        if (t)
          tl[s]++;
        else
          cl[s]++;
        ws->last[s] = v;
      }
    }
    if (q + 1 < n && value_of(ws->key[q + 1]) == v) continue; /* not the last of its value */
    for (int m = 0; m < 2; m++) {
      if (!e[m].want) continue;
      double dv = fabs(ks_val(&e[m].cs));
      ks_add(&e[m].sum, dv);
      if (dv > e[m].max || isnan(dv)) e[m].max = dv;
      e[m].nv++;
    }
  }
  for (int m = 0; m < 2; m++) {
    ecdf[2 * m] = e[m].want ? ks_val(&e[m].sum) / (double)e[m].nv : NAN;
    ecdf[2 * m + 1] = e[m].want ? e[m].max : NAN;
  }
  if (strata) {
    ksum tot = {0, 0};
    double cnt = 0;
    for (size_t s = 0; s < c->nstrata; s++) {
      ks_add(&tot, ks_val(&ws->tot[s]));
      cnt += (double)c->n1s[s] * (double)c->n0s[s];
    }
    *pd = ks_val(&tot) / cnt;
  }
}

/* Both samples of one balance column. */
static void column_balance(const context *c, workspace *ws, const double *x, int binary,
                           peil_balance_row *row) {
  group_stats g[2];
  group_sums(c, x, NULL, binary, &g[0]);
  group_sums(c, x, c->w, binary, &g[1]);
  double n_g[2] = {g[0].sw[0], g[0].sw[1]};
  double sd = standard_sd(c, x, binary, &g[0], n_g);

  /* MatchIt's bal1var(): "too small" when neither group has two units of
   * nonzero weight; then a difference above sqrt(eps) is not standardised
   * but NA, and neither is the pair distance, variance ratio or eCDF of a
   * numeric column computed. */
  int too_small[2], standardised[2];
  double diff[2];
  for (int m = 0; m < 2; m++) {
    too_small[m] = g[m].nonzero[1] < 2 && g[m].nonzero[0] < 2;
    diff[m] = g[m].mean[1] - g[m].mean[0];
    standardised[m] = fabs(diff[m]) > SQRT_EPS;
  }
  int want_pd = c->pairs_from && !(standardised[1] && too_small[1]);
  double pd = NAN, ecdf[4] = {NAN, NAN, NAN, NAN};
  if (want_pd && c->pairs_from == 1) pd = pair_dist_matrix(c, x);
  if (want_pd && c->pairs_from == 2 && binary) pd = pair_dist_strata_binary(c, ws, x);
  if (!binary) {
    int strata_pd = want_pd && c->pairs_from == 2;
    if (!too_small[0] || !too_small[1] || strata_pd) {
      sort_values(ws, x, c->n, c->w, c->stratum, c->treat);
      sorted_sweep(c, ws, &g[0], &g[1], !too_small[0], !too_small[1], ecdf, strata_pd ? &pd : NULL);
    }
  }

  for (int m = 0; m < 2; m++) {
    peil_balance_stats *st = m ? &row->matched : &row->all;
    st->mean_treated = g[m].mean[1];
    st->mean_control = g[m].mean[0];
    st->std_mean_diff = st->var_ratio = st->ecdf_mean = st->ecdf_max = st->std_pair_dist = NAN;
    double p = m ? pd : NAN; /* before matching: no pair distance */
    if (standardised[m]) {
      if (!too_small[m]) {
        st->std_mean_diff = diff[m] / sd;
        st->std_pair_dist = fabs(p) > 1e-8 ? p / sd : p;
      }
    } else {
      st->std_mean_diff = diff[m];
      st->std_pair_dist = p;
    }
    if (binary) {
      st->ecdf_mean = st->ecdf_max = fabs(diff[m]);
    } else if (!too_small[m]) {
      st->var_ratio = g[m].var[1] / g[m].var[0];
      st->ecdf_mean = ecdf[2 * m];
      st->ecdf_max = ecdf[2 * m + 1];
    }
  }
}

static int all_binary(const double *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (x[i] != 0 && x[i] != 1) return 0;
  return 1;
}

/* ---- The table. */

void peil_match_balance_free(peil_match_balance *b) {
  if (!b) return;
  for (size_t i = 0; i < b->nrows; i++) free(b->rows[i].term);
  free(b->rows);
  free(b);
}

static double ess(const ksum *s, const ksum *s2) {
  double a = ks_val(s);
  return a * a / ks_val(s2);
}

static int check_input(const peil_match_data *d, const peil_match_result *r) {
  if (!d || !r) return peil_error(PEIL_EINVAL, "balance: no data or no matching result");
  if (r->n != d->n)
    return peil_error(PEIL_EINVAL, "balance: the matching result has %zu units, the data %zu", r->n,
                      d->n);
  if (!r->weight) return peil_error(PEIL_EINVAL, "balance: the matching result has no weights");
  for (size_t i = 0; i < d->n; i++)
    if (!(r->weight[i] >= 0) || !isfinite(r->weight[i]))
      return peil_error(PEIL_EDATA, "balance: unit %zu (row %lld) has weight %g", i,
                        d->row ? (long long)d->row[i] + 1 : (long long)i + 1, r->weight[i]);
  if (r->method == PEIL_MATCH_NEAREST && r->pairs) {
    if (!r->treated_unit) return peil_error(PEIL_EINVAL, "balance: pairs without their treated units");
    for (size_t t = 0; t < r->n_treated; t++) {
      int64_t u = r->treated_unit[t];
      if (u < 0 || (size_t)u >= d->n)
        return peil_error(PEIL_EDATA, "balance: treated unit %zu of the pairs is unit %lld, not one of %zu",
                          t, (long long)u, d->n);
      for (size_t k = 0; k < r->ratio; k++) {
        int64_t c = r->pairs[t * r->ratio + k];
        if (c >= (int64_t)d->n || c < -1)
          return peil_error(PEIL_EDATA, "balance: control %zu of treated unit %zu is unit %lld, not one of %zu",
                            k, t, (long long)c, d->n);
      }
    }
  }
  return PEIL_OK;
}

int peil_match_balance_compute(const peil_match_data *d, const peil_match_result *r, int threads,
                               peil_match_balance **out) {
  *out = NULL;
  int rc = check_input(d, r);
  if (rc) return rc;
  size_t n = d->n;

  peil_match_balance *b = calloc(1, sizeof *b);
  if (!b) return peil_error(PEIL_ENOMEM, "out of memory (balance table)");
  b->method = r->method;
  b->estimand = r->estimand;
  int has_distance = r->distance != NULL;
  b->nrows = d->ncov + (size_t)has_distance;
  b->rows = calloc(b->nrows ? b->nrows : 1, sizeof *b->rows);
  if (!b->rows) {
    free(b);
    return peil_error(PEIL_ENOMEM, "out of memory (balance table)");
  }
  for (size_t j = 0; j < b->nrows; j++) {
    peil_balance_row *row = &b->rows[j];
    const peil_match_covariate *cv = has_distance && j == 0 ? NULL : &d->cov[j - (size_t)has_distance];
    row->term = strdup(cv ? cv->term : "distance");
    row->var = cv ? cv->var : -1;
    row->level = cv ? cv->level : -1;
    if (!row->term) {
      peil_match_balance_free(b);
      return peil_error(PEIL_ENOMEM, "out of memory (balance table)");
    }
  }

  /* Sizes. */
  ksum sw[2] = {{0, 0}, {0, 0}}, sw2[2] = {{0, 0}, {0, 0}};
  peil_match_sizes *z = &b->sizes;
  for (size_t i = 0; i < n; i++) {
    int t = d->treat[i] != 0;
    double wi = r->weight[i];
    int disc = r->discarded && r->discarded[i];
    z->all[t] += 1;
    ks_add(&sw[t], wi);
    ks_add(&sw2[t], wi * wi);
    if (wi > 0)
      z->matched[t] += 1;
    else if (!disc)
      z->unmatched[t] += 1;
    if (disc) z->discarded[t] += 1;
  }
  for (int t = 0; t < 2; t++) {
    z->all_ess[t] = z->all[t];
    z->matched_ess[t] = ess(&sw[t], &sw2[t]);
  }

  /* Strata for the pair distance of exact and CEM matching. */
  context c = {.n = n, .treat = d->treat, .w = r->weight, .estimand = r->estimand, .r = r};
  int64_t *n1s = NULL, *n0s = NULL;
  if (r->method == PEIL_MATCH_NEAREST && r->pairs) {
    c.pairs_from = 1;
  } else if ((r->method == PEIL_MATCH_EXACT || r->method == PEIL_MATCH_CEM) && r->subclass) {
    int64_t top = -1;
    for (size_t i = 0; i < n; i++)
      if (r->subclass[i] > top) top = r->subclass[i];
    c.pairs_from = 2;
    c.stratum = r->subclass;
    c.nstrata = (size_t)(top + 1);
    n1s = calloc(c.nstrata ? c.nstrata : 1, sizeof *n1s);
    n0s = calloc(c.nstrata ? c.nstrata : 1, sizeof *n0s);
    if (!n1s || !n0s) {
      free(n1s);
      free(n0s);
      peil_match_balance_free(b);
      return peil_error(PEIL_ENOMEM, "out of memory (balance: %zu strata)", c.nstrata);
    }
    for (size_t i = 0; i < n; i++) {
      int64_t s = r->subclass[i];
      if (s < 0) continue;
      if (d->treat[i])
        n1s[s]++;
      else
        n0s[s]++;
    }
    c.n1s = n1s;
    c.n0s = n0s;
  }

  /* One workspace per thread (all allocated here: nothing in the parallel
   * loop can fail); fewer threads when memory is short. */
  int nt = threads > 0 ? threads : omp_get_num_procs();
  if ((size_t)nt > b->nrows) nt = (int)b->nrows;
  if (nt < 1) nt = 1;
  if (n < 20000) nt = 1; /* not worth a team */
  workspace *ws = calloc((size_t)nt, sizeof *ws);
  int have = 0;
  if (ws)
    while (have < nt && ws_alloc(&ws[have], n, c.nstrata) == 0) have++;
  if (have == 0) {
    free(ws);
    free(n1s);
    free(n0s);
    peil_match_balance_free(b);
    return peil_error(PEIL_ENOMEM, "out of memory (balance: sorting %zu units)", n);
  }
  nt = have;

  long long nrows = (long long)b->nrows;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
  for (long long j = 0; j < nrows; j++) {
    peil_balance_row *row = &b->rows[j];
    const double *x = has_distance && j == 0 ? r->distance : d->cov[j - has_distance].x;
    row->binary = all_binary(x, n);
    column_balance(&c, &ws[omp_get_thread_num()], x, row->binary, row);
  }

  for (int k = 0; k < nt; k++) ws_free(&ws[k]);
  free(ws);
  free(n1s);
  free(n0s);

  for (size_t j = (size_t)has_distance; j < b->nrows; j++)
    if (fabs(b->rows[j].matched.std_mean_diff) > 0.1) b->n_imbalanced++;
  *out = b;
  return PEIL_OK;
}

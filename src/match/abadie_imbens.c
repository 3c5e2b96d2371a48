/* The Abadie-Imbens standard error of the matching estimator after nearest
 * neighbour matching (Abadie and Imbens 2006, "Large sample properties of
 * matching estimators for average treatment effects", Econometrica 74,
 * section 4; the variance Stata's teffects nnmatch reports with
 * vce(robust, nn(J)) for the population ATET).
 *
 * The focal units f (the treated for ATT, the controls for ATC) that got
 * matches, N of them; M_f the matches of f (its controls with the outcome,
 * M_f = |M_f|); the estimate
 *
 *   tau = 1/N sum_f s (Y_f - 1/M_f sum_{j in M_f} Y_j),  s = +1 (ATT), -1 (ATC),
 *
 * which is the weighted difference in means with the matching weights. A
 * matched unit j is used with weight K_j = sum_{f: j in M_f} 1/M_f (AI's
 * K_M(j)/M for a fixed M) and L_j = sum_{f: j in M_f} 1/M_f^2 (K_M(j)/M^2).
 * Then
 *
 *   V = 1/N^2 [ sum_f (s (Y_f - Ybar_{M_f}) - tau)^2 + sum_j (K_j^2 - L_j) sigma2_j ]
 *
 * which for a fixed M is AI's population variance for the ATT,
 * 1/N1^2 sum_i [ W_i (Y_i - Yhat_i(0) - tau)^2 + (1 - W_i) K(i)(K(i) - 1)/M^2 sigma2_i ]:
 * the first sum estimates the conditional variance of the focal units'
 * outcomes plus the heterogeneity of the effect plus sum_j L_j sigma2_j, so
 * the second adds the rest of the matched units' part, sum_j K_j^2 sigma2_j
 * (K^2 - L >= 0: a unit used once adds nothing beyond the first sum).
 *
 * sigma2_j, the conditional variance of Y at j's distance in j's group, by
 * matching j to the J units of its own group nearest on the distance
 * (J = variance_matches, 2 by default as in Stata; with ties at the J-th
 * distance all tied units, as AI define the set of J matches), units not
 * discarded and with the outcome:
 *
 *   sigma2_j = J'/(J' + 1) (Y_j - mean of the J' units' Y)^2,  J' >= J the units used
 *
 * (AI 2006, eq. 14). The Matching package (Var.calc = J) uses the sample
 * variance of j and its J neighbours instead: the same for J = 1, where
 * tests/unit/match/test_abadie_imbens.c agrees with it to 4e-16 (ATT and
 * ATC, 1 and 2 matches); for J >= 2 the two unbiased estimators differ.
 *
 * Not accounted for: that the propensity score was estimated (Abadie and
 * Imbens 2016), and the conditional bias of matching (no bias correction). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "effects_internal.h"

typedef struct {
  double d;
  size_t unit;
} pool_entry;

static int by_distance(const void *a, const void *b) {
  const pool_entry *x = a, *y = b;
  if (x->d != y->d) return x->d < y->d ? -1 : 1;
  return x->unit < y->unit ? -1 : x->unit > y->unit;
}

/* sigma2 of the unit at position pos of a group's pool (sorted by
 * distance), from its J nearest (ties at the J-th distance included);
 * prefix[i] = sum of Y over pool[0..i-1]. NaN when the pool has no other
 * unit. */
static double sigma2_at(const pool_entry *pool, const double *prefix, size_t np, size_t pos,
                        size_t J, const double *y) {
  if (np < 2) return NAN;
  double dj = pool[pos].d;
  /* the J-th smallest |d_l - d_j|, l != j: walk outwards */
  size_t lo = pos, hi = pos + 1; /* candidates pool[lo - 1] and pool[hi] */
  double delta = 0;
  for (size_t taken = 0; taken < J && (lo > 0 || hi < np); taken++) {
    double dl = lo > 0 ? dj - pool[lo - 1].d : INFINITY;
    double dh = hi < np ? pool[hi].d - dj : INFINITY;
    if (dl <= dh) delta = dl, lo--;
    else delta = dh, hi++;
  }
  /* every unit within delta: the interval [a, b) of the sorted pool
   * (dj - d_l and d_l - dj are monotone in l also in floating point) */
  size_t a, b;
  {
    size_t L = 0, R = pos; /* first l in [0, pos] with dj - d_l <= delta */
    while (L < R) {
      size_t m = L + (R - L) / 2;
      if (dj - pool[m].d <= delta) R = m;
      else L = m + 1;
    }
    a = L;
  }
  {
    size_t L = pos + 1, R = np; /* first l in [pos+1, np) with d_l - dj > delta */
    while (L < R) {
      size_t m = L + (R - L) / 2;
      if (pool[m].d - dj > delta) R = m;
      else L = m + 1;
    }
    b = L;
  }
  double Jn = (double)(b - a - 1);
  double yj = y[pool[pos].unit];
  double mean = (prefix[b] - prefix[a] - yj) / Jn;
  double e = yj - mean;
  return Jn / (Jn + 1) * e * e;
}

int eff_abadie_imbens(const peil_match_data *d, const peil_match_result *r, const double *y,
                      size_t J, double *estimate, double *std_error, int64_t *n_focal,
                      char *note, size_t notelen) {
  *estimate = *std_error = NAN;
  *n_focal = 0;
  if (note && notelen) note[0] = 0;
  if (J == 0) J = 2;
  if (!r->distance) {
    if (note) snprintf(note, notelen, "no standard error: the matching has no distance");
    return PEIL_OK;
  }
  size_t n = d->n, k = r->ratio ? r->ratio : 1;
  double *K = peil_calloc_large(n, sizeof *K), *L = peil_calloc_large(n, sizeof *L);
  double *dev = malloc((r->n_treated ? r->n_treated : 1) * sizeof *dev);
  pool_entry *pool = NULL;
  double *prefix = NULL;
  size_t *pos_of = NULL;
  int rc = PEIL_OK;
  if (!K || !L || !dev) {
    rc = peil_error(PEIL_ENOMEM, "out of memory");
    goto done;
  }
  /* the focal units' contrasts and the matched units' K and L */
  size_t nf = 0;
  double sum = 0;
  for (size_t t = 0; t < r->n_treated; t++) {
    int64_t f = r->treated_unit[t];
    if (f < 0 || isnan(y[f])) continue;
    size_t m = 0;
    double sy = 0;
    for (size_t q = 0; q < k; q++) {
      int64_t j = r->pairs[t * k + q];
      if (j >= 0 && !isnan(y[j])) m++, sy += y[j];
    }
    if (m == 0) continue;
    for (size_t q = 0; q < k; q++) {
      int64_t j = r->pairs[t * k + q];
      if (j >= 0 && !isnan(y[j])) K[j] += 1.0 / (double)m, L[j] += 1.0 / ((double)m * (double)m);
    }
    double s = d->treat[f] ? 1 : -1;
    dev[nf++] = s * (y[f] - sy / (double)m);
    sum += dev[nf - 1];
  }
  if (nf == 0) {
    if (note) snprintf(note, notelen, "no standard error: no matched unit has the outcome");
    goto done;
  }
  double tau = sum / (double)nf;
  double v = 0;
  for (size_t i = 0; i < nf; i++) v += (dev[i] - tau) * (dev[i] - tau);

  /* sigma2 of the matched units with K^2 - L > 0, group by group */
  pool = peil_alloc_large(n, sizeof *pool);
  prefix = peil_alloc_large(n + 1, sizeof *prefix);
  pos_of = peil_alloc_large(n, sizeof *pos_of); /* n > 0: a focal unit was found */
  if (!pool || !prefix || !pos_of) {
    rc = peil_error(PEIL_ENOMEM, "out of memory");
    goto done;
  }
  size_t nmissing = 0;
  for (int g = 0; g < 2; g++) {
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
      if ((d->treat[i] != 0) != g || isnan(y[i]) || !isfinite(r->distance[i])) continue;
      if (r->discarded && r->discarded[i]) continue;
      pool[np].d = r->distance[i], pool[np].unit = i;
      np++;
    }
    qsort(pool, np, sizeof *pool, by_distance);
    prefix[0] = 0;
    for (size_t q = 0; q < np; q++) {
      prefix[q + 1] = prefix[q] + y[pool[q].unit];
      pos_of[pool[q].unit] = q;
    }
    for (size_t i = 0; i < n; i++) {
      if ((d->treat[i] != 0) != g || K[i] == 0) continue;
      double c = K[i] * K[i] - L[i];
      if (!(c > 0)) continue;
      /* a matched unit is in its group's pool unless it was discarded or
       * has no distance; it is then its own neighbourhood's centre anyway */
      double s2 = NAN;
      if (!(r->discarded && r->discarded[i]) && isfinite(r->distance[i]))
        s2 = sigma2_at(pool, prefix, np, pos_of[i], J, y);
      if (isnan(s2)) {
        nmissing++;
        continue;
      }
      v += c * s2;
    }
  }
  if (nmissing) {
    if (note)
      snprintf(note, notelen, "no standard error: %zu matched unit%s no other unit of %s group "
               "to estimate the conditional variance from", nmissing, nmissing == 1 ? " has" : "s have",
               nmissing == 1 ? "its" : "their");
    goto done;
  }
  *estimate = tau;
  *std_error = sqrt(v) / (double)nf;
  *n_focal = (int64_t)nf;
done:
  free(K), free(L), free(dev), free(pool), free(prefix), free(pos_of);
  return rc;
}

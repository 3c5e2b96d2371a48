/* The exact null distribution of the Wilcoxon rank-sum (Mann-Whitney)
 * statistic W for samples of m and n without ties.
 *
 * W counts the pairs (x_i, y_j) with x_i > y_j. Of the C(m + n, n) equally
 * likely orderings, the number c(k; m, n) with W = k follows from where the
 * largest observation lies (the recursion of R's cwilcox): if it is an x,
 * it beats all n y's, so c(k; m, n) = c(k - n; m - 1, n) + c(k; m, n - 1),
 * the second term for a y (which beats nothing); c(k; 0, n) = c(k; m, 0) =
 * [k == 0]. Every term is a sum of counts, so doubles lose nothing but the
 * rounding of counts beyond 2^53.
 *
 * Bottom-up, one row per size i of the smaller sample, as the larger one
 * grows a step at a time: row i for size j is row i for size j - 1 plus
 * row i - 1 for size j shifted by j, and row i - 1 is already at size j
 * when row i is updated, so the rows update in place. Only counts up to
 * the tail asked for are kept: (min(m, n) + 1) (q + 1) doubles. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sf_gamma.h>

#include "stats_internal.h"

/* The work (additions) the counts may take: 5e8, about a second. */
#define WILCOX_MAX_WORK 5e8

int stats_wilcox_counts(size_t m, size_t n, size_t q, double *c) {
  size_t s = m < n ? m : n, t = m < n ? n : m, w = q + 1;
  if ((double)s * (double)t * (double)w > WILCOX_MAX_WORK)
    return peil_error(PEIL_EINVAL, "the exact distribution of W for samples of %zu and %zu takes too long "
                      "to count (more than %.0e steps): use the normal approximation", m, n, WILCOX_MAX_WORK);
  double *a = calloc((s + 1) * w, sizeof *a);
  if (!a) return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t i = 0; i <= s; i++) a[i * w] = 1; /* size 0 of the larger sample: W = 0 */
  for (size_t j = 1; j <= t; j++)
    for (size_t i = 1; i <= s; i++) {
      double *row = a + i * w;
      const double *below = a + (i - 1) * w;
      for (size_t k = j; k < w; k++) row[k] += below[k - j];
    }
  memcpy(c, a + s * w, w * sizeof *c);
  free(a);
  return PEIL_OK;
}

int peil_stats_pwilcox(double q, size_t m, size_t n, int upper, double *p) {
  double mn = (double)m * (double)n;
  if (m == 0 || n == 0) return peil_error(PEIL_EINVAL, "pwilcox: sample sizes must be positive");
  /* C(m + n, n) must be a double: m + n up to about 1020. */
  if (m + n > 1020)
    return peil_error(PEIL_EINVAL, "the exact distribution of W for samples of %zu and %zu has more orderings "
                      "than a double holds: use the normal approximation", m, n);
  q = floor(q + 1e-7);
  if (q < 0) return *p = upper ? 1 : 0, PEIL_OK;
  if (q >= mn) return *p = upper ? 0 : 1, PEIL_OK;
  /* Sum the smaller tail: P(W <= q) below the centre, else by symmetry
   * P(W > q) = P(W <= mn - q - 1). */
  int low = q <= mn / 2;
  size_t top = low ? (size_t)q : (size_t)(mn - q) - 1;
  double *c = malloc((top + 1) * sizeof *c);
  if (!c) return peil_error(PEIL_ENOMEM, "out of memory");
  int rc = stats_wilcox_counts(m, n, top, c);
  if (!rc) {
    double total = gsl_sf_choose((unsigned)(m + n), (unsigned)n), s = 0;
    for (size_t k = 0; k <= top; k++) s += c[k] / total;
    *p = low == !upper ? s : 1 - s;
  }
  free(c);
  return rc;
}

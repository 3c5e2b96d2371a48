/* wilcox.test for two samples: the rank-sum statistic W with the exact
 * p-value (no ties, small samples) or the normal approximation with tie
 * and continuity corrections, as R 4.2's wilcox.test computes them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>

#include "stats_internal.h"

typedef struct {
  double v;
  size_t i;
} item;

static int by_value(const void *a, const void *b) {
  double x = ((const item *)a)->v, y = ((const item *)b)->v;
  return (x > y) - (x < y);
}

/* The rank sum of the first nx values of all (average ranks for ties),
 * whether there are ties, and the sum of t^3 - t over tied groups. */
static void rank_sums(item *all, size_t nx, size_t N, double *rx, int *ties, double *tie_sum) {
  qsort(all, N, sizeof *all, by_value);
  *rx = 0, *ties = 0, *tie_sum = 0;
  for (size_t a = 0; a < N;) {
    size_t b = a + 1;
    while (b < N && all[b].v == all[a].v) b++;
    double t = (double)(b - a), rank = (double)(a + 1 + b) / 2; /* ranks a+1..b */
    if (t > 1) *ties = 1, *tie_sum += t * t * t - t;
    for (size_t k = a; k < b; k++)
      if (all[k].i < nx) *rx += rank;
    a = b;
  }
}

static int wilcox(const double *x, size_t nx0, const double *y, size_t ny0, const peil_test_options *o,
                  peil_test_result *r) {
  item *all = malloc((nx0 + ny0 ? nx0 + ny0 : 1) * sizeof *all);
  if (!all) return peil_error(PEIL_ENOMEM, "out of memory");
  size_t nx = 0, ny = 0;
  for (size_t i = 0; i < nx0; i++)
    if (!isnan(x[i])) all[nx] = (item){x[i] - o->mu, nx}, nx++;
  for (size_t i = 0; i < ny0; i++)
    if (!isnan(y[i])) all[nx + ny] = (item){y[i], nx + ny}, ny++;
  if (nx < 1 || ny < 1) {
    free(all);
    return peil_error(PEIL_EDATA, "not enough observations in %s: the rank-sum test needs at least 1 in each group",
                      nx < 1 ? "x (group 1)" : "y (group 2)");
  }
  size_t N = nx + ny;
  double rx, tie_sum;
  int ties, rc;
  rank_sums(all, nx, N, &rx, &ties, &tie_sum);
  free(all);
  double dx = (double)nx, dy = (double)ny, w = rx - dx * (dx + 1) / 2;
  int exact = o->exact == PEIL_EXACT_AUTO ? nx < 50 && ny < 50 : o->exact;
  r->statistic_name = "W";
  r->statistic = w;
  if (exact && !ties) {
    snprintf(r->method, sizeof r->method, "Wilcoxon rank sum exact test");
    double p;
    switch (o->alternative) {
    case PEIL_GREATER: rc = peil_stats_pwilcox(w - 1, nx, ny, 1, &p); break;
    case PEIL_LESS: rc = peil_stats_pwilcox(w, nx, ny, 0, &p); break;
    default:
      rc = w > dx * dy / 2 ? peil_stats_pwilcox(w - 1, nx, ny, 1, &p) : peil_stats_pwilcox(w, nx, ny, 0, &p);
      p = fmin(2 * p, 1);
    }
    if (rc) return rc;
    r->p_value = p;
  } else {
    double sigma = sqrt(dx * dy / 12 * ((dx + dy + 1) - tie_sum / ((dx + dy) * (dx + dy - 1))));
    if (!(sigma > 0))
      return peil_error(PEIL_EDATA, "all %zu values are tied: the ranks carry no information (R gives NaN)", N);
    double z = w - dx * dy / 2, corr = 0;
    if (o->correct) corr = o->alternative == PEIL_GREATER ? 0.5 : o->alternative == PEIL_LESS ? -0.5
                         : z > 0 ? 0.5 : z < 0 ? -0.5 : 0;
    z = (z - corr) / sigma;
    snprintf(r->method, sizeof r->method, "Wilcoxon rank sum test%s", o->correct ? " with continuity correction" : "");
    r->z = z;
    r->p_value = o->alternative == PEIL_LESS      ? gsl_cdf_ugaussian_P(z)
                 : o->alternative == PEIL_GREATER ? gsl_cdf_ugaussian_Q(z)
                                                  : 2 * fmin(gsl_cdf_ugaussian_P(z), gsl_cdf_ugaussian_Q(z));
    if (exact && (rc = stats_result_warn(r, "cannot compute exact p-value with ties"))) return rc;
  }
  double n[2] = {dx, dy};
  if ((rc = stats_result_nulls(r, 1, &o->mu, "location shift"))) return rc;
  return stats_result_groups(r, 2, n, NULL);
}

int peil_stats_wilcox_test(const double *x, size_t nx, const double *y, size_t ny, const peil_test_options *opt,
                           peil_test_result *out) {
  peil_test_options o;
  int rc = stats_options(opt, &o);
  peil_test_result_clear(out);
  if (rc) return rc;
  stats_result_start(out, "", &o, 1);
  if ((rc = wilcox(x, nx, y, ny, &o, out))) peil_test_result_clear(out);
  return rc;
}

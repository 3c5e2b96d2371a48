/* Weighted least squares in memory for the bootstrap replicates: the
 * coefficient of treat in y ~ treat + x (+ treat:x) with the replicate's
 * weights, the covariates centred at the replicate's weighted mean over its
 * target units (so that for gcomp the coefficient is the g-computation
 * estimate, as in effects_regress.c).
 *
 * A replicate is one of hundreds, so it is solved from the normal equations
 * (columns scaled to unit length, Cholesky) rather than by QR through
 * peil_glm_fit: the estimates agree with the QR fit's to about
 * cond(X)^2 * 1e-16, far below the bootstrap's own noise. Columns are
 * aliased in order, as R does, when the part of their scaled square norm
 * not explained by the earlier columns is below 1e-10 (R's QR: 1e-7 on the
 * norm, which the normal equations cannot resolve). Columns that are
 * identically zero after centring are left out first, as in the full
 * sample's fits. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "effects_internal.h"

#define WLS_ALIAS_TOL 1e-10

size_t eff_wls_ws_size(size_t p) {
  size_t P = 2 + 2 * p;
  return 3 * p + P * P + 4 * P;
}

/* Solves R'u = b, R beta = u over the first q columns (aliased ones 0) and
 * returns beta[1], the coefficient of treat (scaled back). */
static double treat_coef(const double *R, size_t ld, size_t q, const double *keep, const double *b,
                         const double *scale, double *z) {
  for (size_t j = 0; j < q; j++) {
    if (!keep[j]) {
      z[j] = 0;
      continue;
    }
    double v = b[j];
    for (size_t k = 0; k < j; k++)
      if (keep[k]) v -= R[k * ld + j] * z[k];
    z[j] = v / R[j * ld + j];
  }
  for (size_t jj = q; jj-- > 0;) {
    if (!keep[jj]) {
      z[jj] = 0;
      continue;
    }
    double v = z[jj];
    for (size_t c = jj + 1; c < q; c++)
      if (keep[c]) v -= R[jj * ld + c] * z[c];
    z[jj] = v / R[jj * ld + jj];
  }
  return z[1] * scale[1];
}

void eff_wls_treat(const eff_sample *s, const double *wr, double *ws, double *adjusted,
                   double *gcomp) {
  const size_t n = s->n, p = s->p, P = 2 + 2 * p;
  double *cbar = ws, *use_x = ws + p, *use_t = ws + 2 * p;
  double *A = ws + 3 * p, *b = A + P * P, *z = b + P, *scale = z + P, *keep = scale + P;
  *adjusted = *gcomp = NAN;
  /* centres and zero columns */
  for (size_t j = 0; j < p; j++) {
    const double *x = s->x + j * n;
    double a = 0, sw = 0, first = NAN;
    int constant = 1;
    for (size_t i = 0; i < n; i++) {
      if (!(wr[i] > 0) || !eff_is_target(s, i)) continue;
      a += wr[i] * x[i], sw += wr[i];
      if (isnan(first)) first = x[i];
      else if (x[i] != first) constant = 0;
    }
    cbar[j] = constant && !isnan(first) ? first : (sw > 0 ? a / sw : 0);
    int zx = 1, zt = 1;
    for (size_t i = 0; i < n && (zx || zt); i++) {
      if (!(wr[i] > 0) || x[i] - cbar[j] == 0) continue;
      zx = 0;
      if (s->t[i] == 1) zt = 0;
    }
    use_x[j] = !zx;
    use_t[j] = !zt;
  }
  /* the columns: intercept, treat, x (the regression adjustment's q_adj),
   * then treat:x; the adjustment's system is the leading block of
   * g-computation's, and so is its Cholesky factor */
  size_t q = 2;
  for (size_t j = 0; j < p; j++) q += use_x[j] != 0;
  size_t q_adj = q;
  for (size_t j = 0; j < p; j++) q += use_t[j] != 0;
  memset(A, 0, q * q * sizeof *A);
  memset(b, 0, q * sizeof *b);
  for (size_t i = 0; i < n; i++) {
    double w = wr[i];
    if (!(w > 0)) continue;
    size_t c = 0;
    z[c++] = 1;
    z[c++] = s->t[i];
    for (size_t j = 0; j < p; j++)
      if (use_x[j]) z[c++] = s->x[i + j * n] - cbar[j];
    for (size_t j = 0; j < p; j++)
      if (use_t[j]) z[c++] = s->t[i] * (s->x[i + j * n] - cbar[j]);
    for (size_t a = 0; a < q; a++) {
      double wa = w * z[a];
      if (wa == 0) continue;
      double *Aa = A + a * q; /* row a, upper part: columns >= a */
      for (size_t c2 = a; c2 < q; c2++) Aa[c2] += wa * z[c2];
      b[a] += wa * s->y[i];
    }
  }
  /* scale to unit diagonal */
  for (size_t a = 0; a < q; a++) scale[a] = A[a * q + a] > 0 ? 1 / sqrt(A[a * q + a]) : 0;
  for (size_t a = 0; a < q; a++) {
    for (size_t c2 = a; c2 < q; c2++) A[a * q + c2] *= scale[a] * scale[c2];
    b[a] *= scale[a];
  }
  /* Cholesky A = R'R over the columns kept, in order (row-major upper R) */
  int all = 1;
  for (size_t j = 0; j < q; j++) {
    keep[j] = 0;
    double djj = A[j * q + j];
    for (size_t k = 0; k < j; k++)
      if (keep[k]) djj -= A[k * q + j] * A[k * q + j];
    if (scale[j] == 0 || !(djj > WLS_ALIAS_TOL)) {
      all = 0;
      continue;
    }
    double rjj = sqrt(djj);
    A[j * q + j] = rjj;
    for (size_t c2 = j + 1; c2 < q; c2++) {
      double v = A[j * q + c2];
      for (size_t k = 0; k < j; k++)
        if (keep[k]) v -= A[k * q + j] * A[k * q + c2];
      A[j * q + c2] = v / rjj;
    }
    keep[j] = 1;
  }
  if (!keep[1]) return;
  *adjusted = treat_coef(A, q, q_adj, keep, b, scale, z);
  if (all) *gcomp = treat_coef(A, q, q, keep, b, scale, z);
}

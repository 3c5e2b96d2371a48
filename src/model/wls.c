/* Weighted least squares solves by Cholesky (LAPACK dpotrf on the scaled
 * cross products) or by QR (dgeqrf on row blocks, folded in block order). */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lapack.h"
#include "peil/core.h"
#include "wls.h"

int wls_alloc(wls_fit *s, size_t p) {
  memset(s, 0, sizeof *s);
  s->p = p;
  s->aliased = calloc(p, sizeof *s->aliased);
  s->beta = calloc(p, sizeof *s->beta);
  s->inv = calloc(p * p, sizeof *s->inv);
  if (!s->aliased || !s->beta || !s->inv) {
    wls_free(s);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  return PEIL_OK;
}

void wls_free(wls_fit *s) {
  free(s->aliased);
  free(s->beta);
  free(s->inv);
  memset(s, 0, sizeof *s);
}

void wls_copy(wls_fit *dst, const wls_fit *src) {
  size_t p = src->p;
  dst->rank = src->rank;
  memcpy(dst->aliased, src->aliased, p * sizeof *dst->aliased);
  memcpy(dst->beta, src->beta, p * sizeof *dst->beta);
  memcpy(dst->inv, src->inv, p * p * sizeof *dst->inv);
}

/* inv over the kept columns from an upper Cholesky factor U (k x k) of
 * D A_K D, where scale[a] = D_aa (1 when unscaled). */
static int fill_inverse(wls_fit *s, double *U, int k, const int *keep, const double *scale) {
  int info = 0;
  dpotri_("U", &k, U, &k, &info);
  if (info) return peil_error(PEIL_ENUMERIC, "inverting X'WX failed (dpotri info %d)", info);
  size_t p = s->p;
  memset(s->inv, 0, p * p * sizeof *s->inv);
  for (int b = 0; b < k; b++)
    for (int a = 0; a <= b; a++) {
      double v = U[a + (size_t)b * k] * scale[a] * scale[b];
      s->inv[keep[a] + keep[b] * p] = v;
      s->inv[keep[b] + keep[a] * p] = v;
    }
  return PEIL_OK;
}

int wls_solve_chol(wls_fit *s, const double *A, const double *b) {
  size_t p = s->p;
  int *keep = malloc(p * sizeof *keep);
  double *scale = malloc(p * sizeof *scale), *U = malloc(p * p * sizeof *U);
  double *rhs = malloc(p * sizeof *rhs), *work = malloc(3 * p * sizeof *work);
  int *iwork = malloc(p * sizeof *iwork);
  int rc = PEIL_OK;
  if (!keep || !scale || !U || !rhs || !work || !iwork) {
    rc = peil_error(PEIL_ENOMEM, "out of memory");
    goto done;
  }
  int k = 0;
  for (size_t j = 0; j < p; j++) {
    s->aliased[j] = !(A[j + j * p] > 0);
    if (!s->aliased[j]) keep[k] = (int)j, scale[k++] = 1 / sqrt(A[j + j * p]);
  }
  /* Unit diagonal: the condition number then measures collinearity, not
   * the units of the columns. */
  for (int bb = 0; bb < k; bb++)
    for (int a = 0; a <= bb; a++)
      U[a + (size_t)bb * k] = A[keep[a] + (size_t)keep[bb] * p] * scale[a] * scale[bb];
  for (int a = 0; a < k; a++) rhs[a] = b[keep[a]] * scale[a];
  int info = 0, one = 1;
  double anorm = k > 0 ? dlansy_("1", "U", &k, U, &k, work) : 0, rcond = 0;
  if (k > 0) dpotrf_("U", &k, U, &k, &info);
  if (info > 0) {
    rc = 1;
    goto done;
  }
  if (k > 0) dpocon_("U", &k, U, &k, &anorm, &rcond, work, iwork, &info);
  if (k > 0 && !(rcond >= WLS_CHOL_MIN_RCOND)) {
    rc = 1;
    goto done;
  }
  if (k > 0) dpotrs_("U", &k, &one, U, &k, rhs, &k, &info);
  memset(s->beta, 0, p * sizeof *s->beta);
  for (int a = 0; a < k; a++) s->beta[keep[a]] = rhs[a] * scale[a];
  s->rank = k;
  rc = k > 0 ? fill_inverse(s, U, k, keep, scale) : PEIL_OK;
done:
  free(keep), free(scale), free(U), free(rhs), free(work), free(iwork);
  return rc;
}

int wls_solve_qr(wls_fit *s, const double *R, double tol) {
  const int p = (int)s->p, q = p + 1;
  double *Q = malloc((size_t)p * p * sizeof *Q), *r = malloc((size_t)p * sizeof *r);
  double *c = malloc((size_t)p * sizeof *c), *T = malloc((size_t)p * q * sizeof *T);
  double *tau = malloc((size_t)q * sizeof *tau), *one_scale = malloc((size_t)p * sizeof *one_scale);
  int *keep = malloc((size_t)p * sizeof *keep);
  int lwork = 64 * q, rc = PEIL_OK;
  double *work = malloc((size_t)lwork * sizeof *work);
  if (!Q || !r || !c || !T || !tau || !one_scale || !keep || !work) {
    rc = peil_error(PEIL_ENOMEM, "out of memory");
    goto done;
  }
  /* dqrdc2's decision in column order, by Gram-Schmidt (twice) on the
   * columns of R: they have the norms and inner products of W^1/2 X. */
  int k = 0;
  for (int j = 0; j < p; j++) {
    const double *col = R + (size_t)j * q;
    memcpy(r, col, (size_t)p * sizeof *r);
    double norm = cblas_dnrm2(p, r, 1);
    for (int pass = 0; pass < 2 && k > 0; pass++) {
      cblas_dgemv(CblasColMajor, CblasTrans, p, k, 1.0, Q, p, r, 1, 0.0, c, 1);
      cblas_dgemv(CblasColMajor, CblasNoTrans, p, k, -1.0, Q, p, c, 1, 1.0, r, 1);
    }
    double res = cblas_dnrm2(p, r, 1);
    s->aliased[j] = !(norm > 0) || res < tol * norm;
    if (s->aliased[j]) continue;
    for (int i = 0; i < p; i++) Q[i + (size_t)k * p] = r[i] / res;
    keep[k++] = j;
  }
  /* Least squares on the estimable columns: QR of [R_K  qty]. */
  for (int a = 0; a < k; a++) memcpy(T + (size_t)a * p, R + (size_t)keep[a] * q, (size_t)p * sizeof *T);
  memcpy(T + (size_t)k * p, R + (size_t)p * q, (size_t)p * sizeof *T);
  int n = k + 1, info = 0, one = 1;
  dgeqrf_(&p, &n, T, &p, tau, work, &lwork, &info);
  if (info) {
    rc = peil_error(PEIL_EINTERNAL, "dgeqrf failed (info %d)", info);
    goto done;
  }
  double *rhs = c;
  for (int a = 0; a < k; a++) rhs[a] = T[a + (size_t)k * p];
  if (k > 0) dtrtrs_("U", "N", "N", &k, &one, T, &p, rhs, &k, &info);
  if (info) {
    rc = peil_error(PEIL_ENUMERIC, "singular triangular factor (dtrtrs info %d)", info);
    goto done;
  }
  memset(s->beta, 0, (size_t)p * sizeof *s->beta);
  for (int a = 0; a < k; a++) s->beta[keep[a]] = rhs[a];
  s->rank = k;
  /* The k x k factor, compacted to leading dimension k, gives (X'WX)^-1. */
  for (int bb = 0; bb < k; bb++)
    for (int a = 0; a < k; a++) Q[a + (size_t)bb * k] = a <= bb ? T[a + (size_t)bb * p] : 0;
  for (int a = 0; a < k; a++) one_scale[a] = 1;
  rc = k > 0 ? fill_inverse(s, Q, k, keep, one_scale) : PEIL_OK;
done:
  free(Q), free(r), free(c), free(T), free(tau), free(one_scale), free(keep), free(work);
  return rc;
}

int qr_ws_alloc(qr_ws *w, int m, int q) {
  memset(w, 0, sizeof *w);
  w->q = q;
  int rows = m > 2 * q ? m : 2 * q, info = 0, query = -1;
  double opt = 0;
  w->S = malloc((size_t)2 * q * q * sizeof *w->S);
  dgeqrf_(&rows, &q, w->S, &rows, &opt, &opt, &query, &info);
  w->lwork = (int)opt > q ? (int)opt : q;
  w->tau = malloc((size_t)q * sizeof *w->tau);
  w->work = malloc((size_t)w->lwork * sizeof *w->work);
  w->Rb = malloc((size_t)q * q * sizeof *w->Rb);
  if (!w->S || !w->tau || !w->work || !w->Rb) {
    qr_ws_free(w);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  return PEIL_OK;
}

void qr_ws_free(qr_ws *w) {
  free(w->tau), free(w->work), free(w->S), free(w->Rb);
  memset(w, 0, sizeof *w);
}

int qr_fold_r(qr_ws *w, double *Racc, const double *Rb) {
  const int q = w->q, m2 = 2 * q;
  for (int j = 0; j < q; j++) {
    memcpy(w->S + (size_t)j * m2, Racc + (size_t)j * q, (size_t)q * sizeof *w->S);
    memcpy(w->S + (size_t)j * m2 + q, Rb + (size_t)j * q, (size_t)q * sizeof *w->S);
  }
  int info = 0;
  dgeqrf_(&m2, &q, w->S, &m2, w->tau, w->work, &w->lwork, &info);
  if (info) return peil_error(PEIL_EINTERNAL, "dgeqrf failed (info %d)", info);
  for (int j = 0; j < q; j++)
    for (int i = 0; i < q; i++) Racc[i + (size_t)j * q] = i <= j ? w->S[i + (size_t)j * m2] : 0;
  return PEIL_OK;
}

int qr_fold_block(qr_ws *w, double *Racc, double *M, int m) {
  const int q = w->q;
  int info = 0;
  dgeqrf_(&m, &q, M, &m, w->tau, w->work, &w->lwork, &info);
  if (info) return peil_error(PEIL_EINTERNAL, "dgeqrf failed (info %d)", info);
  for (int j = 0; j < q; j++)
    for (int i = 0; i < q; i++) w->Rb[i + (size_t)j * q] = (i <= j && i < m) ? M[i + (size_t)j * m] : 0;
  return qr_fold_r(w, Racc, w->Rb);
}

/* Weighted least squares, the step inside IRLS: solve X'WX b = X'Wz from
 * the cross products (fast: one dsyrk per block) or from a QR factor of
 * W^1/2 [X z] (stable: what R's glm.fit does), deciding which columns are
 * aliased as R does. */
#ifndef PEIL_MODEL_WLS_H
#define PEIL_MODEL_WLS_H

#include <stddef.h>

/* The normal equations lose twice the digits a QR factor loses. When the
 * scaled cross-product matrix is this close to singular (reciprocal
 * condition number in the 1-norm), the cross products may already have lost
 * digits that R's QR keeps, so the solve is done by QR instead. */
#define WLS_CHOL_MIN_RCOND 1e-8

typedef struct {
  size_t p;
  int rank;
  int *aliased;  /* p flags */
  double *beta;  /* p, 0 where aliased (as glm.fit uses them for eta) */
  double *inv;   /* p x p: (X'WX)^-1 over the estimable columns, 0 elsewhere */
} wls_fit;

int wls_alloc(wls_fit *s, size_t p);
void wls_free(wls_fit *s);
void wls_copy(wls_fit *dst, const wls_fit *src);

/* From A = X'WX (p x p, upper triangle) and b = X'Wz. Exactly zero columns
 * are aliased. Returns 1 (and leaves s undefined) when the rest is too close
 * to singular for the normal equations: the caller then solves by QR. */
int wls_solve_chol(wls_fit *s, const double *A, const double *b);

/* From R (q x q upper triangular, q = p + 1), the QR factor of W^1/2 [X z].
 * Column j is aliased when its norm after projecting out the earlier
 * estimable columns falls below tol times its own norm: the rule of R's
 * dqrdc2 (tol 1e-7 in lm, min(1e-7, epsilon / 1000) in glm). */
int wls_solve_qr(wls_fit *s, const double *R, double tol);

/* Workspace for the QR of blocks of q columns and up to m rows. */
typedef struct {
  int q, lwork;
  double *tau, *work, *S, *Rb;
} qr_ws;

int qr_ws_alloc(qr_ws *w, int m, int q);
void qr_ws_free(qr_ws *w);
/* Factors M (m x q, leading dimension m; overwritten) and folds its R into
 * Racc (q x q upper): Racc becomes the R factor of [Racc; M]. */
int qr_fold_block(qr_ws *w, double *Racc, double *M, int m);
/* Racc becomes the R factor of [Racc; Rb] for an upper triangular Rb. */
int qr_fold_r(qr_ws *w, double *Racc, const double *Rb);

#endif

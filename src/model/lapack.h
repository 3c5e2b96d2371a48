/* The LAPACK routines the model module calls (Fortran interface, provided
 * by OpenBLAS). Debian's OpenBLAS ships no lapacke.h, so the prototypes are
 * declared here; all arguments are passed by reference. */
#ifndef PEIL_MODEL_LAPACK_H
#define PEIL_MODEL_LAPACK_H

void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work,
             const int *lwork, int *info);
void dormqr_(const char *side, const char *trans, const int *m, const int *n, const int *k,
             const double *a, const int *lda, const double *tau, double *c, const int *ldc,
             double *work, const int *lwork, int *info);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
             double *b, const int *ldb, int *info);
void dpocon_(const char *uplo, const int *n, const double *a, const int *lda, const double *anorm,
             double *rcond, double *work, int *iwork, int *info);
double dlansy_(const char *norm, const char *uplo, const int *n, const double *a, const int *lda,
               double *work);
void dtrtrs_(const char *uplo, const char *trans, const char *diag, const int *n, const int *nrhs,
             const double *a, const int *lda, double *b, const int *ldb, int *info);

#endif

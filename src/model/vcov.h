/* After the fit: one pass for the dispersion, the AIC, rows at the boundary
 * and the sandwich meat, then the covariance matrix of the coefficients as
 * summary.glm (model) and the sandwich package (HC0, HC1, HC3, CR1) compute
 * them. */
#ifndef PEIL_MODEL_VCOV_H
#define PEIL_MODEL_VCOV_H

#include "irls.h"

typedef struct {
  double disp_sum;     /* sum of working weight x working residual^2 */
  double aic_sum;      /* the family's -2 log-likelihood terms */
  int64_t n_boundary;  /* fitted probabilities (rates) numerically 0 or 1 */
  int64_t n_extreme;   /* fitted values within 1e-6 of 0 or 1: worth a look for separation */
  int64_t n_hat_one;   /* HC3: rows with a hat value above 1 - sqrt(DBL_EPSILON) */
  double *meat;        /* p x p */
  int64_t nclusters;
} fit_stats;

typedef struct {
  const irls_problem *pb;
  const irls_result *res;
  peil_vcov_type type;
  int frequency;       /* frequency weights: a row stands for w rows */
  int clustered;
} vcov_request;

int vcov_pass(const vcov_request *rq, fit_stats *st);
void fit_stats_free(fit_stats *st);

/* The covariance (p x p, NaN for aliased rows and columns). n is the number
 * of observations (sum of frequency weights, else rows). */
int vcov_assemble(const vcov_request *rq, const fit_stats *st, double n, double dispersion,
                  double *V);

#endif

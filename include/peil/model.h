/* peil/model.h: generalised linear models.
 *
 * Families and links follow R's glm exactly (stats::family objects):
 * the same clamping of linkinv and mu.eta at the extremes, the same
 * deviance residuals, starting values and AIC, so that fits agree with R to
 * the last digits that IRLS converges to.
 */
#ifndef PEIL_MODEL_H
#define PEIL_MODEL_H

#include "peil/core.h"
#include "peil/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { PEIL_GAUSSIAN, PEIL_BINOMIAL, PEIL_POISSON } peil_family_kind;
typedef enum { PEIL_IDENTITY, PEIL_LOGIT, PEIL_PROBIT, PEIL_CLOGLOG, PEIL_LOG } peil_link_kind;

/* A family with its link. All functions work on arrays of n values. */
typedef struct {
  peil_family_kind family;
  peil_link_kind link;
  const char *family_name; /* "binomial" */
  const char *link_name;   /* "logit" */
  void (*linkfun)(const double *mu, double *eta, size_t n);
  void (*linkinv)(const double *eta, double *mu, size_t n);
  void (*mu_eta)(const double *eta, double *dmu_deta, size_t n);
  void (*variance)(const double *mu, double *var, size_t n);
  /* Unit deviances times prior weights (R's dev.resids). */
  void (*dev_resids)(const double *y, const double *mu, const double *wt, double *out, size_t n);
  /* R's initialize: the starting mean for each row. */
  void (*mustart)(const double *y, const double *wt, double *mu, size_t n);
  /* -2 log-likelihood contribution of a row (binomial, Poisson); the
   * Gaussian AIC is computed from the deviance instead. */
  double (*aic_term)(double y, double mu, double wt);
  int (*valid_mu)(double mu);
  int (*valid_eta)(double eta);
  int has_dispersion; /* Gaussian: the scale is estimated */
} peil_family;

/* mu, dmu/deta, variance and unit deviances together, the same numbers as
 * the four functions compute one by one (for the logit link with one exp
 * instead of two: this is most of an IRLS pass's arithmetic). */
void peil_family_irls_terms(const peil_family *f, const double *eta, const double *y,
                            const double *wt, double *mu, double *dmu, double *var, double *dev,
                            size_t n);
/* 1 when valid_eta and valid_mu hold for every (eta[i], mu[i]), else 0;
 * one loop without calls through the function pointers. */
int peil_family_all_valid(const peil_family *f, const double *eta, const double *mu, size_t n);
/* aic_term for every row (the binomial family's with vectorised logs: not
 * the same bits as aic_term, within an ulp or two of them). */
void peil_family_aic_terms(const peil_family *f, const double *y, const double *mu,
                           const double *wt, double *out, size_t n);

/* The family for a name and a link name (NULL = the canonical link).
 * PEIL_EINVAL names the valid links for that family. */
int peil_family_get(const char *family, const char *link, const peil_family **out);
/* Does y fit the family (binomial: 0 <= y <= 1; Poisson: y >= 0)? */
int peil_family_valid_y(const peil_family *f, double y);

/* ---- Fitting a GLM to a table of a store (IRLS over row blocks).
 *
 *   peil_glm_options o;
 *   peil_glm_options_init(&o);
 *   o.formula = "y ~ age + sex * migration"; o.family = "binomial";
 *   o.vcov = PEIL_VCOV_HC1;
 *   peil_glm *g = NULL;
 *   int rc = peil_glm_fit(store, "cohort", &o, &g);   // g->coef[...]
 *   peil_glm_free(g);
 *
 * The fit follows R's glm.fit step for step (starting values, step halving,
 * the convergence test |dev - dev_old| / (|dev| + 0.1) < epsilon, aliasing in
 * column order), and the covariances follow summary.glm and the sandwich
 * package, so that numbers agree with R's to the digits IRLS converges to.
 * Results are identical for any thread count. Errors in the input (unknown
 * columns or levels, a non-binary outcome, no rows left, separation, no
 * convergence) return an input status with a message naming the place. */

typedef enum {
  PEIL_VCOV_MODEL, /* summary.glm: dispersion * (X'WX)^-1 */
  PEIL_VCOV_HC0,   /* sandwich::vcovHC(type = "HC0") */
  PEIL_VCOV_HC1,   /* HC0 * n / (n - k): Stata's robust for regress */
  PEIL_VCOV_HC3    /* HC0 with residuals scaled by 1 / (1 - h_i) */
} peil_vcov_type;

typedef enum {
  PEIL_WEIGHTS_FREQUENCY, /* a row stands for w identical rows: n = sum of w */
  PEIL_WEIGHTS_SAMPLING   /* inverse selection probabilities: robust SEs only */
} peil_weight_type;

typedef struct {
  const char *formula;           /* R syntax: "y ~ a + b:c + factor(year) + offset(log(t))" */
  const char *family;            /* "gaussian", "binomial", "poisson" */
  const char *link;              /* NULL: the family's canonical link */
  const char *where;             /* row filter (peil/expr.h), NULL: all rows */
  const char *weights;           /* weight column, NULL: none */
  peil_weight_type weight_type;
  const char *cluster;           /* cluster column: CR1 standard errors (vcov is ignored) */
  const char *const *refs;       /* reference levels, "column=level" */
  size_t nrefs;
  peil_vcov_type vcov;
  int maxit;                     /* 25 */
  double epsilon;                /* 1e-8 */
  double alias_tol;              /* 0: glm's min(1e-7, epsilon / 1000); lm uses 1e-7 */
  double conf_level;             /* 0.95 */
  int allow_nonconvergence;      /* report instead of failing */
  int allow_separation;          /* report diverging coefficients instead of failing */
  int threads;                   /* 0: one per core */
  const char *margins;           /* categorical column: adjusted means per level */
  int ame;                       /* average marginal effects of every data column */
  /* Not NULL: after the fit, the table row (0-based) of each used row and
   * its linear predictor (offsets included), n_used values each, malloc'ed
   * for the caller to free (a propensity score for every unit). */
  int64_t **fitted_rows;
  double **fitted_eta;
} peil_glm_options;

void peil_glm_options_init(peil_glm_options *o);

/* One row of a coefficient or effect table (broom's names). */
typedef struct {
  char *term;
  double estimate, std_error, statistic, p_value, conf_low, conf_high;
  int aliased;   /* coefficients: not estimable (NA in R); the numbers are NaN */
  int separated; /* coefficients: diverges under separation (allow_separation) */
  int64_t n;     /* effects: rows the estimate averages over (margins: per level) */
} peil_glm_row;

typedef struct {
  const peil_family *family;
  char *formula, *where, *weights, *cluster, *margins;
  peil_weight_type weight_type;
  peil_vcov_type vcov;           /* as used (cluster: see nclusters) */

  /* Rows: read = filtered + missing + zero_weight + used. */
  int64_t n_read, n_filtered, n_missing, n_zero_weight, n_used;
  double nobs;                   /* sum of frequency weights, else n_used */
  size_t nmissing_by;            /* rows dropped, by the first missing variable */
  char **missing_by;
  int64_t *missing_count;

  size_t ncoef;
  peil_glm_row *coef;
  double *vcov_matrix;           /* ncoef x ncoef, NaN rows/columns for aliased terms */
  int rank;
  int t_stat;                    /* statistics are t (Gaussian), else z */
  double df_residual, df_null, dispersion;
  double deviance, null_deviance, loglik, aic;
  int iterations, converged;     /* R's count, until its convergence test held */
  int extra_steps;               /* steps after that, to the optimum (R stops short) */
  double last_change;            /* |dev - dev_old| / (|dev| + 0.1) of the last iteration */
  int64_t nclusters;             /* > 0 when SEs are clustered */
  int64_t n_hat_one;             /* HC3: rows whose hat value exceeds 1 - sqrt(DBL_EPSILON),
                                    where 1 / (1 - h) is rounding noise (sandwich warns that
                                    the covariance becomes numerically unstable) */
  const char *solver;            /* "cholesky" or "qr" */

  size_t nmargins;               /* adjusted means per level of `margins` */
  peil_glm_row *margin;
  size_t ndiffs;                 /* level - reference, with z tests */
  peil_glm_row *diff;
  char *margins_ref;
  size_t n_ame;                  /* average marginal effects */
  peil_glm_row *ame;

  size_t nwarnings;
  char **warnings;

  /* Wall-clock seconds: reading and caching the rows, IRLS, covariance and
   * checks, margins and marginal effects. */
  double seconds_read, seconds_fit, seconds_vcov, seconds_effects;
} peil_glm;

int peil_glm_fit(peil_store *s, const char *table, const peil_glm_options *o, peil_glm **out);
void peil_glm_free(peil_glm *g);

#ifdef __cplusplus
}
#endif
#endif

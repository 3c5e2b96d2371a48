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

/* The family for a name and a link name (NULL = the canonical link).
 * PEIL_EINVAL names the valid links for that family. */
int peil_family_get(const char *family, const char *link, const peil_family **out);
/* Does y fit the family (binomial: 0 <= y <= 1; Poisson: y >= 0)? */
int peil_family_valid_y(const peil_family *f, double y);

#ifdef __cplusplus
}
#endif
#endif

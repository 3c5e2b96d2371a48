/* GLM families and links, transcribed from the definitions in R's stats
 * package (family.R and family.c), thresholds included: fits agree with R's
 * only if the clamping at extreme linear predictors is the same. */
#include <float.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <string.h>

#include "peil/model.h"

/* ---- Links. */
static void identity_fun(const double *mu, double *eta, size_t n) { memcpy(eta, mu, n * sizeof *eta); }
static void identity_inv(const double *eta, double *mu, size_t n) { memcpy(mu, eta, n * sizeof *mu); }
static void identity_deriv(const double *eta, double *d, size_t n) {
  (void)eta;
  for (size_t i = 0; i < n; i++) d[i] = 1.0;
}

/* R's C_logit_*: exp(eta) is clamped at |eta| > 30. */
#define LOGIT_THRESH 30.0
static void logit_fun(const double *mu, double *eta, size_t n) {
  for (size_t i = 0; i < n; i++) eta[i] = log(mu[i] / (1 - mu[i]));
}
static void logit_inv(const double *eta, double *mu, size_t n) {
  for (size_t i = 0; i < n; i++) {
    double e = eta[i];
    double t = e < -LOGIT_THRESH ? DBL_EPSILON : e > LOGIT_THRESH ? 1 / DBL_EPSILON : exp(e);
    mu[i] = t / (1 + t);
  }
}
static void logit_deriv(const double *eta, double *d, size_t n) {
  for (size_t i = 0; i < n; i++) {
    double e = eta[i], opexp = 1 + exp(e);
    d[i] = (e > LOGIT_THRESH || e < -LOGIT_THRESH) ? DBL_EPSILON : exp(e) / (opexp * opexp);
  }
}

static void probit_fun(const double *mu, double *eta, size_t n) {
  for (size_t i = 0; i < n; i++) eta[i] = gsl_cdf_ugaussian_Pinv(mu[i]);
}
static void probit_inv(const double *eta, double *mu, size_t n) {
  const double thresh = -gsl_cdf_ugaussian_Pinv(DBL_EPSILON);
  for (size_t i = 0; i < n; i++) {
    double e = eta[i] < -thresh ? -thresh : eta[i] > thresh ? thresh : eta[i];
    mu[i] = gsl_cdf_ugaussian_P(e);
  }
}
static void probit_deriv(const double *eta, double *d, size_t n) {
  for (size_t i = 0; i < n; i++) d[i] = fmax(gsl_ran_ugaussian_pdf(eta[i]), DBL_EPSILON);
}

static void cloglog_fun(const double *mu, double *eta, size_t n) {
  for (size_t i = 0; i < n; i++) eta[i] = log(-log1p(-mu[i]));
}
static void cloglog_inv(const double *eta, double *mu, size_t n) {
  for (size_t i = 0; i < n; i++)
    mu[i] = fmax(fmin(-expm1(-exp(eta[i])), 1 - DBL_EPSILON), DBL_EPSILON);
}
static void cloglog_deriv(const double *eta, double *d, size_t n) {
  for (size_t i = 0; i < n; i++) {
    double e = fmin(eta[i], 700);
    d[i] = fmax(exp(e) * exp(-exp(e)), DBL_EPSILON);
  }
}

static void log_fun(const double *mu, double *eta, size_t n) {
  for (size_t i = 0; i < n; i++) eta[i] = log(mu[i]);
}
static void log_inv(const double *eta, double *mu, size_t n) {
  for (size_t i = 0; i < n; i++) mu[i] = fmax(exp(eta[i]), DBL_EPSILON);
}
static void log_deriv(const double *eta, double *d, size_t n) {
  for (size_t i = 0; i < n; i++) d[i] = fmax(exp(eta[i]), DBL_EPSILON);
}

/* ---- Variance, deviance, starting values, AIC per family. */
static void var_gaussian(const double *mu, double *v, size_t n) {
  (void)mu;
  for (size_t i = 0; i < n; i++) v[i] = 1.0;
}
static void var_binomial(const double *mu, double *v, size_t n) {
  for (size_t i = 0; i < n; i++) v[i] = mu[i] * (1 - mu[i]);
}
static void var_poisson(const double *mu, double *v, size_t n) { memcpy(v, mu, n * sizeof *v); }

static double y_log_y(double y, double mu) { return y != 0 ? y * log(y / mu) : 0; }

static void dev_gaussian(const double *y, const double *mu, const double *wt, double *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = wt[i] * (y[i] - mu[i]) * (y[i] - mu[i]);
}
static void dev_binomial(const double *y, const double *mu, const double *wt, double *out, size_t n) {
  for (size_t i = 0; i < n; i++)
    out[i] = 2 * wt[i] * (y_log_y(y[i], mu[i]) + y_log_y(1 - y[i], 1 - mu[i]));
}
static void dev_poisson(const double *y, const double *mu, const double *wt, double *out, size_t n) {
  /* R: r <- mu*wt; p <- which(y > 0); r[p] <- (wt * (y*log(y/mu) - (y - mu)))[p]; 2*r */
  for (size_t i = 0; i < n; i++)
    out[i] = 2 * (y[i] > 0 ? wt[i] * (y[i] * log(y[i] / mu[i]) - (y[i] - mu[i])) : mu[i] * wt[i]);
}

static void start_gaussian(const double *y, const double *wt, double *mu, size_t n) {
  (void)wt;
  memcpy(mu, y, n * sizeof *mu);
}
static void start_binomial(const double *y, const double *wt, double *mu, size_t n) {
  for (size_t i = 0; i < n; i++) mu[i] = (wt[i] * y[i] + 0.5) / (wt[i] + 1);
}
static void start_poisson(const double *y, const double *wt, double *mu, size_t n) {
  (void)wt;
  for (size_t i = 0; i < n; i++) mu[i] = y[i] + 0.1;
}

static double aic_none(double y, double mu, double wt) {
  (void)y, (void)mu, (void)wt;
  return 0;
}
/* R: -2 * (wt/m) * dbinom(round(m*y), round(m), mu, log = TRUE) with m = wt
 * for 0/1 data. */
static double aic_binomial(double y, double mu, double wt) {
  if (wt <= 0) return 0;
  double m = round(wt), k = round(wt * y);
  /* log choose(m, k) is 0 for k = 0 and k = m (every 0/1 outcome): skip
   * the log-gamma calls, which would cost more than the rest of the pass. */
  double lc = (k == 0 || k == m) ? 0 : gsl_sf_lnchoose((unsigned)m, (unsigned)k);
  double ll = lc + (k > 0 ? k * log(mu) : 0) + (m - k > 0 ? (m - k) * log1p(-mu) : 0);
  return -2 * ll;
}
static double aic_poisson(double y, double mu, double wt) {
  double ll = (y > 0 ? y * log(mu) : 0) - mu - gsl_sf_lngamma(y + 1);
  return -2 * ll * wt;
}

static void logit_terms(const double *eta, const double *y, const double *wt, double *mu,
                        double *dmu, double *var, double *dev, size_t n) {
  for (size_t i = 0; i < n; i++) {
    double e = eta[i];
    int clamp = e < -LOGIT_THRESH || e > LOGIT_THRESH;
    double t = e < -LOGIT_THRESH ? DBL_EPSILON : e > LOGIT_THRESH ? 1 / DBL_EPSILON : exp(e);
    double m = t / (1 + t);
    mu[i] = m;
    dmu[i] = clamp ? DBL_EPSILON : t / ((1 + t) * (1 + t));
    var[i] = m * (1 - m);
    dev[i] = 2 * wt[i] * (y_log_y(y[i], m) + y_log_y(1 - y[i], 1 - m));
  }
}

static int valid_any(double x) { return isfinite(x); }
static int valid_prob(double mu) { return isfinite(mu) && mu > 0 && mu < 1; }
static int valid_pos(double mu) { return isfinite(mu) && mu > 0; }

static const peil_family families[] = {
    {PEIL_GAUSSIAN, PEIL_IDENTITY, "gaussian", "identity", identity_fun, identity_inv, identity_deriv,
     var_gaussian, dev_gaussian, start_gaussian, aic_none, valid_any, valid_any, 1},
    {PEIL_GAUSSIAN, PEIL_LOG, "gaussian", "log", log_fun, log_inv, log_deriv, var_gaussian,
     dev_gaussian, start_gaussian, aic_none, valid_any, valid_any, 1},
    {PEIL_BINOMIAL, PEIL_LOGIT, "binomial", "logit", logit_fun, logit_inv, logit_deriv, var_binomial,
     dev_binomial, start_binomial, aic_binomial, valid_prob, valid_any, 0},
    {PEIL_BINOMIAL, PEIL_PROBIT, "binomial", "probit", probit_fun, probit_inv, probit_deriv,
     var_binomial, dev_binomial, start_binomial, aic_binomial, valid_prob, valid_any, 0},
    {PEIL_BINOMIAL, PEIL_CLOGLOG, "binomial", "cloglog", cloglog_fun, cloglog_inv, cloglog_deriv,
     var_binomial, dev_binomial, start_binomial, aic_binomial, valid_prob, valid_any, 0},
    {PEIL_BINOMIAL, PEIL_LOG, "binomial", "log", log_fun, log_inv, log_deriv, var_binomial,
     dev_binomial, start_binomial, aic_binomial, valid_prob, valid_any, 0},
    {PEIL_POISSON, PEIL_LOG, "poisson", "log", log_fun, log_inv, log_deriv, var_poisson, dev_poisson,
     start_poisson, aic_poisson, valid_pos, valid_any, 0},
    {PEIL_POISSON, PEIL_IDENTITY, "poisson", "identity", identity_fun, identity_inv, identity_deriv,
     var_poisson, dev_poisson, start_poisson, aic_poisson, valid_pos, valid_any, 0},
};

int peil_family_get(const char *family, const char *link, const peil_family **out) {
  const size_t n = sizeof families / sizeof *families;
  int known = 0;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(families[i].family_name, family) != 0) continue;
    known = 1;
    /* The first entry of a family is its canonical link. */
    if (!link || strcmp(families[i].link_name, link) == 0) {
      *out = &families[i];
      return PEIL_OK;
    }
  }
  if (!known)
    return peil_error(PEIL_EINVAL, "unknown family '%s' (known: gaussian, binomial, poisson)", family);
  char links[128] = "";
  for (size_t i = 0; i < n; i++)
    if (strcmp(families[i].family_name, family) == 0) {
      if (links[0]) strcat(links, ", ");
      strcat(links, families[i].link_name);
    }
  return peil_error(PEIL_EINVAL, "family %s has no link '%s' (links: %s)", family, link, links);
}

int peil_family_valid_y(const peil_family *f, double y) {
  switch (f->family) {
  case PEIL_BINOMIAL: return y >= 0 && y <= 1;
  case PEIL_POISSON: return y >= 0;
  default: return isfinite(y);
  }
}

void peil_family_irls_terms(const peil_family *f, const double *eta, const double *y,
                            const double *wt, double *mu, double *dmu, double *var, double *dev,
                            size_t n) {
  if (f->family == PEIL_BINOMIAL && f->link == PEIL_LOGIT) {
    logit_terms(eta, y, wt, mu, dmu, var, dev, n);
    return;
  }
  f->linkinv(eta, mu, n);
  f->mu_eta(eta, dmu, n);
  f->variance(mu, var, n);
  f->dev_resids(y, mu, wt, dev, n);
}

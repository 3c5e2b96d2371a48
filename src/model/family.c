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
#include "vmath.h"

/* Arrays are worked through in chunks of this many elements (stack
 * buffers for the vectorised exp and log). */
#define CHUNK 256

/* The loops of the logit and binomial functions in an AVX2 version beside
 * the baseline one, chosen when the program loads. No FMA: a vectorised
 * loop then does the very operations of the scalar one, and the fused
 * terms keep the bits of the functions apart. (The file is compiled with
 * -fno-trapping-math, which lets the loops compute both sides of a
 * selection; the values are those of IEEE arithmetic either way.) */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VEC_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VEC_CLONES
#endif

/* ---- Links. */
static void identity_fun(const double *mu, double *eta, size_t n) { memcpy(eta, mu, n * sizeof *eta); }
static void identity_inv(const double *eta, double *mu, size_t n) { memcpy(mu, eta, n * sizeof *mu); }
static void identity_deriv(const double *eta, double *d, size_t n) {
  (void)eta;
  for (size_t i = 0; i < n; i++) d[i] = 1.0;
}

/* R's C_logit_*: exp(eta) is clamped at |eta| > 30. */
#define LOGIT_THRESH 30.0
VEC_CLONES static void logit_fun(const double *mu, double *eta, size_t n) {
  for (size_t s = 0; s < n; s += CHUNK) {
    size_t m = n - s < CHUNK ? n - s : CHUNK;
    double r[CHUNK];
    for (size_t i = 0; i < m; i++) r[i] = mu[s + i] / (1 - mu[s + i]);
    model_vlog(r, eta + s, m);
  }
}
/* exp(eta) for the logit link; the clamped values are replaced by the
 * callers (exp of the clamped argument keeps the vector free of
 * overflow). */
VEC_CLONES static void logit_exp(const double *eta, double *t, size_t n) {
  double e[CHUNK];
  for (size_t i = 0; i < n; i++)
    e[i] = eta[i] < -LOGIT_THRESH ? -LOGIT_THRESH : eta[i] > LOGIT_THRESH ? LOGIT_THRESH : eta[i];
  model_vexp(e, t, n);
}
VEC_CLONES static void logit_inv(const double *eta, double *mu, size_t n) {
  for (size_t s = 0; s < n; s += CHUNK) {
    size_t m = n - s < CHUNK ? n - s : CHUNK;
    double t[CHUNK];
    logit_exp(eta + s, t, m);
    for (size_t i = 0; i < m; i++) {
      double e = eta[s + i];
      double ti = e < -LOGIT_THRESH ? DBL_EPSILON : e > LOGIT_THRESH ? 1 / DBL_EPSILON : t[i];
      mu[s + i] = ti / (1 + ti);
    }
  }
}
VEC_CLONES static void logit_deriv(const double *eta, double *d, size_t n) {
  for (size_t s = 0; s < n; s += CHUNK) {
    size_t m = n - s < CHUNK ? n - s : CHUNK;
    double t[CHUNK];
    logit_exp(eta + s, t, m);
    for (size_t i = 0; i < m; i++) {
      double e = eta[s + i], opexp = 1 + t[i], q = t[i] / (opexp * opexp);
      d[s + i] = e > LOGIT_THRESH ? DBL_EPSILON : e < -LOGIT_THRESH ? DBL_EPSILON : q;
    }
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
VEC_CLONES static void var_binomial(const double *mu, double *v, size_t n) {
  for (size_t i = 0; i < n; i++) v[i] = mu[i] * (1 - mu[i]);
}
static void var_poisson(const double *mu, double *v, size_t n) { memcpy(v, mu, n * sizeof *v); }

static void dev_gaussian(const double *y, const double *mu, const double *wt, double *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = wt[i] * (y[i] - mu[i]) * (y[i] - mu[i]);
}
/* R's binomial deviance residuals, 2 wt (y log(y/mu) + (1-y) log((1-y)/(1-mu)))
 * with 0 log 0 = 0, for at most CHUNK rows: the logs by the vectorised log.
 * The quotients are computed for every row and the unused ones discarded
 * (no branches: the loops vectorise). With 0/1 outcomes only one of the
 * terms is not 0, and one log per row gives the same bits: y/mu = 1/mu and
 * 1 * L + 0 = L for y = 1, likewise for y = 0. */
VEC_CLONES static void dev_binomial_chunk(const double *y, const double *mu, const double *wt, double *out,
                               size_t n) {
  double a[2 * CHUNK], la[2 * CHUNK];
  if (n == 0 || n > CHUNK) return;
  int binary = 1;
  for (size_t i = 0; i < n; i++) binary &= (y[i] == 0) | (y[i] == 1);
  if (binary) {
    for (size_t i = 0; i < n; i++) a[i] = 1 / (y[i] != 0 ? mu[i] : 1 - mu[i]);
    model_vlog(a, la, n);
    for (size_t i = 0; i < n; i++) out[i] = 2 * wt[i] * la[i];
    return;
  }
  for (size_t i = 0; i < n; i++) {
    double q1 = y[i] / mu[i], q0 = (1 - y[i]) / (1 - mu[i]);
    a[i] = y[i] != 0 ? q1 : 1;
    a[CHUNK + i] = 1 - y[i] != 0 ? q0 : 1;
  }
  model_vlog(a, la, n);
  model_vlog(a + CHUNK, la + CHUNK, n);
  for (size_t i = 0; i < n; i++) {
    double t1 = y[i] * la[i], t0 = (1 - y[i]) * la[CHUNK + i];
    out[i] = 2 * wt[i] * ((y[i] != 0 ? t1 : 0) + (1 - y[i] != 0 ? t0 : 0));
  }
}
static void dev_binomial(const double *y, const double *mu, const double *wt, double *out, size_t n) {
  for (size_t s = 0; s < n; s += CHUNK)
    dev_binomial_chunk(y + s, mu + s, wt + s, out + s, n - s < CHUNK ? n - s : CHUNK);
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
/* aic_binomial for a block, its logs by the vectorised log and log1p (so
 * not the same bits as aic_binomial; log-choose only where it is not 0). */
VEC_CLONES static void aic_binomial_chunk(const double *y, const double *mu, const double *wt,
                                          double *out, size_t n) {
  double m[CHUNK], k[CHUNK], l1[CHUNK], l0[CHUNK], neg[CHUNK], lc[CHUNK];
  if (n == 0 || n > CHUNK) return;
  int choose = 0;
  for (size_t i = 0; i < n; i++) {
    m[i] = round(wt[i]), k[i] = round(wt[i] * y[i]), neg[i] = -mu[i], lc[i] = 0;
    choose |= (k[i] != 0) & (k[i] != m[i]) & (wt[i] > 0);
  }
  if (choose)
    for (size_t i = 0; i < n; i++)
      if (k[i] != 0 && k[i] != m[i] && wt[i] > 0) lc[i] = gsl_sf_lnchoose((unsigned)m[i], (unsigned)k[i]);
  model_vlog(mu, l1, n);
  model_vlog1p(neg, l0, n);
  for (size_t i = 0; i < n; i++) {
    double t1 = k[i] * l1[i], t0 = (m[i] - k[i]) * l0[i];
    double ll = lc[i] + (k[i] > 0 ? t1 : 0) + (m[i] - k[i] > 0 ? t0 : 0);
    out[i] = wt[i] <= 0 ? 0 : -2 * ll;
  }
}

static double aic_poisson(double y, double mu, double wt) {
  double ll = (y > 0 ? y * log(mu) : 0) - mu - gsl_sf_lngamma(y + 1);
  return -2 * ll * wt;
}

/* The four functions above for the logit link in one go: exp(eta) once,
 * and the same operations (so the same bits) as each of them. */
VEC_CLONES static void logit_terms(const double *eta, const double *y, const double *wt, double *mu,
                        double *dmu, double *var, double *dev, size_t n) {
  for (size_t s = 0; s < n; s += CHUNK) {
    size_t m = n - s < CHUNK ? n - s : CHUNK;
    double t[CHUNK];
    logit_exp(eta + s, t, m);
    for (size_t i = 0; i < m; i++) {
      double e = eta[s + i], opexp = 1 + t[i], q = t[i] / (opexp * opexp);
      double ti = e < -LOGIT_THRESH ? DBL_EPSILON : e > LOGIT_THRESH ? 1 / DBL_EPSILON : t[i];
      double mi = ti / (1 + ti);
      mu[s + i] = mi;
      dmu[s + i] = e > LOGIT_THRESH ? DBL_EPSILON : e < -LOGIT_THRESH ? DBL_EPSILON : q;
      var[s + i] = mi * (1 - mi);
    }
    dev_binomial_chunk(y + s, mu + s, wt + s, dev + s, m);
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

/* The same tests as valid_any, valid_prob and valid_pos, written as
 * comparisons that vectorise (NaN and infinities fail them alike). */
VEC_CLONES static int all_finite(const double *x, size_t n) {
  int ok = 1;
  for (size_t i = 0; i < n; i++) ok &= fabs(x[i]) <= DBL_MAX;
  return ok;
}
VEC_CLONES static int all_prob(const double *x, size_t n) {
  int ok = 1;
  for (size_t i = 0; i < n; i++) ok &= (x[i] > 0) & (x[i] < 1);
  return ok;
}
VEC_CLONES static int all_pos(const double *x, size_t n) {
  int ok = 1;
  for (size_t i = 0; i < n; i++) ok &= (x[i] > 0) & (x[i] <= DBL_MAX);
  return ok;
}

static int all_valid(int (*valid)(double), const double *x, size_t n) {
  if (valid == valid_any) return all_finite(x, n);
  if (valid == valid_prob) return all_prob(x, n);
  if (valid == valid_pos) return all_pos(x, n);
  for (size_t i = 0; i < n; i++)
    if (!valid(x[i])) return 0;
  return 1;
}

int peil_family_all_valid(const peil_family *f, const double *eta, const double *mu, size_t n) {
  return all_valid(f->valid_eta, eta, n) && all_valid(f->valid_mu, mu, n);
}

void peil_family_aic_terms(const peil_family *f, const double *y, const double *mu,
                           const double *wt, double *out, size_t n) {
  if (f->aic_term == aic_binomial) {
    for (size_t s = 0; s < n; s += CHUNK)
      aic_binomial_chunk(y + s, mu + s, wt + s, out + s, n - s < CHUNK ? n - s : CHUNK);
    return;
  }
  for (size_t i = 0; i < n; i++) out[i] = f->aic_term(y[i], mu[i], wt[i]);
}

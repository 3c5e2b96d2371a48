/* Weighting on the propensity score: IPW (Hajek) and augmented IPW.
 *
 * e the score (probability scale), T the treatment, y the outcome; every
 * unit with the outcome, no discarding.
 *
 * Weights: ATE w = T/e + (1-T)/(1-e); ATT w = T + (1-T) e/(1-e);
 *          ATC w = T (1-e)/e + (1-T).
 * IPW: mu1 = sum(w T y)/sum(w T), mu0 = sum(w (1-T) y)/sum(w (1-T)),
 * effect = mu1 - mu0 (the coefficient of lm(y ~ treat, weights = w)).
 *   HC0, HC1  sandwich::vcovHC of that lm, the weights taken as known. The
 *             slope is linear in y with coefficients a_i = w_i T_i / S1 -
 *             w_i (1 - T_i) / S0 (S1, S0 the groups' weight sums), so HC0 is
 *             sum a_i^2 e_i^2 with e_i = y_i - mu_{T_i}; HC1 is HC0 n/(n - 2).
 *   mest      the M-estimator that stacks the logit score equations of the
 *             score model, x_i (T_i - e_i), with w1_i (y_i - mu1) and
 *             w0_i (y_i - mu0) (w1 = w T, w0 = w (1-T)): V = A^-1 B A^-T / n,
 *             A the mean Jacobian, B the mean outer product of the
 *             estimating functions (no small-sample factor). A is block
 *             triangular: A11 = -X' diag(e(1-e)) X / n; the mean equations'
 *             rows have -sum(w1)/n, -sum(w0)/n on the diagonal and, where
 *             the weight depends on e, sum x_i d(w_i)/d(eta_i) (y_i - mu)/n:
 *             d(1/e) = -(1-e)/e, d(1/(1-e)) = d(e/(1-e)) = e/(1-e) times x.
 *             The standard error of c'theta is sqrt(sum_i (u'psi_i)^2) / n
 *             with A'u = c (the influence function u'psi_i), solved by
 *             Cholesky of X' diag(e(1-e)) X with the columns of X scaled to
 *             unit root mean square (the result does not depend on the
 *             scaling; the solve does, for re74 in dollars).
 *             The score model is intercept + the formula's variables (factors
 *             by treatment contrasts, the first level the reference): e must
 *             be its maximum-likelihood fit for the M-estimator to hold.
 * AIPW: outcome models m1, m0 = lm(y ~ covariates) fitted (peil_glm_fit,
 * unweighted) on the treated and on the controls, predicted for every unit.
 *   ATE effect = mean(m1 - m0 + T (y - m1)/e - (1-T)(y - m0)/(1-e))
 *   ATT effect = sum(T (y - m0) - (1-T) e/(1-e) (y - m0)) / n1
 *   ATC effect = sum(T (1-e)/e (y - m1) - (1-T)(y - m1)) / n0
 *   SE (influence) sqrt(sum phi^2) / n with
 *   ATE phi = m1 - m0 + T(y - m1)/e - (1-T)(y - m0)/(1-e) - effect
 *   ATT phi = (T (y - m0 - effect) - (1-T) e/(1-e) (y - m0)) / (n1/n)
 *   ATC phi = (T (1-e)/e (y - m1) - (1-T)(y - m1 + effect)) / (n0/n)
 *   the nuisance models taken as known. */
#define _GNU_SOURCE /* open_memstream */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/lapack.h"
#include "effects_internal.h"
#include "peil/model.h"
#include "peil/store.h"

/* The score model's design: intercept, numeric variables, factor dummies
 * (levels present, the first present left out). n x p column-major. */
typedef struct {
  size_t n, p;
  double *X;
  char **term;
} design;

static void design_free(design *D) {
  free(D->X);
  for (size_t j = 0; D->term && j < D->p; j++) free(D->term[j]);
  free(D->term);
}

static int design_build(const peil_match_data *d, design *D) {
  memset(D, 0, sizeof *D);
  size_t n = d->n, pmax = 1;
  for (size_t v = 0; v < d->nvars; v++) pmax += d->vars[v].is_factor ? d->vars[v].nlevels : 1;
  D->n = n;
  D->X = malloc((n ? n : 1) * pmax * sizeof *D->X);
  D->term = calloc(pmax, sizeof *D->term);
  if (!D->X || !D->term) return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) D->X[i] = 1;
  if (!(D->term[D->p++] = strdup("(Intercept)"))) return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t v = 0; v < d->nvars; v++) {
    const peil_match_var *mv = &d->vars[v];
    if (!mv->is_factor) {
      double *col = D->X + D->p * n;
      memcpy(col, mv->x, n * sizeof *col);
      if (!(D->term[D->p++] = strdup(mv->name))) return peil_error(PEIL_ENOMEM, "out of memory");
      continue;
    }
    int first = 1;
    for (size_t l = 0; l < mv->nlevels; l++) {
      size_t cnt = 0;
      for (size_t i = 0; i < n; i++) cnt += mv->code[i] == (int32_t)l;
      if (!cnt) continue;
      if (first) {
        first = 0;
        continue;
      }
      double *col = D->X + D->p * n;
      for (size_t i = 0; i < n; i++) col[i] = mv->code[i] == (int32_t)l;
      size_t len = strlen(mv->name) + strlen(mv->levels[l]) + 1;
      char *t = malloc(len);
      if (!t) return peil_error(PEIL_ENOMEM, "out of memory");
      snprintf(t, len, "%s%s", mv->name, mv->levels[l]);
      D->term[D->p++] = t;
    }
  }
  return PEIL_OK;
}

/* The outcome models: a memory store with y, treat and the design's columns
 * (x1 .. x(p-1), without the intercept), fitted per group; m[i] the
 * prediction for unit i. */
static int outcome_model(peil_store *st, const design *D, int group, int threads, double *m,
                         char *note, size_t notelen) {
  char *f = NULL;
  size_t flen = 0;
  FILE *ff = open_memstream(&f, &flen);
  if (!ff) return peil_error(PEIL_ENOMEM, "out of memory");
  fputs("y ~ 1", ff);
  for (size_t j = 1; j < D->p; j++) fprintf(ff, " + x%zu", j);
  if (fclose(ff) != 0) {
    free(f);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  peil_glm_options go;
  peil_glm_options_init(&go);
  go.formula = f;
  go.family = "gaussian";
  go.where = group ? "treat == 1" : "treat == 0";
  go.alias_tol = 1e-7;
  size_t most = D->n / EFF_ROWS_PER_THREAD;
  go.threads = most < 1 ? 1 : (threads <= 0 || (size_t)threads > most ? (int)most : threads);
  peil_glm *g = NULL;
  int rc = peil_glm_fit(st, "units", &go, &g);
  free(f);
  if (rc) return peil_error_prefix(rc, "the outcome model of the %s: ", group ? "treated" : "controls");
  /* coefficients in design order: the fit's terms are "(Intercept)", "x1", ... */
  double *beta = calloc(D->p, sizeof *beta);
  if (!beta) {
    peil_glm_free(g);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  size_t used = 0;
  if (note && notelen) note[0] = 0;
  for (size_t c = 0; c < g->ncoef; c++) {
    size_t j = strcmp(g->coef[c].term, "(Intercept)") ? (size_t)strtoul(g->coef[c].term + 1, NULL, 10) : 0;
    if (j >= D->p) continue;
    if (g->coef[c].aliased) {
      if (note && used < notelen)
        used += (size_t)snprintf(note + used, notelen - used, "%s%s", used ? ", " : "", D->term[j]);
      continue;
    }
    beta[j] = g->coef[c].estimate;
  }
  for (size_t i = 0; i < D->n; i++) {
    double v = 0;
    for (size_t j = 0; j < D->p; j++) v += D->X[i + j * D->n] * beta[j];
    m[i] = v;
  }
  free(beta);
  peil_glm_free(g);
  return PEIL_OK;
}

static int write_units(const peil_match_data *d, const design *D, const double *y,
                       peil_store **out) {
  peil_store *st = NULL;
  int rc = peil_store_open_scratch("match-weighting", &st);
  if (rc) return rc;
  peil_store_set_chunk_rows(st, d->n < PEIL_BLOCK_ROWS ? (d->n ? d->n : 1) : PEIL_BLOCK_ROWS);
  size_t nc = 2 + D->p - 1;
  peil_column_def *defs = calloc(nc, sizeof *defs);
  char (*names)[24] = calloc(nc, sizeof *names);
  const void **cols = calloc(nc, sizeof *cols);
  double *t = peil_alloc_large(d->n, sizeof *t);
  if (!defs || !names || !cols || !t) rc = peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc) {
    for (size_t i = 0; i < d->n; i++) t[i] = d->treat[i] ? 1 : 0;
    defs[0] = (peil_column_def){"y", PEIL_FLOAT64, 0, NULL}, cols[0] = y;
    defs[1] = (peil_column_def){"treat", PEIL_FLOAT64, 0, NULL}, cols[1] = t;
    for (size_t j = 1; j < D->p; j++) {
      snprintf(names[j + 1], sizeof names[0], "x%zu", j);
      defs[j + 1] = (peil_column_def){names[j + 1], PEIL_FLOAT64, 0, NULL};
      cols[j + 1] = D->X + j * D->n;
    }
    rc = peil_table_write(st, "units", defs, nc, cols, d->n);
  }
  free(defs), free(names), free(cols), free(t);
  if (rc) {
    peil_store_close(st);
    return rc;
  }
  *out = st;
  return PEIL_OK;
}

/* The Cholesky factor of H = X' diag(e(1-e)) X / n with the columns of X
 * scaled by sc (p x p, upper). */
static int score_information(const design *D, const double *e, double *sc, double *H) {
  size_t n = D->n, p = D->p;
  for (size_t j = 0; j < p; j++) {
    double ss = 0;
    for (size_t i = 0; i < n; i++) ss += D->X[i + j * n] * D->X[i + j * n];
    sc[j] = ss > 0 ? 1 / sqrt(ss / (double)n) : 1;
  }
  for (size_t a = 0; a < p; a++)
    for (size_t b = a; b < p; b++) {
      double v = 0;
      const double *xa = D->X + a * n, *xb = D->X + b * n;
      for (size_t i = 0; i < n; i++) v += xa[i] * xb[i] * e[i] * (1 - e[i]);
      H[a + b * p] = v * sc[a] * sc[b] / (double)n;
    }
  int pi = (int)p, info = 0;
  dpotrf_("U", &pi, H, &pi, &info);
  if (info != 0)
    return peil_error(PEIL_ENUMERIC, "the score model's information matrix is singular (column "
                      "%d): a variable of the formula is constant or collinear", info);
  return PEIL_OK;
}

typedef struct {
  double mu1, mu0, S1, S0;
  double hc0;
  double se_mest[3]; /* effect, mu1, mu0 */
  double ess0;
  int64_t n1, n0, ny;
} ipw_result;

static void ipw_weights(peil_estimand est, double T, double e, double *w1, double *w0,
                        double *dw1, double *dw0) {
  /* w1, w0 and their derivatives in eta, per unit of x */
  switch (est) {
  case PEIL_ATE:
    *w1 = T / e, *w0 = (1 - T) / (1 - e);
    *dw1 = -T * (1 - e) / e, *dw0 = (1 - T) * e / (1 - e);
    break;
  case PEIL_ATT:
    *w1 = T, *w0 = (1 - T) * e / (1 - e);
    *dw1 = 0, *dw0 = (1 - T) * e / (1 - e);
    break;
  default: /* ATC */
    *w1 = T * (1 - e) / e, *w0 = 1 - T;
    *dw1 = -T * (1 - e) / e, *dw0 = 0;
    break;
  }
}

static int ipw(const peil_match_data *d, const design *D, const double *e, const double *H,
               const double *sc, const double *y, peil_estimand est, ipw_result *res) {
  size_t n = d->n, p = D->p;
  memset(res, 0, sizeof *res);
  double a1 = 0, a0 = 0, S1 = 0, S0 = 0, q0 = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(y[i])) continue;
    double T = d->treat[i] ? 1 : 0, w1, w0, dw1, dw0;
    ipw_weights(est, T, e[i], &w1, &w0, &dw1, &dw0);
    a1 += w1 * y[i], S1 += w1, a0 += w0 * y[i], S0 += w0, q0 += w0 * w0;
    res->ny++;
    if (T == 1) res->n1++;
    else res->n0++;
  }
  res->mu1 = a1 / S1, res->mu0 = a0 / S0, res->S1 = S1, res->S0 = S0;
  res->ess0 = q0 > 0 ? S0 * S0 / q0 : 0;
  /* HC0 of the lm slope */
  double h1 = 0, h0 = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(y[i])) continue;
    double T = d->treat[i] ? 1 : 0, w1, w0, dw1, dw0;
    ipw_weights(est, T, e[i], &w1, &w0, &dw1, &dw0);
    if (T == 1) h1 += w1 * w1 * (y[i] - res->mu1) * (y[i] - res->mu1);
    else h0 += w0 * w0 * (y[i] - res->mu0) * (y[i] - res->mu0);
  }
  res->hc0 = h1 / (S1 * S1) + h0 / (S0 * S0);
  /* M-estimation. In the scaled parametrisation (x~ = x sc): A11 = -H,
   * rows p (mu1) and p+1 (mu0): g1' = sum x~ dw1 (y - mu1)/n, a22 = -S1/n;
   * g0' likewise, a33 = -S0/n. A'u = c: u_mu1 = c1/a22, u_mu0 = c0/a33,
   * -H u_beta = -(g1 u_mu1 + g0 u_mu0)  =>  H u_beta = g1 u_mu1 + g0 u_mu0. */
  double *g1 = calloc(p, sizeof *g1), *g0 = calloc(p, sizeof *g0), *ub = malloc(p * sizeof *ub);
  if (!g1 || !g0 || !ub) {
    free(g1), free(g0), free(ub);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    if (isnan(y[i])) continue;
    double T = d->treat[i] ? 1 : 0, w1, w0, dw1, dw0;
    ipw_weights(est, T, e[i], &w1, &w0, &dw1, &dw0);
    double r1 = dw1 * (y[i] - res->mu1), r0 = dw0 * (y[i] - res->mu0);
    if (r1 == 0 && r0 == 0) continue;
    for (size_t j = 0; j < p; j++) {
      double x = D->X[i + j * n] * sc[j];
      g1[j] += x * r1, g0[j] += x * r0;
    }
  }
  for (size_t j = 0; j < p; j++) g1[j] /= (double)n, g0[j] /= (double)n;
  static const double cs[3][2] = {{1, -1}, {1, 0}, {0, 1}};
  int rc = PEIL_OK;
  for (int k = 0; k < 3 && !rc; k++) {
    double u1 = cs[k][0] / (-S1 / (double)n), u0 = cs[k][1] / (-S0 / (double)n);
    for (size_t j = 0; j < p; j++) ub[j] = g1[j] * u1 + g0[j] * u0;
    int pi = (int)p, one = 1, info = 0;
    dpotrs_("U", &pi, &one, H, &pi, ub, &pi, &info);
    if (info) rc = peil_error(PEIL_EINTERNAL, "dpotrs failed (%d)", info);
    double ss = 0;
    for (size_t i = 0; i < n && !rc; i++) {
      double T = d->treat[i] ? 1 : 0, w1, w0, dw1, dw0;
      ipw_weights(est, T, e[i], &w1, &w0, &dw1, &dw0);
      double v = 0;
      for (size_t j = 0; j < p; j++) v += ub[j] * D->X[i + j * n] * sc[j];
      v *= T - e[i];
      if (!isnan(y[i])) v += u1 * w1 * (y[i] - res->mu1) + u0 * w0 * (y[i] - res->mu0);
      ss += v * v;
    }
    res->se_mest[k] = sqrt(ss) / (double)n;
  }
  free(g1), free(g0), free(ub);
  return rc;
}

static void aipw(const peil_match_data *d, const double *e, const double *y, const double *m1,
                 const double *m0, peil_estimand est, double *tau, double *se) {
  size_t n = d->n;
  double ny = 0, n1 = 0, n0 = 0, sum = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(y[i])) continue;
    double T = d->treat[i] ? 1 : 0;
    ny++, n1 += T, n0 += 1 - T;
    switch (est) {
    case PEIL_ATE:
      sum += m1[i] - m0[i] + T * (y[i] - m1[i]) / e[i] - (1 - T) * (y[i] - m0[i]) / (1 - e[i]);
      break;
    case PEIL_ATT:
      sum += T * (y[i] - m0[i]) - (1 - T) * e[i] / (1 - e[i]) * (y[i] - m0[i]);
      break;
    default:
      sum += T * (1 - e[i]) / e[i] * (y[i] - m1[i]) - (1 - T) * (y[i] - m1[i]);
      break;
    }
  }
  double t = sum / (est == PEIL_ATE ? ny : est == PEIL_ATT ? n1 : n0);
  double ss = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(y[i])) continue;
    double T = d->treat[i] ? 1 : 0, phi;
    switch (est) {
    case PEIL_ATE:
      phi = m1[i] - m0[i] + T * (y[i] - m1[i]) / e[i] - (1 - T) * (y[i] - m0[i]) / (1 - e[i]) - t;
      break;
    case PEIL_ATT:
      phi = (T * (y[i] - m0[i] - t) - (1 - T) * e[i] / (1 - e[i]) * (y[i] - m0[i])) / (n1 / ny);
      break;
    default:
      phi = (T * (1 - e[i]) / e[i] * (y[i] - m1[i]) - (1 - T) * (y[i] - m1[i] + t)) / (n0 / ny);
      break;
    }
    ss += phi * phi;
  }
  *tau = t;
  *se = sqrt(ss) / ny;
}

int peil_match_weighting(const peil_match_data *d, const double *ps, peil_estimand estimand,
                         const peil_effect_options *o, peil_match_effects **out) {
  *out = NULL;
  peil_effect_options def;
  if (!o) {
    peil_effect_options_init(&def);
    o = &def;
  }
  if (!(o->conf_level > 0 && o->conf_level < 1))
    return peil_error(PEIL_EINVAL, "the confidence level must lie between 0 and 1 (got %g)",
                      o->conf_level);
  if (estimand != PEIL_ATE && estimand != PEIL_ATT && estimand != PEIL_ATC)
    return peil_error(PEIL_EINVAL, "unknown estimand %d", (int)estimand);
  for (size_t i = 0; i < d->n; i++)
    if (!(ps[i] > 0 && ps[i] < 1))
      return peil_error(PEIL_EDATA, "the propensity score of unit %zu (row %lld) is %.17g: "
                        "weighting needs scores strictly between 0 and 1", i,
                        (long long)(d->row ? d->row[i] + 1 : (int64_t)i + 1), ps[i]);
  design D;
  int rc = design_build(d, &D);
  size_t p = D.p;
  double *sc = malloc(p * sizeof *sc), *H = malloc(p * p * sizeof *H);
  double *m1 = peil_alloc_large(d->n, sizeof *m1), *m0 = peil_alloc_large(d->n, sizeof *m0);
  peil_match_effects *e = calloc(1, sizeof *e);
  if (!rc && (!sc || !H || !m1 || !m0 || !e)) rc = peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc) rc = score_information(&D, ps, sc, H);
  for (size_t k = 0; k < d->nout && !rc; k++) {
    const double *y = d->outcome[k];
    const char *name = d->outcome_name[k];
    ipw_result ir;
    if ((rc = ipw(d, &D, ps, H, sc, y, estimand, &ir))) break;
    if (ir.n1 == 0 || ir.n0 == 0) {
      rc = eff_add_warning(e, "%s: no weighting estimates, no %s with the outcome", name,
                           ir.n1 == 0 ? "treated units" : "controls");
      continue;
    }
    peil_effect_row row = {0};
    row.outcome = name;
    row.n_treated = ir.n1, row.n_control = ir.n0;
    row.n_control_eff = ir.ess0;
    row.estimator = PEIL_EFFECT_IPW;
    row.quantity = "effect";
    row.estimate = ir.mu1 - ir.mu0;
    row.se = PEIL_SE_HC0, row.std_error = sqrt(ir.hc0);
    if (!rc) rc = eff_add_row(e, &row, o->conf_level);
    row.se = PEIL_SE_HC1, row.std_error = sqrt(ir.hc0 * (double)ir.ny / (double)(ir.ny - 2));
    if (!rc) rc = eff_add_row(e, &row, o->conf_level);
    row.se = PEIL_SE_MEST, row.std_error = ir.se_mest[0];
    if (!rc) rc = eff_add_row(e, &row, o->conf_level);
    row.quantity = "mu1", row.estimate = ir.mu1, row.std_error = ir.se_mest[1];
    if (!rc) rc = eff_add_row(e, &row, o->conf_level);
    row.quantity = "mu0", row.estimate = ir.mu0, row.std_error = ir.se_mest[2];
    if (!rc) rc = eff_add_row(e, &row, o->conf_level);
    /* AIPW */
    peil_store *st = NULL;
    char note1[1024] = "", note0[1024] = "";
    if (!rc) rc = write_units(d, &D, y, &st);
    if (!rc) rc = outcome_model(st, &D, 1, o->threads, m1, note1, sizeof note1);
    if (!rc) rc = outcome_model(st, &D, 0, o->threads, m0, note0, sizeof note0);
    if (st) peil_store_close(st);
    if (rc) {
      rc = peil_error_prefix(rc, "%s, augmented IPW: ", name);
      break;
    }
    if (note1[0])
      rc = eff_add_warning(e, "%s, augmented IPW: the outcome model of the treated does not "
                           "identify %s (aliased; predicted as 0)", name, note1);
    if (!rc && note0[0])
      rc = eff_add_warning(e, "%s, augmented IPW: the outcome model of the controls does not "
                           "identify %s (aliased; predicted as 0)", name, note0);
    row.estimator = PEIL_EFFECT_AIPW;
    row.quantity = "effect";
    row.se = PEIL_SE_INFLUENCE;
    aipw(d, ps, y, m1, m0, estimand, &row.estimate, &row.std_error);
    if (!rc) rc = eff_add_row(e, &row, o->conf_level);
  }
  design_free(&D);
  free(sc), free(H), free(m1), free(m0);
  if (rc) {
    peil_match_effects_free(e);
    return rc;
  }
  *out = e;
  return PEIL_OK;
}

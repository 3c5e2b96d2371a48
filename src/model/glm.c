/* peil_glm_fit: frame, design, IRLS, covariance, summary statistics,
 * separation check, margins; the result table as broom names it. */
#include <cblas.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "margins.h"
#include "separation.h"
#include "vcov.h"

void peil_glm_options_init(peil_glm_options *o) {
  memset(o, 0, sizeof *o);
  o->family = "gaussian";
  o->vcov = PEIL_VCOV_MODEL;
  o->maxit = 25;
  o->epsilon = 1e-8;
  o->conf_level = 0.95;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static int add_warning(peil_glm *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_warning(peil_glm *g, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = peil_strings_vaddf(&g->warnings, &g->nwarnings, fmt, ap);
  va_end(ap);
  return rc;
}

static int check_options(const peil_glm_options *o, const peil_family **fam) {
  if (!o->formula || !*o->formula) return peil_error(PEIL_EINVAL, "no formula given");
  int rc = peil_family_get(o->family ? o->family : "gaussian", o->link, fam);
  if (rc) return rc;
  if (o->maxit < 1) return peil_error(PEIL_EINVAL, "the iteration cap must be at least 1 (got %d)", o->maxit);
  if (!(o->epsilon > 0)) return peil_error(PEIL_EINVAL, "the convergence tolerance must be positive");
  if (!(o->conf_level > 0 && o->conf_level < 1))
    return peil_error(PEIL_EINVAL, "the confidence level must lie between 0 and 1 (got %g)", o->conf_level);
  if (o->weights && o->weight_type == PEIL_WEIGHTS_SAMPLING && o->vcov == PEIL_VCOV_MODEL && !o->cluster)
    return peil_error(PEIL_EINVAL, "model-based standard errors are not valid with sampling weights: "
                      "use --vcov hc0, hc1 or hc3, or --cluster");
  return PEIL_OK;
}

/* Null deviance as glm: the intercept-only fit (refitted by IRLS when there
 * is an offset), or mu = linkinv(offset) without an intercept. */
static int null_deviance(const irls_problem *pb, double *nulldev) {
  const model_frame *fr = pb->fr;
  const peil_family *fam = pb->fam;
  if (pb->d->has_intercept && fr->off) {
    design d0 = {0};
    design_col c0 = {0};
    char *name = "(Intercept)";
    d0.p = 1, d0.names = &name, d0.cols = &c0, d0.has_intercept = 1;
    irls_problem p0 = *pb;
    p0.d = &d0;
    p0.start = NULL;
    p0.force_qr = 0;
    irls_result r0;
    int rc = irls_fit(&p0, &r0);
    if (rc) return peil_error_prefix(rc, "fitting the intercept-only model for the null deviance: ");
    *nulldev = r0.dev;
    irls_result_free(&r0);
    return PEIL_OK;
  }
  double mu0 = 0;
  if (pb->d->has_intercept) {
    double sw = 0, swy = 0;
    for (int64_t i = 0; i < fr->n; i++) {
      double w = fr->w ? fr->w[i] : 1;
      sw += w, swy += w * fr->y[i];
    }
    mu0 = swy / sw;
  }
  double dev = 0;
  enum { B = 4096 };
  double mu[B], d[B], one[B];
  for (size_t i = 0; i < B; i++) one[i] = 1;
  /* With a constant mu and no weights a row's deviance depends on y alone:
   * for 0/1 outcomes the two values, from the same function, are looked
   * up (the same numbers, summed in the same order). */
  double d01[2] = {0, 0};
  int lookup = pb->d->has_intercept && !fr->w;
  if (lookup) {
    double y01[2] = {0, 1}, mu01[2] = {mu0, mu0};
    fam->dev_resids(y01, mu01, one, d01, 2);
  }
  for (int64_t s = 0; s < fr->n; s += B) {
    size_t m = (size_t)(fr->n - s < B ? fr->n - s : B);
    const double *y = fr->y + s;
    int binary = lookup;
    for (size_t i = 0; i < m && binary; i++) binary = y[i] == 0 || y[i] == 1;
    if (binary) {
      for (size_t i = 0; i < m; i++) dev += d01[y[i] != 0];
      continue;
    }
    if (pb->d->has_intercept) {
      for (size_t i = 0; i < m; i++) mu[i] = mu0;
    } else {
      for (size_t i = 0; i < m; i++) d[i] = fr->off ? fr->off[s + (int64_t)i] : 0;
      fam->linkinv(d, mu, m);
    }
    fam->dev_resids(fr->y + s, mu, fr->w ? fr->w + s : one, d, m);
    for (size_t i = 0; i < m; i++) dev += d[i];
  }
  *nulldev = dev;
  return PEIL_OK;
}

/* estimate, std_error, statistic, p_value, conf_low, conf_high. */
void glm_fill_row(peil_glm_row *r, double est, double se, int t_stat, double df, double level) {
  r->estimate = est;
  r->std_error = se;
  r->statistic = est / se;
  double q;
  if (t_stat) {
    r->p_value = 2 * gsl_cdf_tdist_Q(fabs(r->statistic), df);
    q = gsl_cdf_tdist_Qinv((1 - level) / 2, df);
  } else {
    r->p_value = 2 * gsl_cdf_ugaussian_Q(fabs(r->statistic));
    q = gsl_cdf_ugaussian_Qinv((1 - level) / 2);
  }
  r->conf_low = est - q * se;
  r->conf_high = est + q * se;
}

static int summarise(peil_glm *g, const peil_glm_options *o, const model_frame *fr,
                     const design *d, const irls_result *res, const fit_stats *st, int frequency) {
  const peil_family *fam = g->family;
  g->rank = res->fit.rank;
  g->nobs = frequency ? fr->sum_w : (double)fr->n;
  g->df_residual = g->nobs - g->rank;
  g->df_null = g->nobs - (d->has_intercept ? 1 : 0);
  g->deviance = res->dev;
  g->dispersion = fam->has_dispersion ? st->disp_sum / g->df_residual : 1;
  g->t_stat = fam->has_dispersion;
  if (o->weights && o->weight_type == PEIL_WEIGHTS_SAMPLING) {
    g->aic = g->loglik = NAN; /* not a likelihood */
  } else if (fam->family == PEIL_GAUSSIAN) {
    /* gaussian()$aic, for the expanded rows with frequency weights. */
    double nobs = g->nobs;
    g->aic = nobs * (log(2 * M_PI * g->deviance / nobs) + 1) + 2 + 2 * g->rank;
    g->loglik = g->rank + 1 - g->aic / 2;
  } else {
    g->aic = st->aic_sum + 2 * g->rank;
    g->loglik = g->rank - g->aic / 2;
  }
  g->ncoef = d->p;
  g->coef = calloc(d->p, sizeof *g->coef);
  if (!g->coef) return PEIL_ENOMEM;
  for (size_t j = 0; j < d->p; j++) {
    peil_glm_row *r = &g->coef[j];
    if (!(r->term = strdup(d->names[j]))) return PEIL_ENOMEM;
    r->n = fr->n;
    if (res->fit.aliased[j]) {
      r->aliased = 1;
      r->estimate = r->std_error = r->statistic = r->p_value = r->conf_low = r->conf_high = NAN;
      continue;
    }
    glm_fill_row(r, res->fit.beta[j], sqrt(g->vcov_matrix[j + j * d->p]), g->t_stat,
                 g->df_residual, o->conf_level);
  }
  return PEIL_OK;
}

static int separation_check(peil_glm *g, const peil_glm_options *o, const irls_problem *pb,
                            const irls_result *res, const fit_stats *st) {
  if (!separation_suspected(pb, res, st->n_extreme)) return PEIL_OK;
  size_t p = pb->d->p, nd = 0;
  int *div = calloc(p, sizeof *div);
  if (!div) return peil_error(PEIL_ENOMEM, "out of memory");
  char detail[512];
  int rc = separation_probe(pb, res, div, &nd, detail, sizeof detail);
  if (!rc && nd > 0) {
    char terms[1024] = "";
    size_t used = 0;
    for (size_t j = 0; j < p; j++)
      if (div[j]) {
        g->coef[j].separated = 1;
        if (used < sizeof terms - 80)
          used += (size_t)snprintf(terms + used, sizeof terms - used, "%s%s", used ? ", " : "",
                                   pb->d->names[j]);
      }
    const char *what = pb->fam->family == PEIL_BINOMIAL ? "the outcome is perfectly predicted"
                                                        : "the expected count goes to zero";
    char where[600] = "";
    if (detail[0]) snprintf(where, sizeof where, " (%s)", detail);
    if (!o->allow_separation) {
      rc = peil_error(PEIL_ENUMERIC, "separation: %s in part of the data%s; the estimates of %s "
                      "grow without bound. Merge or drop the levels or terms involved, or use "
                      "--allow-separation to report the diverging estimates", what, where, terms);
    } else if (add_warning(g, "separation: %s in part of the data%s; the estimates of %s grow "
                           "without bound and their standard errors mean nothing", what, where,
                           terms)) {
      rc = peil_error(PEIL_ENOMEM, "out of memory");
    }
  }
  free(div);
  return rc;
}

typedef struct {
  const irls_problem *pb;
  const double *beta;
  double *eta;
} eta_ctx;

static int eta_block(void *vctx, block_ws *ws, int thread, size_t g, int64_t start, size_t n) {
  eta_ctx *c = vctx;
  int rc = design_fill(c->pb->d, c->pb->fr, start, n, NULL, 0, ws);
  if (!rc) irls_block_eta(c->pb, ws, start, n, c->beta, c->eta + start);
  return rc;
}

/* The fitted linear predictor of every used row, with the rows' place in
 * the table (options fitted_rows, fitted_eta). */
static int fitted_values(const peil_glm_options *o, const irls_problem *pb, const irls_result *res,
                         model_frame *fr) {
  size_t n = (size_t)fr->n;
  double *eta = peil_alloc_large(n, sizeof *eta);
  if (!eta) return peil_error(PEIL_ENOMEM, "out of memory");
  eta_ctx c = {pb, res->fit.beta, eta};
  int rc = frame_for_blocks(fr, pb->d, pb->threads, pb->pool, eta_block, &c);
  if (rc) {
    free(eta);
    return rc;
  }
  *o->fitted_eta = eta;
  *o->fitted_rows = fr->rowid;
  fr->rowid = NULL;
  return PEIL_OK;
}

int peil_glm_fit(peil_store *s, const char *table, const peil_glm_options *o, peil_glm **out) {
  *out = NULL;
  const peil_family *fam = NULL;
  int rc = check_options(o, &fam);
  if (rc) return rc;
  model_blas_single_threaded();
  peil_formula *f = NULL;
  if ((rc = peil_formula_parse(o->formula, &f))) return rc;
  peil_glm *g = calloc(1, sizeof *g);
  model_frame fr;
  design d = {0};
  irls_result res = {0};
  fit_stats st = {0};
  int have_frame = 0, have_res = 0;
  if (!g) {
    peil_formula_free(f);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  g->family = fam;
  g->formula = dup_or_null(o->formula), g->where = dup_or_null(o->where);
  g->weights = dup_or_null(o->weights), g->cluster = dup_or_null(o->cluster);
  g->margins = dup_or_null(o->margins);
  g->weight_type = o->weight_type;
  g->vcov = o->vcov;
  frame_request req = {o, fam, fam->family == PEIL_BINOMIAL && !o->weights};
  double t0 = peil_seconds();
  rc = frame_build(s, table, f, &req, &fr);
  g->seconds_read = peil_seconds() - t0;
  have_frame = rc == PEIL_OK;
  if (!rc) rc = design_build(&fr, &d);
  int frequency = o->weights && o->weight_type == PEIL_WEIGHTS_FREQUENCY;
  irls_problem pb = {0};
  pb.fr = &fr, pb.d = &d, pb.fam = fam, pb.threads = o->threads, pb.maxit = o->maxit;
  pb.epsilon = o->epsilon;
  pb.alias_tol = o->alias_tol > 0 ? o->alias_tol : fmin(1e-7, 1e-8 / 1000);
  pb.constant_weights = fam->family == PEIL_GAUSSIAN && fam->link == PEIL_IDENTITY;
  /* Least squares is one solve: take it by QR, the stable method (NIST
   * StRD: Cholesky on the cross products loses up to half the digits). The
   * iterative fits solve by Cholesky while the design is well conditioned. */
  pb.force_qr = pb.constant_weights;
  ws_pool pool = {0};
  if (!rc && !(rc = ws_pool_init(&pool, &fr, &d, o->threads))) pb.pool = &pool;
  if (!rc) {
    g->n_read = fr.n_read, g->n_filtered = fr.n_filtered, g->n_missing = fr.n_missing;
    g->n_zero_weight = fr.n_zero_weight, g->n_used = fr.n;
    g->nmissing_by = fr.nmissing_by;
    g->missing_by = fr.missing_by, g->missing_count = fr.missing_count;
    fr.missing_by = NULL, fr.missing_count = NULL, fr.nmissing_by = 0;
    t0 = peil_seconds();
    rc = irls_fit(&pb, &res);
    have_res = rc == PEIL_OK;
    g->seconds_fit = peil_seconds() - t0;
  }
  if (!rc) {
    g->iterations = res.iter, g->converged = res.converged, g->last_change = res.last_change;
    g->extra_steps = res.refined;
    g->solver = res.used_qr ? "qr" : "cholesky";
  }
  vcov_request rq = {&pb, &res, o->vcov, frequency, o->cluster != NULL};
  t0 = peil_seconds();
  if (!rc) rc = vcov_pass(&rq, &st);
  if (!rc) {
    g->vcov_matrix = malloc(d.p * d.p * sizeof *g->vcov_matrix);
    if (!g->vcov_matrix) rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  double n_eff = frequency ? fr.sum_w : (double)fr.n;
  if (!rc) {
    double k = res.fit.rank;
    double disp = fam->has_dispersion ? st.disp_sum / (n_eff - k) : 1;
    rc = vcov_assemble(&rq, &st, n_eff, disp, g->vcov_matrix);
    g->nclusters = o->cluster ? st.nclusters : 0;
    g->n_hat_one = st.n_hat_one;
  }
  if (!rc && (rc = summarise(g, o, &fr, &d, &res, &st, frequency)))
    rc = peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc) rc = null_deviance(&pb, &g->null_deviance);
  if (!rc) rc = separation_check(g, o, &pb, &res, &st);
  if (!rc && !res.converged) {
    if (!o->allow_nonconvergence)
      rc = peil_error(PEIL_ENUMERIC, "the fit did not converge in %d iteration%s (last relative "
                      "deviance change %.3g, tolerance %g): raise --maxit, or use "
                      "--allow-nonconvergence to report the last iterate", o->maxit,
                      o->maxit == 1 ? "" : "s", res.last_change, o->epsilon);
    else if (add_warning(g, "the fit did not converge in %d iterations (last relative deviance "
                         "change %.3g, tolerance %g)", o->maxit, res.last_change, o->epsilon))
      rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  if (!rc && res.fit.rank < (int)d.p) {
    char terms[1024] = "";
    size_t used = 0;
    for (size_t j = 0; j < d.p; j++)
      if (res.fit.aliased[j] && used < sizeof terms - 80)
        used += (size_t)snprintf(terms + used, sizeof terms - used, "%s%s", used ? ", " : "", d.names[j]);
    if (add_warning(g, "%zu coefficient%s not defined because of singularities (aliased with "
                    "earlier terms): %s", d.p - (size_t)res.fit.rank, d.p - (size_t)res.fit.rank > 1 ? "s" : "",
                    terms))
      rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  if (!rc && st.n_boundary > 0 &&
      add_warning(g, "fitted %s numerically %s occurred in %lld rows",
                  fam->family == PEIL_BINOMIAL ? "probabilities" : "rates",
                  fam->family == PEIL_BINOMIAL ? "0 or 1" : "0", (long long)st.n_boundary))
    rc = peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc && st.n_hat_one > 0 &&
      add_warning(g, "HC3 standard errors are numerically unstable: %lld row%s a hat value "
                  "within sqrt(DBL_EPSILON) of 1", (long long)st.n_hat_one,
                  st.n_hat_one == 1 ? " has" : "s have"))
    rc = peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc && res.boundary && add_warning(g, "the algorithm stopped at a boundary value (step halving)"))
    rc = peil_error(PEIL_ENOMEM, "out of memory");
  g->seconds_vcov = peil_seconds() - t0;
  t0 = peil_seconds();
  if (!rc && (o->margins || o->ame)) rc = margins_compute(g, o, &pb, &res, g->vcov_matrix);
  g->seconds_effects = peil_seconds() - t0;
  if (!rc && o->fitted_rows && o->fitted_eta) rc = fitted_values(o, &pb, &res, &fr);
  fit_stats_free(&st);
  ws_pool_free(&pool);
  if (have_res) irls_result_free(&res);
  design_free(&d);
  if (have_frame) frame_free(&fr);
  peil_formula_free(f);
  if (rc) {
    peil_glm_free(g);
    return rc;
  }
  *out = g;
  return PEIL_OK;
}

static void free_rows(peil_glm_row *r, size_t n) {
  for (size_t i = 0; r && i < n; i++) free(r[i].term);
  free(r);
}

void peil_glm_free(peil_glm *g) {
  if (!g) return;
  free(g->formula), free(g->where), free(g->weights), free(g->cluster), free(g->margins);
  for (size_t i = 0; i < g->nmissing_by; i++) free(g->missing_by[i]);
  free(g->missing_by), free(g->missing_count);
  free_rows(g->coef, g->ncoef);
  free(g->vcov_matrix);
  free_rows(g->margin, g->nmargins);
  free_rows(g->diff, g->ndiffs);
  free(g->margins_ref);
  free_rows(g->ame, g->n_ame);
  for (size_t i = 0; i < g->nwarnings; i++) free(g->warnings[i]);
  free(g->warnings);
  free(g);
}

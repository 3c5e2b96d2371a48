/* Marginal standardisation and average marginal effects, with delta-method
 * standard errors from the fit's covariance.
 *
 * Adjusted mean of level g of a categorical column: set the column to g in
 * every used row, predict the mean, average (weighted by the prior
 * weights). Its gradient in beta is the average of dmu/deta * x_g. The
 * difference of two levels and the effect of a categorical column are
 * differences of such means. The effect of a numeric column is the average
 * derivative of the prediction, by central differences with a step of 1e-5
 * relative to the value and the column's scale (exact for the linear and
 * quadratic terms that make up most models; within 1e-9 otherwise). */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "margins.h"

#define DERIV_STEP 1e-5

typedef enum { SCEN_LEVEL, SCEN_DERIV } scen_kind;

typedef struct {
  scen_kind kind;
  int raw;          /* frame column */
  double value;     /* SCEN_LEVEL: the raw value of the level */
  double scale;     /* SCEN_DERIV: mean |x| of the column */
} scenario;

typedef struct {
  const irls_problem *pb;
  const double *beta;
  size_t nscen, p;
  const scenario *scen;
  double *part;     /* per group: nscen x (p + 1): gradient, then estimate */
  double **buf;     /* per thread: two override buffers of a block */
} eff_ctx;

static void fill_const(peil_type t, double v, void *dst, size_t n) {
  switch (t) {
  case PEIL_FLOAT64:
    for (size_t i = 0; i < n; i++) ((double *)dst)[i] = v;
    break;
  case PEIL_BOOL:
    for (size_t i = 0; i < n; i++) ((int8_t *)dst)[i] = (int8_t)v;
    break;
  default: /* enum codes and dates are int32 */
    for (size_t i = 0; i < n; i++) ((int32_t *)dst)[i] = (int32_t)v;
    break;
  }
}

/* mu and dmu/deta of the block built with one override. */
static int predict(const eff_ctx *c, block_ws *ws, int64_t start, size_t n, const frame_override *ov) {
  const irls_problem *pb = c->pb;
  int rc = design_fill(pb->d, pb->fr, start, n, ov, 1, ws);
  if (rc) return rc;
  irls_block_eta(pb, ws, start, n, c->beta, ws->eta);
  pb->fam->linkinv(ws->eta, ws->mu, n);
  pb->fam->mu_eta(ws->eta, ws->dmu, n);
  return PEIL_OK;
}

static int eff_block(void *vctx, block_ws *ws, int thread, size_t g, int64_t start, size_t n) {
  eff_ctx *c = vctx;
  const model_frame *fr = c->pb->fr;
  const size_t p = c->p;
  const double *f = fr->w ? fr->w + start : ws->one;
  double *bufa = c->buf[2 * thread], *bufb = c->buf[2 * thread + 1];
  double *v = ws->wt, *mu_a = ws->z, *h = ws->var;
  int rc = PEIL_OK;
  for (size_t s = 0; s < c->nscen && !rc; s++) {
    const scenario *sc = &c->scen[s];
    double *part = c->part + (g * c->nscen + s) * (p + 1);
    frame_override ov = {sc->raw, bufa};
    if (sc->kind == SCEN_LEVEL) {
      fill_const(fr->info[sc->raw].type, sc->value, bufa, n);
      if ((rc = predict(c, ws, start, n, &ov))) break;
      double est = 0;
      for (size_t i = 0; i < n; i++) est += f[i] * ws->mu[i], v[i] = f[i] * ws->dmu[i];
      part[p] += est;
      cblas_dgemv(CblasColMajor, CblasTrans, (int)n, (int)p, 1.0, ws->X, (int)n, v, 1, 1.0, part, 1);
      continue;
    }
    /* The column's values as float64 (no override is active here). */
    frame_block_view(fr, start, n, ws->cols, ws->conv, ws->cap);
    const double *x = ws->cols[sc->raw];
    for (size_t i = 0; i < n; i++) {
      h[i] = DERIV_STEP * (fabs(x[i]) + sc->scale);
      bufa[i] = x[i] + h[i];
      bufb[i] = x[i] - h[i];
    }
    if ((rc = predict(c, ws, start, n, &ov))) break;
    for (size_t i = 0; i < n; i++) mu_a[i] = ws->mu[i], v[i] = f[i] * ws->dmu[i] / (2 * h[i]);
    cblas_dgemv(CblasColMajor, CblasTrans, (int)n, (int)p, 1.0, ws->X, (int)n, v, 1, 1.0, part, 1);
    ov.data = bufb;
    if ((rc = predict(c, ws, start, n, &ov))) break;
    double est = 0;
    for (size_t i = 0; i < n; i++) {
      est += f[i] * (mu_a[i] - ws->mu[i]) / (2 * h[i]);
      v[i] = f[i] * ws->dmu[i] / (2 * h[i]);
    }
    part[p] += est;
    cblas_dgemv(CblasColMajor, CblasTrans, (int)n, (int)p, -1.0, ws->X, (int)n, v, 1, 1.0, part, 1);
  }
  return rc;
}

/* Averages and gradients of every scenario: out is nscen x (p + 1). */
static int run_scenarios(const irls_problem *pb, const irls_result *res, const scenario *scen,
                         size_t nscen, double *out) {
  const model_frame *fr = pb->fr;
  size_t ng = frame_ngroups(fr), p = pb->d->p;
  int nt = model_threads(pb->threads);
  eff_ctx c = {pb, res->fit.beta, nscen, p, scen, NULL, NULL};
  c.part = calloc(ng * nscen * (p + 1), sizeof *c.part);
  c.buf = calloc((size_t)(2 * nt), sizeof *c.buf);
  int rc = !c.part || !c.buf ? PEIL_ENOMEM : PEIL_OK;
  for (int t = 0; !rc && t < 2 * nt; t++)
    if (!(c.buf[t] = malloc(MODEL_BLOCK_ROWS * sizeof(double)))) rc = PEIL_ENOMEM;
  if (rc) rc = peil_error(rc, "out of memory");
  if (!rc) rc = frame_for_blocks(fr, pb->d, pb->threads, pb->pool, eff_block, &c);
  if (!rc) {
    memset(out, 0, nscen * (p + 1) * sizeof *out);
    for (size_t g = 0; g < ng; g++)
      for (size_t k = 0; k < nscen * (p + 1); k++) out[k] += c.part[g * nscen * (p + 1) + k];
    for (size_t k = 0; k < nscen * (p + 1); k++) out[k] /= fr->sum_w;
  }
  for (int t = 0; c.buf && t < 2 * nt; t++) free(c.buf[t]);
  free(c.buf), free(c.part);
  return rc;
}

/* sqrt(g' V g) over the estimable coefficients. */
static double delta_se(const double *grad, const double *V, const int *aliased, size_t p) {
  double s = 0;
  for (size_t a = 0; a < p; a++) {
    if (aliased[a]) continue;
    for (size_t b = 0; b < p; b++)
      if (!aliased[b]) s += grad[a] * V[a + b * p] * grad[b];
  }
  return sqrt(s);
}

static int set_row(peil_glm_row *r, const char *term, double est, const double *grad,
                   const double *V, const int *aliased, size_t p, int64_t n, double level) {
  if (!(r->term = strdup(term))) return PEIL_ENOMEM;
  glm_fill_row(r, est, delta_se(grad, V, aliased, p), 0, 0, level);
  r->n = n;
  return PEIL_OK;
}

/* The first categorical variable of the formula coded from frame column raw. */
static const model_var *factor_of(const model_frame *fr, int raw) {
  for (size_t v = 0; v < fr->nvars; v++)
    if (fr->vars[v].kind == VAR_FACTOR && fr->vars[v].raw == raw) return &fr->vars[v];
  return NULL;
}

/* Rows i .. i + 255 (or fewer at the end) of frame column j as float64;
 * returns how many. */
static size_t column_chunk(const model_frame *fr, int j, int64_t i, double x[256]) {
  size_t m = (size_t)(fr->n - i < 256 ? fr->n - i : 256);
  peil_type t = fr->stored[j];
  peil_column_to_f64(t, (const char *)fr->data[j] + (size_t)i * peil_type_size(t), m, x);
  return m;
}

static int64_t level_rows(const model_frame *fr, const model_var *mv, size_t k) {
  int64_t n = 0;
  double want = mv->level_value[k], x[256];
  for (int64_t i = 0; i < fr->n; i += 256) {
    size_t m = column_chunk(fr, mv->raw, i, x);
    for (size_t r = 0; r < m; r++) n += x[r] == want;
  }
  return n;
}

static int do_margins(peil_glm *g, const peil_glm_options *o, const irls_problem *pb,
                      const irls_result *res, const double *V) {
  const model_frame *fr = pb->fr;
  int raw = frame_find(fr, o->margins);
  const model_var *mv = raw >= 0 ? factor_of(fr, raw) : NULL;
  if (!mv)
    return peil_error(PEIL_EINVAL, "--margins %s: no categorical variable '%s' on the right-hand side "
                      "of formula '%s'", o->margins, o->margins, o->formula);
  size_t L = mv->nlevels, p = pb->d->p;
  scenario *scen = calloc(L, sizeof *scen);
  double *out = malloc(L * (p + 1) * sizeof *out), *grad = malloc(p * sizeof *grad);
  int rc = !scen || !out || !grad ? peil_error(PEIL_ENOMEM, "out of memory") : PEIL_OK;
  for (size_t k = 0; !rc && k < L; k++) scen[k] = (scenario){SCEN_LEVEL, raw, mv->level_value[k], 0};
  if (!rc) rc = run_scenarios(pb, res, scen, L, out);
  if (!rc) {
    g->margin = calloc(L, sizeof *g->margin);
    g->diff = calloc(L > 1 ? L - 1 : 1, sizeof *g->diff);
    g->margins_ref = strdup(mv->labels[0]);
    if (!g->margin || !g->diff || !g->margins_ref) rc = PEIL_ENOMEM;
  }
  for (size_t k = 0; !rc && k < L; k++) {
    g->nmargins++;
    rc = set_row(&g->margin[k], mv->labels[k], out[k * (p + 1) + p], out + k * (p + 1), V,
                 res->fit.aliased, p, level_rows(fr, mv, k), o->conf_level);
  }
  for (size_t k = 1; !rc && k < L; k++) {
    for (size_t j = 0; j < p; j++) grad[j] = out[k * (p + 1) + j] - out[j];
    g->ndiffs++;
    rc = set_row(&g->diff[k - 1], mv->labels[k], out[k * (p + 1) + p] - out[p], grad, V,
                 res->fit.aliased, p, g->margin[k].n + g->margin[0].n, o->conf_level);
  }
  free(scen), free(out), free(grad);
  return rc == PEIL_ENOMEM ? peil_error(rc, "out of memory") : rc;
}

static int do_ame(peil_glm *g, const peil_glm_options *o, const irls_problem *pb,
                  const irls_result *res, const double *V) {
  const model_frame *fr = pb->fr;
  size_t p = pb->d->p, nscen = 0, cap = 16;
  scenario *scen = malloc(cap * sizeof *scen);
  int rc = scen ? PEIL_OK : PEIL_ENOMEM;
  /* One derivative per numeric column; one mean per level of a categorical. */
  for (size_t j = 0; !rc && j < fr->ncols; j++) {
    const model_var *mv = factor_of(fr, (int)j);
    peil_type t = fr->info[j].type;
    size_t need = mv ? mv->nlevels : 1;
    if (!mv && t != PEIL_FLOAT64) continue; /* dates, enums only inside expressions */
    if (nscen + need > cap) {
      while (nscen + need > cap) cap *= 2;
      scenario *s2 = realloc(scen, cap * sizeof *scen);
      if (!s2) {
        rc = PEIL_ENOMEM;
        break;
      }
      scen = s2;
    }
    if (mv) {
      for (size_t k = 0; k < mv->nlevels; k++) scen[nscen++] = (scenario){SCEN_LEVEL, (int)j, mv->level_value[k], 0};
    } else {
      double s = 0, x[256];
      for (int64_t i = 0; i < fr->n; i += 256) {
        size_t m = column_chunk(fr, (int)j, i, x);
        for (size_t r = 0; r < m; r++) s += fabs(x[r]);
      }
      scen[nscen++] = (scenario){SCEN_DERIV, (int)j, 0, s / (double)fr->n};
    }
  }
  double *out = NULL, *grad = malloc(p * sizeof *grad);
  if (!rc && !grad) rc = PEIL_ENOMEM;
  if (!rc && nscen) {
    out = malloc(nscen * (p + 1) * sizeof *out);
    rc = out ? run_scenarios(pb, res, scen, nscen, out) : PEIL_ENOMEM;
  }
  size_t nrows = 0;
  for (size_t s = 0; s < nscen; s++)
    nrows += scen[s].kind == SCEN_DERIV || scen[s].value != factor_of(fr, scen[s].raw)->level_value[0];
  if (!rc && nrows && !(g->ame = calloc(nrows, sizeof *g->ame))) rc = PEIL_ENOMEM;
  for (size_t s = 0; !rc && s < nscen;) {
    const char *col = fr->info[scen[s].raw].name;
    if (scen[s].kind == SCEN_DERIV) {
      rc = set_row(&g->ame[g->n_ame++], col, out[s * (p + 1) + p], out + s * (p + 1), V,
                   res->fit.aliased, p, fr->n, o->conf_level);
      s++;
      continue;
    }
    const model_var *mv = factor_of(fr, scen[s].raw);
    const double *ref = out + s * (p + 1);
    for (size_t k = 1; !rc && k < mv->nlevels; k++) {
      const double *lev = out + (s + k) * (p + 1);
      for (size_t j = 0; j < p; j++) grad[j] = lev[j] - ref[j];
      char name[512];
      snprintf(name, sizeof name, "%s%s", col, mv->labels[k]);
      rc = set_row(&g->ame[g->n_ame++], name, lev[p] - ref[p], grad, V, res->fit.aliased, p, fr->n,
                   o->conf_level);
    }
    s += mv->nlevels;
  }
  free(scen), free(out), free(grad);
  return rc == PEIL_ENOMEM ? peil_error(rc, "out of memory") : rc;
}

int margins_compute(peil_glm *g, const peil_glm_options *o, const irls_problem *pb,
                    const irls_result *res, const double *V) {
  int rc = PEIL_OK;
  if (o->margins) rc = do_margins(g, o, pb, res, V);
  if (!rc && o->ame) rc = do_ame(g, o, pb, res, V);
  return rc;
}

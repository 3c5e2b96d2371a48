/* Covariances after the fit, as summary.glm and the sandwich package.
 *
 * With C = (X'WX)^-1, r_i the working residual and w_i the working weight,
 * all at the final coefficients (summary.glm uses the weights of the step
 * before the last; at convergence the difference vanishes):
 *   model  dispersion * C, dispersion = sum(w r^2) / (n - k) for the
 *          Gaussian family and 1 otherwise;
 *   HC0    C (sum s_i^2 x_i x_i') C with s_i = w_i r_i (sandwich's estfun);
 *   HC1    HC0 * n / (n - k);
 *   HC3    s_i / (1 - h_i), h_i = w_i x_i' C x_i (hatvalues of the glm);
 *   CR1    C (sum_g u_g u_g') C * G / (G - 1) * (n - 1) / (n - k), where
 *          u_g sums s_i x_i over cluster g (vcovCL, type HC1, cadjust).
 * Frequency weights count a row f times: the sums run over the expanded
 * rows, so s_i^2 becomes f_i (s_i / f_i)^2 and n is the sum of the f_i. */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cells.h"
#include "vcov.h"

/* sqrt(DBL_EPSILON), the bound of sandwich::meatHC's "hat values close to 1". */
#define HAT_ONE_EPS 1.4901161193847656e-08

typedef struct {
  const vcov_request *rq;
  size_t p;
  double *meat;      /* per group p x p */
  double *disp, *aic;
  int64_t *nbound, *nextreme, *nhat;
  /* Clusters: per group the clusters it touches in order of appearance and
   * their score sums; per thread a map from cluster to local index. */
  int32_t **local_ids;
  double **local_u;
  size_t *nlocal, *caplocal;
  int32_t **map;     /* per thread, nclusters entries: local index ... */
  int32_t **map_group; /* ... valid when this is the current group */
  /* The meat by cells (cells.h), permuted, when no row needs all of x_i. */
  cells_ws cw;
} stats_ctx;

static int add_cluster_scores(stats_ctx *c, int thread, size_t g, const int32_t *cl,
                              const double *s, const double *X, size_t n) {
  size_t p = c->p;
  int32_t *map = c->map[thread], *mg = c->map_group[thread];
  for (size_t i = 0; i < n; i++) {
    int32_t loc = mg[cl[i]] == (int32_t)g ? map[cl[i]] : -1;
    if (loc < 0) {
      if (c->nlocal[g] == c->caplocal[g]) {
        size_t cap = c->caplocal[g] ? 2 * c->caplocal[g] : 64;
        int32_t *ids = realloc(c->local_ids[g], cap * sizeof *ids);
        if (!ids) return peil_error(PEIL_ENOMEM, "out of memory");
        c->local_ids[g] = ids;
        double *u = realloc(c->local_u[g], cap * p * sizeof *u);
        if (!u) return peil_error(PEIL_ENOMEM, "out of memory");
        c->local_u[g] = u;
        c->caplocal[g] = cap;
      }
      loc = (int32_t)c->nlocal[g]++;
      map[cl[i]] = loc;
      mg[cl[i]] = (int32_t)g;
      c->local_ids[g][loc] = cl[i];
      memset(c->local_u[g] + (size_t)loc * p, 0, p * sizeof(double));
    }
    double *u = c->local_u[g] + (size_t)loc * p;
    for (size_t j = 0; j < p; j++) u[j] += s[i] * X[i + j * n];
  }
  return PEIL_OK;
}

static int stats_block(void *vctx, block_ws *ws, int thread, size_t g, int64_t start, size_t n) {
  stats_ctx *c = vctx;
  const vcov_request *rq = c->rq;
  const irls_problem *pb = rq->pb;
  const irls_result *res = rq->res;
  const model_frame *fr = pb->fr;
  const peil_family *fam = pb->fam;
  const size_t p = c->p;
  const cell_plan *cp = c->cw.cp;
  int32_t *cell = cp ? c->cw.cell[thread] : NULL;
  size_t bk = (size_t)(start / MODEL_BLOCK_ROWS), b0, b1;
  frame_group_blocks(fr, g, &b0, &b1);
  int rc = cp ? cells_fill(cp, pb->d, fr, start, n, ws, cell)
              : design_fill(pb->d, fr, start, n, NULL, 0, ws);
  if (rc) return rc;
  const double *y = fr->y + start, *f = fr->w ? fr->w + start : ws->one;
  /* Working weights (without the prior weight) and residuals at the final
   * coefficients. */
  double *wk = ws->wt;
  if (cp)
    cells_eta(cp, ws->X, n, cell, fr->off ? fr->off + start : NULL, c->cw.beta_dense, c->cw.cell_eff,
              ws->eta);
  else irls_block_eta(pb, ws, start, n, res->fit.beta, ws->eta);
  /* mu, mu.eta and the variance as the family's functions give them (the
   * fused terms: the same bits, one exp less for the logit); the unit
   * deviances they also give are not used. */
  peil_family_irls_terms(fam, ws->eta, y, f, ws->mu, ws->dmu, ws->var, ws->tmp, n);
  peil_family_aic_terms(fam, y, ws->mu, f, ws->tmp, n);
  for (size_t i = 0; i < n; i++) wk[i] = ws->dmu[i] * ws->dmu[i] / ws->var[i];
  double *s = ws->z;
  double disp = 0, aic = 0;
  int64_t nb = 0, nx = 0;
  const double eps = 10 * DBL_EPSILON;
  for (size_t i = 0; i < n; i++) {
    double r = (y[i] - ws->mu[i]) / ws->dmu[i];
    disp += f[i] * wk[i] * r * r;
    aic += ws->tmp[i];
    if (fam->family == PEIL_BINOMIAL && (ws->mu[i] < eps || ws->mu[i] > 1 - eps)) nb++;
    if (fam->family == PEIL_POISSON && ws->mu[i] < eps) nb++;
    if (fam->family != PEIL_GAUSSIAN && (ws->mu[i] < 1e-6 || (fam->family == PEIL_BINOMIAL && ws->mu[i] > 1 - 1e-6))) nx++;
    s[i] = f[i] * wk[i] * r; /* sandwich's estfun / x_i */
  }
  c->disp[g] += disp;
  c->aic[g] += aic;
  c->nbound[g] += nb;
  c->nextreme[g] += nx;
  if (rq->clustered) return add_cluster_scores(c, thread, g, fr->cluster + start, s, ws->X, n);
  /* Row scale m_i with meat = sum m_i^2 x_i x_i'. */
  double *m = ws->tmp;
  for (size_t i = 0; i < n; i++) m[i] = rq->frequency ? s[i] / sqrt(f[i]) : s[i];
  if (rq->type == PEIL_VCOV_HC3) {
    /* h_i = (prior x working weight) x_i' C x_i; frequency weights: one copy's. */
    for (size_t i = 0; i < n; i++) {
      double h = 0;
      for (size_t a = 0; a < p; a++) {
        double xa = ws->X[i + a * n];
        if (xa == 0) continue;
        const double *Ca = res->fit.inv + a * p;
        double t = 0;
        for (size_t b = 0; b < p; b++) t += Ca[b] * ws->X[i + b * n];
        h += xa * t;
      }
      h *= rq->frequency ? wk[i] : f[i] * wk[i];
      /* sandwich's meatHC warns above this bound: 1 / (1 - h) is then noise */
      if (h > 1 - HAT_ONE_EPS) c->nhat[g]++;
      m[i] /= 1 - h;
    }
  }
  if (rq->type == PEIL_VCOV_MODEL) return PEIL_OK; /* no meat needed */
  size_t dp = cp ? cp->d : p;
  for (size_t j = 0; j < dp; j++) {
    double *x = ws->X + j * n;
    for (size_t i = 0; i < n; i++) x[i] *= m[i];
  }
  if (dp > 0)
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)dp, (int)n, 1.0, ws->X, (int)n, 1.0,
                c->meat + g * p * p, (int)p);
  if (cp) {
    double *acc = c->cw.acc[thread];
    if (bk == b0) memset(acc, 0, cp->ncells * cp->width * sizeof *acc);
    cells_accumulate(cp, acc, cell, ws->X, m, NULL, n);
    if (bk + 1 == b1) cells_flush(cp, acc, c->meat + g * p * p, NULL);
  }
  return PEIL_OK;
}

int vcov_pass(const vcov_request *rq, fit_stats *st) {
  const irls_problem *pb = rq->pb;
  const model_frame *fr = pb->fr;
  size_t ng = frame_ngroups(fr), p = pb->d->p;
  int nt = model_threads(pb->threads);
  memset(st, 0, sizeof *st);
  stats_ctx c = {0};
  c.rq = rq, c.p = p;
  c.meat = calloc(ng * p * p, sizeof *c.meat);
  c.disp = calloc(ng, sizeof *c.disp);
  c.aic = calloc(ng, sizeof *c.aic);
  c.nbound = calloc(ng, sizeof *c.nbound);
  c.nextreme = calloc(ng, sizeof *c.nextreme);
  c.nhat = calloc(ng, sizeof *c.nhat);
  st->meat = calloc(p * p, sizeof *st->meat);
  int rc = !c.meat || !c.disp || !c.aic || !c.nbound || !c.nextreme || !c.nhat || !st->meat
               ? peil_error(PEIL_ENOMEM, "out of memory") : PEIL_OK;
  if (!rc && rq->clustered) {
    c.local_ids = calloc(ng, sizeof *c.local_ids);
    c.local_u = calloc(ng, sizeof *c.local_u);
    c.nlocal = calloc(ng, sizeof *c.nlocal);
    c.caplocal = calloc(ng, sizeof *c.caplocal);
    c.map = calloc((size_t)nt, sizeof *c.map);
    c.map_group = calloc((size_t)nt, sizeof *c.map_group);
    if (!c.local_ids || !c.local_u || !c.nlocal || !c.caplocal || !c.map || !c.map_group)
      rc = peil_error(PEIL_ENOMEM, "out of memory");
    for (int t = 0; !rc && t < nt; t++) {
      c.map[t] = malloc((size_t)fr->nclusters * sizeof *c.map[t]);
      c.map_group[t] = malloc((size_t)fr->nclusters * sizeof *c.map_group[t]);
      if (!c.map[t] || !c.map_group[t]) rc = peil_error(PEIL_ENOMEM, "out of memory");
      else memset(c.map_group[t], 0xFF, (size_t)fr->nclusters * sizeof *c.map_group[t]);
    }
  }
  /* Cells serve the meat unless clusters or hat values need every x_i. */
  cell_plan *cp = NULL;
  if (!rc && !rq->clustered && rq->type != PEIL_VCOV_HC3 && !pb->force_qr)
    rc = cells_plan_build(fr, pb->d, &cp);
  if (cp) rc = cells_ws_alloc(&c.cw, cp, nt); /* owns cp from here */
  if (!rc && cp) cells_coef(cp, rq->res->fit.beta, c.cw.beta_dense, c.cw.cell_eff);
  if (!rc) rc = frame_for_blocks(fr, pb->d, pb->threads, pb->pool, stats_block, &c);
  if (!rc) {
    for (size_t g = 0; g < ng; g++) {
      st->disp_sum += c.disp[g];
      st->aic_sum += c.aic[g];
      st->n_boundary += c.nbound[g];
      st->n_extreme += c.nextreme[g];
      st->n_hat_one += c.nhat[g];
    }
    if (rq->clustered) {
      /* u_g summed over groups in group order, then sum_g u_g u_g'. */
      double *U = calloc((size_t)fr->nclusters * p, sizeof *U);
      if (!U) rc = peil_error(PEIL_ENOMEM, "out of memory");
      for (size_t g = 0; !rc && g < ng; g++)
        for (size_t l = 0; l < c.nlocal[g]; l++) {
          double *dst = U + (size_t)c.local_ids[g][l] * p;
          const double *src = c.local_u[g] + l * p;
          for (size_t j = 0; j < p; j++) dst[j] += src[j];
        }
      if (!rc)
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, (int)p, (int)fr->nclusters, 1.0, U,
                    (int)p, 0.0, st->meat, (int)p);
      free(U);
      st->nclusters = fr->nclusters;
    } else {
      for (size_t g = 0; g < ng; g++)
        for (size_t k = 0; k < p * p; k++) st->meat[k] += c.meat[g * p * p + k];
      if (cp) rc = cells_unpermute(cp, st->meat, NULL);
    }
    /* Fill the lower triangle. */
    for (size_t b = 0; b < p; b++)
      for (size_t a = b + 1; a < p; a++) st->meat[a + b * p] = st->meat[b + a * p];
  }
  for (size_t g = 0; c.local_ids && g < ng; g++) free(c.local_ids[g]), free(c.local_u[g]);
  for (int t = 0; c.map && t < nt; t++) free(c.map[t]), free(c.map_group[t]);
  free(c.local_ids), free(c.local_u), free(c.nlocal), free(c.caplocal), free(c.map), free(c.map_group);
  free(c.meat), free(c.disp), free(c.aic), free(c.nbound), free(c.nextreme), free(c.nhat);
  cells_ws_free(&c.cw);
  if (rc) fit_stats_free(st);
  return rc;
}

void fit_stats_free(fit_stats *st) {
  free(st->meat);
  st->meat = NULL;
}

int vcov_assemble(const vcov_request *rq, const fit_stats *st, double n, double dispersion,
                  double *V) {
  const irls_result *res = rq->res;
  const size_t p = res->fit.p;
  const double *C = res->fit.inv;
  const double k = res->fit.rank;
  if (rq->type == PEIL_VCOV_MODEL && !rq->clustered) {
    for (size_t i = 0; i < p * p; i++) V[i] = dispersion * C[i];
  } else {
    double *T = malloc(p * p * sizeof *T);
    if (!T) return peil_error(PEIL_ENOMEM, "out of memory");
    cblas_dsymm(CblasColMajor, CblasLeft, CblasUpper, (int)p, (int)p, 1.0, C, (int)p, st->meat,
                (int)p, 0.0, T, (int)p);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)p, (int)p, (int)p, 1.0, T, (int)p,
                C, (int)p, 0.0, V, (int)p);
    free(T);
    double adj = 1;
    if (rq->clustered) {
      double G = (double)st->nclusters;
      adj = G / (G - 1) * (n - 1) / (n - k);
    } else if (rq->type == PEIL_VCOV_HC1) {
      adj = n / (n - k);
    }
    for (size_t i = 0; i < p * p; i++) V[i] *= adj;
    /* Symmetric to the last bit. */
    for (size_t b = 0; b < p; b++)
      for (size_t a = b + 1; a < p; a++) V[b + a * p] = V[a + b * p] = (V[a + b * p] + V[b + a * p]) / 2;
  }
  for (size_t j = 0; j < p; j++)
    if (res->fit.aliased[j])
      for (size_t i = 0; i < p; i++) V[i + j * p] = V[j + i * p] = NAN;
  return PEIL_OK;
}

/* IRLS as R's glm.fit does it, step for step: eta from the family's
 * starting values, working weights and responses from the current eta, a
 * weighted least squares solve, eta and the deviance at the new
 * coefficients, step halving when the deviance is not finite or eta/mu
 * leave the family's domain, and convergence when
 * |dev - dev_old| / (|dev| + 0.1) < epsilon.
 *
 * One pass over the data does two things: it computes eta, mu and the
 * deviance at the coefficients just solved, and from them the cross
 * products (or the QR factor) of the next solve. An iteration therefore
 * costs one pass. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cells.h"
#include "irls.h"

/* Steps after R's convergence test (see the end of irls_fit). */
#define REFINE_STEPS 10
#define REFINE_CHANGE 1e-13

typedef struct {
  const irls_problem *pb;
  const double *beta;  /* NULL: eta from the starting values */
  int qr;              /* accumulate a QR factor instead of cross products */
  size_t p, q;
  double *A, *b, *R;   /* per group */
  double *dev;
  int *invalid;
  qr_ws *qws;          /* per thread */
  /* Cross products by cells (cells.h) for the Cholesky passes; A and b
   * are then in the plan's permuted order. */
  cells_ws cw;
} pass_ctx;

/* eta for a block: X beta + offset, or the link of the starting values. */
void irls_block_eta(const irls_problem *pb, const block_ws *ws, int64_t start, size_t n,
                    const double *beta, double *eta) {
  const model_frame *fr = pb->fr;
  if (!beta) {
    const double *wt = fr->w ? fr->w + start : ws->one;
    pb->fam->mustart(fr->y + start, wt, ws->tmp, n);
    pb->fam->linkfun(ws->tmp, eta, n);
    return;
  }
  if (fr->off) memcpy(eta, fr->off + start, n * sizeof *eta);
  else memset(eta, 0, n * sizeof *eta);
  cblas_dgemv(CblasColMajor, CblasNoTrans, (int)n, (int)pb->d->p, 1.0, ws->X, (int)n, beta, 1, 1.0,
              eta, 1);
}

/* Square roots of the working weights (ws->wt) and the working response
 * scaled by them (z), as glm.fit computes them. Both sides of each
 * selection are computed (irls.c is compiled with -fno-trapping-math and
 * -fno-math-errno, so this vectorises; the values are the same). */
static void working_weights(block_ws *ws, const double *eta, const double *y, const double *mu,
                            const double *pw, const double *off, double *z, size_t n) {
  const double *dmu = ws->dmu, *var = ws->var;
  double *wt = ws->wt;
  /* Two loops: one selection each vectorises, two in one loop do not. */
  for (size_t i = 0; i < n; i++) {
    double dm = dmu[i], q = sqrt(pw[i] * dm * dm / var[i]);
    wt[i] = dm != 0 ? q : 0;
  }
#define WORKING(OFF)                                                                   \
  for (size_t i = 0; i < n; i++) {                                                     \
    double dm = dmu[i], r = (y[i] - mu[i]) / (dm != 0 ? dm : 1);                       \
    z[i] = wt[i] * ((eta[i] - (OFF)) + r);                                             \
  }
  if (off) WORKING(off[i]) else WORKING(0)
#undef WORKING
}

/* The pass with the cross products by cells: dense columns by dsyrk,
 * everything that involves an indicator column from the cell sums. */
static int pass_block_cells(pass_ctx *c, block_ws *ws, int thread, size_t g, int64_t start,
                            size_t n) {
  const irls_problem *pb = c->pb;
  const model_frame *fr = pb->fr;
  const peil_family *fam = pb->fam;
  const cell_plan *cp = c->cw.cp;
  const size_t p = c->p, d = cp->d;
  int32_t *cell = c->cw.cell[thread];
  double *acc = c->cw.acc[thread];
  size_t b = (size_t)(start / MODEL_BLOCK_ROWS), b0, b1;
  frame_group_blocks(fr, g, &b0, &b1);
  if (b == b0) memset(acc, 0, cp->ncells * cp->width * sizeof *acc);
  int rc = cells_fill(cp, pb->d, fr, start, n, ws, cell);
  if (rc) return rc;
  const double *y = fr->y + start, *pw = fr->w ? fr->w + start : ws->one;
  const double *off = fr->off ? fr->off + start : NULL;
  double *eta = ws->eta, *mu = ws->mu;
  if (c->beta) cells_eta(cp, ws->X, n, cell, off, c->cw.beta_dense, c->cw.cell_eff, eta);
  else irls_block_eta(pb, ws, start, n, NULL, eta);
  peil_family_irls_terms(fam, eta, y, pw, mu, ws->dmu, ws->var, ws->tmp, n);
  if (!peil_family_all_valid(fam, eta, mu, n)) c->invalid[g] = 1;
  double dev = 0;
  for (size_t i = 0; i < n; i++) dev += ws->tmp[i];
  c->dev[g] += dev;
  double *z = ws->z;
  working_weights(ws, eta, y, mu, pw, off, z, n);
  for (size_t j = 0; j < d; j++) {
    double *x = ws->X + j * n;
    for (size_t i = 0; i < n; i++) x[i] *= ws->wt[i];
  }
  double *A = c->A + g * p * p, *bg = c->b + g * p;
  if (d > 0) {
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)d, (int)n, 1.0, ws->X, (int)n, 1.0, A,
                (int)p);
    cblas_dgemv(CblasColMajor, CblasTrans, (int)n, (int)d, 1.0, ws->X, (int)n, z, 1, 1.0, bg, 1);
  }
  cells_accumulate(cp, acc, cell, ws->X, ws->wt, z, n);
  if (b + 1 == b1) cells_flush(cp, acc, A, bg);
  return PEIL_OK;
}

static int pass_block(void *vctx, block_ws *ws, int thread, size_t g, int64_t start, size_t n) {
  pass_ctx *c = vctx;
  if (c->cw.cp && !c->qr) return pass_block_cells(c, ws, thread, g, start, n);
  const irls_problem *pb = c->pb;
  const model_frame *fr = pb->fr;
  const peil_family *fam = pb->fam;
  int rc = design_fill(pb->d, fr, start, n, NULL, 0, ws);
  if (rc) return rc;
  const double *y = fr->y + start, *pw = fr->w ? fr->w + start : ws->one;
  double *eta = ws->eta, *mu = ws->mu;
  irls_block_eta(pb, ws, start, n, c->beta, eta);
  peil_family_irls_terms(fam, eta, y, pw, mu, ws->dmu, ws->var, ws->tmp, n);
  if (!peil_family_all_valid(fam, eta, mu, n)) c->invalid[g] = 1;
  double dev = 0;
  for (size_t i = 0; i < n; i++) dev += ws->tmp[i];
  c->dev[g] += dev;
  /* Working response and weights for the next solve; rows of X and z are
   * scaled by the square root of the weight. */
  const double *off = fr->off ? fr->off + start : NULL;
  double *z = ws->X + c->p * n; /* column p of the block: [X z] */
  working_weights(ws, eta, y, mu, pw, off, z, n);
  for (size_t j = 0; j < c->p; j++) {
    double *x = ws->X + j * n;
    for (size_t i = 0; i < n; i++) x[i] *= ws->wt[i];
  }
  if (c->qr) return qr_fold_block(&c->qws[thread], c->R + g * c->q * c->q, ws->X, (int)n);
  cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)c->p, (int)n, 1.0, ws->X, (int)n, 1.0,
              c->A + g * c->p * c->p, (int)c->p);
  cblas_dgemv(CblasColMajor, CblasTrans, (int)n, (int)c->p, 1.0, ws->X, (int)n, z, 1, 1.0,
              c->b + g * c->p, 1);
  return PEIL_OK;
}

/* The accumulated results of one pass. */
typedef struct {
  double dev;
  int valid;
  double *A, *b, *R;
} pass_out;

static int run_pass(const irls_problem *pb, pass_ctx *c, const double *beta, int qr, pass_out *out) {
  size_t ng = frame_ngroups(pb->fr), p = c->p, q = c->q;
  c->beta = beta;
  c->qr = qr;
  memset(c->dev, 0, ng * sizeof *c->dev);
  memset(c->invalid, 0, ng * sizeof *c->invalid);
  if (qr) memset(c->R, 0, ng * q * q * sizeof *c->R);
  else {
    memset(c->A, 0, ng * p * p * sizeof *c->A);
    memset(c->b, 0, ng * p * sizeof *c->b);
  }
  int cells = c->cw.cp && !qr;
  if (cells && beta) cells_coef(c->cw.cp, beta, c->cw.beta_dense, c->cw.cell_eff);
  int rc = frame_for_blocks(pb->fr, pb->d, pb->threads, pb->pool, pass_block, c);
  if (rc) return rc;
  /* Reduce in group order. */
  out->dev = 0;
  out->valid = 1;
  for (size_t g = 0; g < ng; g++) {
    out->dev += c->dev[g];
    if (c->invalid[g]) out->valid = 0;
  }
  if (qr) {
    memcpy(out->R, c->R, q * q * sizeof *out->R);
    for (size_t g = 1; g < ng && !rc; g++) rc = qr_fold_r(&c->qws[0], out->R, c->R + g * q * q);
    return rc;
  }
  memcpy(out->A, c->A, p * p * sizeof *out->A);
  memcpy(out->b, c->b, p * sizeof *out->b);
  for (size_t g = 1; g < ng; g++) {
    const double *Ag = c->A + g * p * p, *bg = c->b + g * p;
    for (size_t k = 0; k < p * p; k++) out->A[k] += Ag[k];
    for (size_t k = 0; k < p; k++) out->b[k] += bg[k];
  }
  return cells ? cells_unpermute(c->cw.cp, out->A, out->b) : PEIL_OK;
}

/* The WLS solve of the last pass's weights (computed at `at`, NULL: the
 * starting values). When the normal equations are too close to singular,
 * the pass is repeated to build a QR factor instead, and later passes keep
 * to QR. */
static int solve(const irls_problem *pb, pass_ctx *c, pass_out *out, wls_fit *fit, int *qr,
                 const double *at) {
  int rc = PEIL_OK;
  if (!*qr) {
    rc = wls_solve_chol(fit, out->A, out->b);
    if (rc != 1) return rc;
    *qr = 1;
    size_t ng = frame_ngroups(pb->fr), q = c->q;
    c->R = malloc(ng * q * q * sizeof *c->R);
    out->R = malloc(q * q * sizeof *out->R);
    if (!c->R || !out->R) return peil_error(PEIL_ENOMEM, "out of memory");
    double dev_keep = out->dev;
    int valid_keep = out->valid;
    if ((rc = run_pass(pb, c, at, 1, out))) return rc;
    out->dev = dev_keep, out->valid = valid_keep;
  }
  return wls_solve_qr(fit, out->R, pb->alias_tol);
}

int irls_fit(const irls_problem *pb, irls_result *res) {
  const size_t p = pb->d->p, q = p + 1, ng = frame_ngroups(pb->fr);
  int nt = model_threads(pb->threads);
  memset(res, 0, sizeof *res);
  pass_ctx c = {0};
  c.pb = pb, c.p = p, c.q = q;
  pass_out out = {0};
  double *start = calloc(p, sizeof *start), *coefold = calloc(p, sizeof *coefold);
  c.A = calloc(ng * p * p, sizeof *c.A);
  c.b = calloc(ng * p, sizeof *c.b);
  c.dev = calloc(ng, sizeof *c.dev);
  c.invalid = calloc(ng, sizeof *c.invalid);
  c.qws = calloc((size_t)nt, sizeof *c.qws);
  out.A = malloc(p * p * sizeof *out.A);
  out.b = malloc(p * sizeof *out.b);
  int rc = PEIL_OK;
  if (!start || !coefold || !c.A || !c.b || !c.dev || !c.invalid || !c.qws || !out.A ||
      !out.b)
    rc = peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc) rc = wls_alloc(&res->fit, p);
  for (int t = 0; !rc && t < nt; t++) rc = qr_ws_alloc(&c.qws[t], MODEL_BLOCK_ROWS, (int)q);
  cell_plan *cp = NULL;
  if (!rc && !pb->force_qr) rc = cells_plan_build(pb->fr, pb->d, &cp);
  if (cp) rc = cells_ws_alloc(&c.cw, cp, nt); /* owns cp from here */
  /* The last pass ran at `start` (have_cur), or at the family's starting
   * values: its weights are those of the next solve. */
  int qr = pb->force_qr, have_coefold = 0, have_cur = 0;
  if (!rc && qr) {
    c.R = malloc(ng * q * q * sizeof *c.R);
    out.R = malloc(q * q * sizeof *out.R);
    if (!c.R || !out.R) rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  /* The starting pass: deviance at the starting values and the first solve's
   * weights. Given coefficients also serve as the fallback of step halving. */
  if (!rc && pb->start) {
    memcpy(coefold, pb->start, p * sizeof *coefold);
    memcpy(start, pb->start, p * sizeof *start);
    have_cur = have_coefold = 1;
  }
  if (!rc) rc = run_pass(pb, &c, pb->start, qr, &out);
  double devold = out.dev;
  for (int iter = 1; !rc && iter <= pb->maxit; iter++) {
    res->iter = iter;
    if ((rc = solve(pb, &c, &out, &res->fit, &qr, have_cur ? start : NULL))) break;
    memcpy(start, res->fit.beta, p * sizeof *start);
    if ((rc = run_pass(pb, &c, start, qr, &out))) break;
    have_cur = 1;
    /* Step halving, as glm.fit: first for a deviance that is not finite,
     * then for eta or mu outside the family's domain. */
    for (int kind = 0; kind < 2 && !rc; kind++) {
      int ii = 1;
      while (!rc && (kind == 0 ? !isfinite(out.dev) : !out.valid)) {
        if (!have_coefold) {
          rc = peil_error(PEIL_ENUMERIC, "no valid set of coefficients has been found: the "
                          "starting values give %s", kind == 0 ? "an infinite deviance" :
                          "fitted values outside the family's range");
          break;
        }
        if (ii++ > pb->maxit) {
          rc = peil_error(PEIL_ENUMERIC, "step halving did not find a %s (iteration %d)",
                          kind == 0 ? "finite deviance" : "valid linear predictor", iter);
          break;
        }
        for (size_t j = 0; j < p; j++) start[j] = (start[j] + coefold[j]) / 2;
        res->boundary = 1;
        rc = run_pass(pb, &c, start, qr, &out);
      }
    }
    if (rc) break;
    res->last_change = fabs(out.dev - devold) / (fabs(out.dev) + 0.1);
    res->dev = out.dev;
    if (pb->constant_weights && !pb->start && iter == 1 && isfinite(out.dev) && out.valid) {
      /* The weights and working response do not depend on beta: R's second
       * iteration solves the same system again and stops on an unchanged
       * deviance. Counted as R counts it, without the pass. */
      res->iter = 2;
      res->last_change = 0;
      res->converged = 1;
      break;
    }
    if (res->last_change < pb->epsilon) {
      res->converged = 1;
      break;
    }
    devold = out.dev;
    memcpy(coefold, start, p * sizeof *coefold);
    have_coefold = 1;
  }
  /* R stops here, with coefficients short of the optimum by about the size
   * of the last step: up to 1e-5 relative for probit, cloglog and Poisson
   * fits (tests/reference/glm/convergence.csv), whose Fisher scoring
   * converges linearly. peil takes further steps until the deviance stops
   * changing (relative change below 1e-13: the coefficients are then
   * within about 1e-9 of the optimum), at most REFINE_STEPS; a canonical
   * link usually needs none or one. The covariance is taken at the final
   * coefficients. With constant weights (Gaussian, identity link) a step
   * would change nothing. */
  for (int k = 0; !rc && res->converged && !pb->constant_weights && k < REFINE_STEPS &&
                  res->last_change > REFINE_CHANGE;
       k++) {
    double dev_before = res->dev;
    rc = solve(pb, &c, &out, &res->fit, &qr, have_cur ? start : NULL);
    if (!rc) {
      memcpy(start, res->fit.beta, p * sizeof *start);
      rc = run_pass(pb, &c, start, qr, &out);
    }
    if (!rc && !(isfinite(out.dev) && out.valid))
      rc = peil_error(PEIL_ENUMERIC, "a step after convergence left the family's range");
    if (!rc) {
      res->dev = out.dev;
      res->last_change = fabs(out.dev - dev_before) / (fabs(out.dev) + 0.1);
      res->refined++;
    }
  }
  /* The covariance from the cross products (or QR factor) at the final
   * coefficients: one more solve, whose coefficients are not used. */
  if (!rc) rc = solve(pb, &c, &out, &res->fit, &qr, have_cur ? start : NULL);
  if (!rc) {
    memcpy(res->fit.beta, start, p * sizeof *start);
    for (size_t j = 0; j < p; j++)
      if (res->fit.aliased[j]) res->fit.beta[j] = 0;
    res->used_qr = qr;
  }
  for (int t = 0; c.qws && t < nt; t++) qr_ws_free(&c.qws[t]);
  cells_ws_free(&c.cw);
  free(c.qws), free(c.A), free(c.b), free(c.R), free(c.dev), free(c.invalid);
  free(out.A), free(out.b), free(out.R);
  free(start), free(coefold);
  if (rc) irls_result_free(res);
  return rc;
}

void irls_result_free(irls_result *res) { wls_free(&res->fit); }

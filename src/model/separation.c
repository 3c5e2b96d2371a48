/* Separation in binomial (and Poisson) models: the outcome is perfectly
 * predicted in part of the data, the likelihood has no maximum, and IRLS
 * walks off towards infinity along the separating direction. R's glm stops
 * there with huge estimates and standard errors and (sometimes) a warning;
 * peil names the terms instead.
 *
 * Detection: when some fitted values come close to 0 or 1 (or the fit did
 * not converge), IRLS is continued for two rounds of a few steps from the
 * estimates. Coefficients of a proper optimum do not move, those of a fit
 * that is still converging move less and less, and those along a
 * separating direction keep growing by about one unit of the linear
 * predictor per step. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "separation.h"

#define PROBE_STEPS 4
/* A coefficient moving by more than this share of its value in the probe
 * steps is diverging (a converged one moves by ~1e-10 of it). */
#define PROBE_MOVE 1e-3

int separation_suspected(const irls_problem *pb, const irls_result *res, int64_t n_extreme) {
  if (pb->fam->family == PEIL_GAUSSIAN) return 0;
  return n_extreme > 0 || !res->converged;
}

/* "every row with g = D has y = 1" for a column that is one level of one
 * categorical variable. */
static void level_detail(const irls_problem *pb, size_t j, char *buf, size_t n) {
  const design_col *col = &pb->d->cols[j];
  const model_frame *fr = pb->fr;
  buf[0] = '\0';
  if (col->nparts != 1 || col->level[0] < 0) return;
  const model_var *mv = &fr->vars[col->var[0]];
  if (!mv->code_level) return;
  int64_t rows = 0, zeros = 0, ones = 0;
  int32_t raw[4096];
  for (int64_t s = 0; s < fr->n; s += 4096) {
    size_t m = (size_t)(fr->n - s < 4096 ? fr->n - s : 4096);
    frame_codes(fr, (size_t)mv->raw, s, m, raw);
    for (size_t r = 0; r < m; r++) {
      if (mv->code_level[raw[r]] != col->level[0]) continue;
      rows++;
      zeros += fr->y[s + (int64_t)r] == 0;
      ones += fr->y[s + (int64_t)r] == 1;
    }
  }
  if (pb->fam->family == PEIL_BINOMIAL && (ones == rows || zeros == rows))
    snprintf(buf, n, "every one of the %lld rows with %s = \"%s\" has %s = %d", (long long)rows,
             mv->fv->column, mv->labels[col->level[0]], fr->formula->response_label, ones == rows);
  else if (pb->fam->family == PEIL_POISSON && zeros == rows)
    snprintf(buf, n, "none of the %lld rows with %s = \"%s\" has an event", (long long)rows,
             mv->fv->column, mv->labels[col->level[0]]);
}

/* PROBE_STEPS more IRLS steps from start. */
static int steps_from(const irls_problem *pb, const double *start, irls_result *r) {
  irls_problem more = *pb;
  more.start = start;
  more.maxit = PROBE_STEPS;
  more.epsilon = 0; /* never converges: take every step */
  return irls_fit(&more, r);
}

int separation_probe(const irls_problem *pb, const irls_result *res, int *diverging,
                     size_t *ndiverging, char *detail, size_t detail_len) {
  const size_t p = pb->d->p;
  irls_result r1, r2;
  *ndiverging = 0;
  detail[0] = '\0';
  memset(diverging, 0, p * sizeof *diverging);
  int rc = steps_from(pb, res->fit.beta, &r1);
  if (!rc) {
    rc = steps_from(pb, r1.fit.beta, &r2);
    if (rc) irls_result_free(&r1);
  }
  if (rc) {
    /* Steps that cannot be taken are no evidence either way. */
    peil_error_clear();
    return PEIL_OK;
  }
  /* Diverging: still moving outwards, by as much in the second round of
   * steps as in the first (a fit that merely has not converged yet moves
   * less and less). */
  for (size_t j = 0; j < p; j++) {
    double b0 = res->fit.beta[j], b1 = r1.fit.beta[j], b2 = r2.fit.beta[j];
    double m1 = fabs(b1 - b0), m2 = fabs(b2 - b1);
    diverging[j] = !res->fit.aliased[j] && m2 > PROBE_MOVE * fmax(fabs(b1), 1e-300) &&
                   m2 > 0.5 * m1 && fabs(b2) > fabs(b1) && fabs(b1) > fabs(b0);
    if (diverging[j]) {
      (*ndiverging)++;
      if (!detail[0]) level_detail(pb, j, detail, detail_len);
    }
  }
  irls_result_free(&r1);
  irls_result_free(&r2);
  return PEIL_OK;
}

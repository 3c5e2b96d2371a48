/* The regressions on the matched sample through peil_glm_fit: the sample's
 * columns are written into a store in memory (y, treat, w, cl, c1..cp the
 * centred covariate columns, t1..tp = treat * c_j), and each estimate is a
 * weighted Gaussian fit with sampling weights:
 *
 *   diff_means   y ~ treat                          (R: lm(y ~ treat, weights = w))
 *   lm_adjusted  y ~ treat + c1 + ... + cp          (lm(y ~ treat + covariates))
 *   gcomp        y ~ treat + c1 + ... + t1 + ...    (lm(y ~ treat * (covariates)))
 *
 * The coefficient of treat is the estimate. For gcomp the covariates are
 * centred at their weighted mean over the target units, so that the
 * coefficient of treat is b_treat + sum_j b_{treat:x_j} xbar_j of the
 * uncentred model: the weighted mean over the target units of the
 * predicted y at treat = 1 minus at treat = 0. Centring is a linear
 * reparametrisation X -> X T with T invertible and known, under which the
 * sandwich covariances (HC0, HC1, HC3, CR1) transform as T^-1 V T^-T and
 * the hat values do not change, so its standard error is exactly the delta
 * method's sqrt(g' V g) of the uncentred fit. */
#define _GNU_SOURCE /* open_memstream */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "effects_internal.h"
#include "peil/model.h"
#include "peil/store.h"

struct eff_store {
  peil_store *st;
  const eff_sample *s;
};

#define EFF_TABLE "sample"

int eff_store_open(const eff_sample *s, eff_store **out) {
  *out = NULL;
  eff_store *e = calloc(1, sizeof *e);
  if (!e) return peil_error(PEIL_ENOMEM, "out of memory");
  e->s = s;
  int rc = peil_store_open_scratch("match-effects", &e->st);
  /* chunks no longer than the table: a full-size chunk per column would
   * make a small sample's store tens of MB of copying */
  if (!rc) peil_store_set_chunk_rows(e->st, s->n < PEIL_BLOCK_ROWS ? (s->n ? s->n : 1) : PEIL_BLOCK_ROWS);
  size_t p = s->p, nc = 3 + (s->cl ? 1 : 0) + 2 * p;
  peil_column_def *defs = calloc(nc, sizeof *defs);
  char (*names)[24] = calloc(nc, sizeof *names);
  const void **cols = calloc(nc, sizeof *cols);
  double *tx = malloc((s->n * p > 0 ? s->n * p : 1) * sizeof *tx);
  if (!rc && (!defs || !names || !cols || !tx)) rc = peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc) {
    size_t c = 0;
    defs[c] = (peil_column_def){"y", PEIL_FLOAT64, 0, NULL}, cols[c++] = s->y;
    defs[c] = (peil_column_def){"treat", PEIL_FLOAT64, 0, NULL}, cols[c++] = s->t;
    defs[c] = (peil_column_def){"w", PEIL_FLOAT64, 0, NULL}, cols[c++] = s->w;
    if (s->cl) defs[c] = (peil_column_def){"cl", PEIL_INT64, 0, NULL}, cols[c++] = s->cl;
    for (size_t j = 0; j < p; j++) {
      snprintf(names[c], sizeof names[c], "c%zu", j + 1);
      defs[c] = (peil_column_def){names[c], PEIL_FLOAT64, 0, NULL}, cols[c++] = s->x + j * s->n;
    }
    for (size_t j = 0; j < p; j++) {
      double *t = tx + j * s->n;
      for (size_t i = 0; i < s->n; i++) t[i] = s->t[i] * s->x[i + j * s->n];
      snprintf(names[c], sizeof names[c], "t%zu", j + 1);
      defs[c] = (peil_column_def){names[c], PEIL_FLOAT64, 0, NULL}, cols[c++] = t;
    }
    rc = peil_table_write(e->st, EFF_TABLE, defs, nc, cols, s->n);
  }
  free(defs), free(names), free(cols), free(tx);
  if (rc) {
    eff_store_close(e);
    return rc;
  }
  *out = e;
  return PEIL_OK;
}

void eff_store_close(eff_store *st) {
  if (!st) return;
  if (st->st) peil_store_close(st->st);
  free(st);
}

/* "treat:racehispan" for t7, "racehispan" for c7. */
static void term_of(const eff_sample *s, const char *col, char *buf, size_t len) {
  size_t j = (size_t)strtoul(col + 1, NULL, 10);
  if ((col[0] == 'c' || col[0] == 't') && j >= 1 && j <= s->p)
    snprintf(buf, len, "%s%s", col[0] == 't' ? "treat:" : "", s->term[j - 1]);
  else snprintf(buf, len, "%s", col);
}

int eff_regress(eff_store *st, peil_effect_estimator est, peil_se_kind se, int threads,
                double *estimate, double *std_error, char *note, size_t notelen) {
  const eff_sample *s = st->s;
  *estimate = *std_error = NAN;
  if (note && notelen) note[0] = 0;
  char *f = NULL;
  size_t flen = 0;
  FILE *ff = open_memstream(&f, &flen);
  if (!ff) return peil_error(PEIL_ENOMEM, "out of memory");
  fputs("y ~ treat", ff);
  if (est != PEIL_EFFECT_DIFF_MEANS)
    for (size_t j = 0; j < s->p; j++)
      if (!s->xzero[j]) fprintf(ff, " + c%zu", j + 1);
  if (est == PEIL_EFFECT_GCOMP)
    for (size_t j = 0; j < s->p; j++)
      if (!s->tzero[j]) fprintf(ff, " + t%zu", j + 1);
  if (fclose(ff) != 0) {
    free(f);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  peil_glm_options go;
  peil_glm_options_init(&go);
  go.formula = f;
  go.family = "gaussian";
  go.weights = "w";
  go.weight_type = PEIL_WEIGHTS_SAMPLING;
  go.alias_tol = 1e-7; /* lm's tolerance */
  /* a thread per EFF_ROWS_PER_THREAD rows at most: on a small sample the
   * threads would only wait for each other (and spin, on a busy machine) */
  size_t most = s->n / EFF_ROWS_PER_THREAD;
  go.threads = most < 1 ? 1 : (threads <= 0 || (size_t)threads > most ? (int)most : threads);
  switch (se) {
  case PEIL_SE_CLUSTER:
    go.cluster = "cl";
    go.vcov = PEIL_VCOV_HC1;
    break;
  case PEIL_SE_HC0: go.vcov = PEIL_VCOV_HC0; break;
  case PEIL_SE_HC3: go.vcov = PEIL_VCOV_HC3; break;
  default: go.vcov = PEIL_VCOV_HC1; break;
  }
  peil_glm *g = NULL;
  int rc = peil_glm_fit(st->st, EFF_TABLE, &go, &g);
  free(f);
  if (rc) return rc;
  size_t jt = 0;
  while (jt < g->ncoef && strcmp(g->coef[jt].term, "treat")) jt++;
  if (jt == g->ncoef || g->coef[jt].aliased) {
    if (note) snprintf(note, notelen, "the treatment is aliased with the covariates");
  } else if (est == PEIL_EFFECT_GCOMP && g->rank < (int)g->ncoef) {
    /* as R: a coefficient that is not defined leaves the average of the
     * predictions undefined */
    if (note) {
      size_t used = (size_t)snprintf(note, notelen, "not defined: aliased coefficients ");
      for (size_t j = 0; j < g->ncoef && used < notelen; j++) {
        if (!g->coef[j].aliased) continue;
        char t[256];
        term_of(s, g->coef[j].term, t, sizeof t);
        used += (size_t)snprintf(note + used, notelen - used, "%s%s",
                                 note[used - 1] == ' ' ? "" : ", ", t);
      }
    }
  } else {
    *estimate = g->coef[jt].estimate;
    *std_error = g->coef[jt].std_error;
    if (se == PEIL_SE_HC3 && g->n_hat_one > 0) {
      *std_error = NAN;
      if (note)
        snprintf(note, notelen, "no HC3 standard error: %lld unit%s a hat value of 1 (to "
                 "rounding)", (long long)g->n_hat_one, g->n_hat_one == 1 ? " has" : "s have");
    }
  }
  peil_glm_free(g);
  return PEIL_OK;
}

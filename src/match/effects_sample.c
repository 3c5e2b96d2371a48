/* The matched sample of one outcome (effects_internal.h): the units with a
 * matching weight and the outcome, their clusters and the centred design
 * columns of the covariates. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "effects_internal.h"

void eff_sample_free(eff_sample *s) {
  free(s->unit), free(s->y), free(s->t), free(s->w), free(s->cl);
  free(s->x), free(s->xbar), free(s->xzero), free(s->tzero);
  for (size_t j = 0; s->term && j < s->p; j++) free(s->term[j]);
  free(s->term);
  memset(s, 0, sizeof *s);
}

typedef struct {
  int64_t key;
  size_t row;
} keyed;

static int by_key(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return x->row < y->row ? -1 : x->row > y->row;
}

/* Dense cluster numbers 0..G-1 for the rows' subclasses (in the order of
 * the subclass labels, which are arbitrary). */
static int dense_clusters(eff_sample *s, const int64_t *label) {
  size_t n = s->n;
  keyed *kr = peil_alloc_large(n, sizeof *kr);
  s->cl = peil_alloc_large(n, sizeof *s->cl);
  if (!kr || !s->cl) {
    free(kr);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) kr[i].key = label[s->unit[i]], kr[i].row = i;
  qsort(kr, n, sizeof *kr, by_key);
  size_t g = 0;
  for (size_t q = 0; q < n; q++) {
    if (q > 0 && kr[q].key != kr[q - 1].key) g++;
    s->cl[kr[q].row] = (int64_t)g;
  }
  s->ncl = n ? g + 1 : 0;
  free(kr);
  return PEIL_OK;
}

static int add_term(eff_sample *s, const char *name, const char *level) {
  size_t len = strlen(name) + (level ? strlen(level) : 0) + 1;
  char *t = malloc(len);
  if (!t) return peil_error(PEIL_ENOMEM, "out of memory");
  snprintf(t, len, "%s%s", name, level ? level : "");
  s->term[s->p++] = t;
  return PEIL_OK;
}

int eff_sample_build(const peil_match_data *d, const peil_match_result *r, size_t k,
                     eff_sample *s) {
  memset(s, 0, sizeof *s);
  s->estimand = r->estimand;
  const double *yk = d->outcome[k];
  size_t n = 0;
  for (size_t i = 0; i < d->n; i++) n += r->weight[i] > 0 && !isnan(yk[i]);
  /* design columns: one per numeric variable, nlevels - 1 at most per factor */
  size_t pmax = 0;
  for (size_t v = 0; v < d->nvars; v++) pmax += d->vars[v].is_factor ? d->vars[v].nlevels : 1;
  size_t nn = n ? n : 1, pp = pmax ? pmax : 1;
  s->unit = malloc(nn * sizeof *s->unit);
  s->y = malloc(nn * sizeof *s->y);
  s->t = malloc(nn * sizeof *s->t);
  s->w = malloc(nn * sizeof *s->w);
  s->x = malloc(nn * pp * sizeof *s->x);
  s->xbar = calloc(pp, sizeof *s->xbar);
  s->xzero = calloc(pp, sizeof *s->xzero);
  s->tzero = calloc(pp, sizeof *s->tzero);
  s->term = calloc(pp, sizeof *s->term);
  int *present = NULL;
  int rc = PEIL_OK;
  if (!s->unit || !s->y || !s->t || !s->w || !s->x || !s->xbar || !s->xzero || !s->tzero ||
      !s->term) {
    rc = peil_error(PEIL_ENOMEM, "out of memory");
    goto done;
  }
  s->n = n;
  double sw = 0, sw2 = 0;
  for (size_t i = 0, q = 0; i < d->n; i++) {
    if (!(r->weight[i] > 0) || isnan(yk[i])) continue;
    s->unit[q] = (int64_t)i;
    s->y[q] = yk[i];
    s->t[q] = d->treat[i] ? 1 : 0;
    s->w[q] = r->weight[i];
    if (d->treat[i]) s->n_treated++;
    else s->n_control++, sw += r->weight[i], sw2 += r->weight[i] * r->weight[i];
    q++;
  }
  s->n_control_eff = sw2 > 0 ? sw * sw / sw2 : 0;

  /* clusters: where every unit of the sample has a subclass */
  int all_sub = r->subclass != NULL && n > 0;
  for (size_t q = 0; all_sub && q < n; q++) all_sub = r->subclass[s->unit[q]] >= 0;
  if (all_sub && (rc = dense_clusters(s, r->subclass))) goto done;

  /* covariate columns */
  for (size_t v = 0; v < d->nvars && !rc; v++) {
    const peil_match_var *mv = &d->vars[v];
    if (!mv->is_factor) {
      double *col = s->x + s->p * nn;
      for (size_t q = 0; q < n; q++) col[q] = mv->x[s->unit[q]];
      rc = add_term(s, mv->name, NULL);
      continue;
    }
    free(present);
    present = calloc(mv->nlevels ? mv->nlevels : 1, sizeof *present);
    if (!present) {
      rc = peil_error(PEIL_ENOMEM, "out of memory");
      break;
    }
    for (size_t q = 0; q < n; q++) {
      int32_t c = mv->code[s->unit[q]];
      if (c >= 0 && (size_t)c < mv->nlevels) present[c] = 1;
    }
    int first = 1;
    for (size_t l = 0; l < mv->nlevels && !rc; l++) {
      if (!present[l]) continue;
      if (first) { /* the reference level */
        first = 0;
        continue;
      }
      double *col = s->x + s->p * nn;
      for (size_t q = 0; q < n; q++) col[q] = mv->code[s->unit[q]] == (int32_t)l;
      rc = add_term(s, mv->name, mv->levels[l]);
    }
  }
  if (rc) goto done;

  /* centre at the weighted mean over the target units; a column constant
   * over them is centred at that value exactly, so that a column (or its
   * interaction with treat) that is constant comes out as exact zeros */
  for (size_t j = 0; j < s->p; j++) {
    double *col = s->x + j * nn;
    double a = 0, b = 0, first = NAN;
    int constant = 1;
    for (size_t q = 0; q < n; q++) {
      if (!eff_is_target(s, q)) continue;
      a += s->w[q] * col[q], b += s->w[q];
      if (isnan(first)) first = col[q];
      else if (col[q] != first) constant = 0;
    }
    double m = constant && !isnan(first) ? first : (b > 0 ? a / b : 0);
    s->xbar[j] = m;
    int zero = 1, tzero = 1;
    for (size_t q = 0; q < n; q++) {
      col[q] -= m;
      if (col[q] != 0) {
        zero = 0;
        if (s->t[q] == 1) tzero = 0;
      }
    }
    s->xzero[j] = zero;
    s->tzero[j] = tzero;
  }
done:
  free(present);
  if (rc) eff_sample_free(s);
  return rc;
}

double eff_diff_means(const eff_sample *s) {
  double a1 = 0, b1 = 0, a0 = 0, b0 = 0;
  for (size_t q = 0; q < s->n; q++) {
    if (s->t[q] == 1) a1 += s->w[q] * s->y[q], b1 += s->w[q];
    else a0 += s->w[q] * s->y[q], b0 += s->w[q];
  }
  return a1 / b1 - a0 / b0;
}

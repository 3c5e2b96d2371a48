/* The design: which columns of X the formula's terms make, named as R names
 * them, and the filling of X block by block.
 *
 * R's coding rule (model.matrix; Chambers and Hastie, Statistical Models in
 * S, p. 38): a categorical variable F in a term T is coded by contrasts
 * (treatment: the reference level dropped) when T without F is empty or is
 * contained in a term that comes before T; otherwise by an indicator for
 * every level. Without an intercept, the first categorical variable of the
 * first term that has one is coded by indicators. Within a term the first
 * variable's levels vary fastest. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

/* 1: contrasts, 2: indicators (R's TermCode). */
static int term_code(const peil_formula *f, size_t t, size_t var) {
  uint64_t rest = f->terms[t] & ~((uint64_t)1 << var);
  if (rest == 0) return 1;
  for (size_t u = 0; u < t; u++)
    if ((rest & ~f->terms[u]) == 0) return 1;
  return 2;
}

static int add_col(design *d, const design_col *c, const char *name) {
  design_col *cols = realloc(d->cols, (d->p + 1) * sizeof *cols);
  if (!cols) return PEIL_ENOMEM;
  d->cols = cols;
  char **names = realloc(d->names, (d->p + 1) * sizeof *names);
  if (!names) return PEIL_ENOMEM;
  d->names = names;
  if (!(d->names[d->p] = strdup(name))) return PEIL_ENOMEM;
  d->cols[d->p++] = *c;
  return PEIL_OK;
}

int design_build(const model_frame *fr, design *d) {
  memset(d, 0, sizeof *d);
  const peil_formula *f = fr->formula;
  int rc = PEIL_OK;
  /* A categorical variable needs two levels once contrasts apply (R:
   * "contrasts can be applied only to factors with 2 or more levels"). */
  for (size_t t = 0; t < f->nterms; t++)
    for (size_t v = 0; v < fr->nvars; v++) {
      const model_var *mv = &fr->vars[v];
      if ((f->terms[t] >> v & 1) && mv->kind == VAR_FACTOR && mv->nlevels < 2)
        return peil_error(PEIL_EDATA, "%s has only one level (\"%s\") in the %lld rows used; a "
                          "categorical variable needs two: drop it from the formula",
                          mv->fv->label, mv->labels[0], (long long)fr->n);
    }
  /* Without an intercept: the first categorical in the first term that has one. */
  size_t full_t = (size_t)-1, full_v = 0;
  if (!f->intercept)
    for (size_t t = 0; t < f->nterms && full_t == (size_t)-1; t++)
      for (size_t v = 0; v < fr->nvars; v++)
        if ((f->terms[t] >> v & 1) && fr->vars[v].kind == VAR_FACTOR) {
          full_t = t, full_v = v;
          break;
        }
  d->has_intercept = f->intercept;
  if (f->intercept) {
    design_col c = {0};
    if ((rc = add_col(d, &c, "(Intercept)"))) goto fail;
  }
  for (size_t t = 0; t < f->nterms; t++) {
    int vars[64], first[64], count[64];
    size_t m = 0;
    size_t ncols = 1;
    for (size_t v = 0; v < fr->nvars; v++) {
      if (!(f->terms[t] >> v & 1)) continue;
      const model_var *mv = &fr->vars[v];
      vars[m] = (int)v;
      if (mv->kind == VAR_NUMERIC) {
        first[m] = -1, count[m] = 1;
      } else {
        int code = (t == full_t && v == full_v) ? 2 : term_code(f, t, v);
        first[m] = code == 1 ? 1 : 0;
        count[m] = (int)mv->nlevels - first[m];
      }
      ncols *= (size_t)count[m];
      m++;
    }
    if (ncols > 100000) {
      rc = peil_error(PEIL_EINVAL, "formula '%s': a term makes %zu columns", f->text, ncols);
      goto fail;
    }
    int at[64] = {0};
    for (size_t c = 0; c < ncols; c++) {
      design_col col = {0};
      char name[2048];
      size_t used = 0;
      col.nparts = m;
      for (size_t k = 0; k < m; k++) {
        const model_var *mv = &fr->vars[vars[k]];
        col.var[k] = vars[k];
        col.level[k] = first[k] < 0 ? -1 : first[k] + at[k];
        int w = snprintf(name + used, sizeof name - used, "%s%s%s", k ? ":" : "", mv->fv->label,
                         first[k] < 0 ? "" : mv->labels[col.level[k]]);
        if (w > 0) used += (size_t)w < sizeof name - used ? (size_t)w : sizeof name - used - 1;
      }
      if ((rc = add_col(d, &col, name))) goto fail;
      /* Next combination: the first variable fastest. */
      for (size_t k = 0; k < m; k++) {
        if (++at[k] < count[k]) break;
        at[k] = 0;
      }
    }
  }
  if (d->p == 0) {
    rc = peil_error(PEIL_EINVAL, "formula '%s' has no terms and no intercept", f->text);
    goto fail;
  }
  /* Runs of indicator columns of one variable alone. */
  d->in_dummies = calloc(d->p, 1);
  d->dummies = malloc(d->p * sizeof *d->dummies);
  if (!d->in_dummies || !d->dummies) {
    rc = PEIL_ENOMEM;
    goto fail;
  }
  for (size_t j = 0; j < d->p;) {
    const design_col *c = &d->cols[j];
    if (c->nparts != 1 || c->level[0] < 0) {
      j++;
      continue;
    }
    design_dummies run = {j, c->var[0], c->level[0], 0};
    while (j < d->p && d->cols[j].nparts == 1 && d->cols[j].var[0] == run.var &&
           d->cols[j].level[0] == run.first + run.count)
      d->in_dummies[j++] = 1, run.count++;
    d->dummies[d->ndummies++] = run;
  }
  return PEIL_OK;
fail:
  design_free(d);
  return rc == PEIL_ENOMEM ? peil_error(rc, "out of memory") : rc;
}

void design_free(design *d) {
  for (size_t j = 0; j < d->p && d->names; j++) free(d->names[j]);
  free(d->names);
  free(d->cols);
  free(d->dummies);
  free(d->in_dummies);
  memset(d, 0, sizeof *d);
}

int block_ws_alloc(block_ws *ws, const model_frame *fr, const design *d, size_t cap) {
  memset(ws, 0, sizeof *ws);
  ws->cap = cap;
  size_t nv = fr->nvars ? fr->nvars : 1;
  ws->X = malloc(cap * (d->p + 1) * sizeof *ws->X);
  ws->vals = malloc(nv * cap * sizeof *ws->vals);
  ws->codes = malloc(nv * cap * sizeof *ws->codes);
  ws->cols = malloc((fr->ncols ? fr->ncols : 1) * sizeof *ws->cols);
  ws->vp = malloc(nv * sizeof *ws->vp);
  ws->conv = malloc((fr->ncols ? fr->ncols : 1) * cap * sizeof *ws->conv);
  double **v[] = {&ws->eta, &ws->mu, &ws->dmu, &ws->var, &ws->z, &ws->wt, &ws->tmp, &ws->one};
  int ok = ws->X && ws->vals && ws->codes && ws->cols && ws->vp && ws->conv;
  for (size_t k = 0; k < sizeof v / sizeof *v; k++) ok &= (*v[k] = malloc(cap * sizeof(double))) != NULL;
  if (!ok) {
    block_ws_free(ws);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < cap; i++) ws->one[i] = 1;
  return PEIL_OK;
}

void block_ws_free(block_ws *ws) {
  free(ws->X);
  free(ws->vals);
  free(ws->codes);
  free(ws->cols);
  free(ws->vp);
  free(ws->conv);
  free(ws->eta);
  free(ws->mu);
  free(ws->dmu);
  free(ws->var);
  free(ws->z);
  free(ws->wt);
  free(ws->tmp);
  free(ws->one);
  memset(ws, 0, sizeof *ws);
}

/* The level of a value of a categorical variable that is not an enum:
 * a table for whole numbers in a short range (years, codes), else a binary
 * search. */
static int32_t value_level(const model_var *mv, double x) {
  if (mv->int_level) {
    double k = x - mv->int_min;
    return k >= 0 && k < (double)mv->int_span && k == (double)(int64_t)k ? mv->int_level[(int64_t)k] : -1;
  }
  size_t lo = 0, hi = mv->nlevels;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (mv->sorted_value[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo < mv->nlevels && mv->sorted_value[lo] == x ? mv->sorted_level[lo] : -1;
}

/* The values and levels of the variables the terms use, for a block. */
static int fill_vars(const model_frame *fr, int64_t start, size_t n, const frame_override *ov,
                     size_t nov, block_ws *ws) {
  frame_block_view(fr, start, n, ws->cols, ws->conv, ws->cap);
  for (size_t k = 0; k < nov; k++) ws->cols[ov[k].raw] = ov[k].data;
  peil_block blk = {start, n, ws->cols};
  const peil_formula *f = fr->formula;
  uint64_t used = 0;
  for (size_t t = 0; t < f->nterms; t++) used |= f->terms[t];
  for (size_t v = 0; v < fr->nvars; v++) {
    if (!(used >> v & 1)) continue;
    const model_var *mv = &fr->vars[v];
    double *vals = ws->vals + v * ws->cap;
    int32_t *codes = ws->codes + v * ws->cap;
    if (mv->kind == VAR_FACTOR && mv->code_level) {
      const int32_t *raw = ws->cols[mv->raw];
      for (size_t i = 0; i < n; i++) codes[i] = mv->code_level[raw[i]];
      continue;
    }
    if (mv->plain) { /* the column itself (or its override) */
      ws->vp[v] = ws->cols[mv->raw];
      continue;
    }
    int rc = peil_expr_eval(mv->fv->expr, &blk, vals);
    if (rc) return rc;
    ws->vp[v] = vals;
    if (mv->kind == VAR_FACTOR)
      for (size_t i = 0; i < n; i++) codes[i] = value_level(mv, vals[i]);
  }
  return PEIL_OK;
}

/* Column j of the design into X + pos[j] * n (pos NULL: j; SIZE_MAX: not
 * built). */
static void fill_cols(const design *d, size_t n, const size_t *pos, block_ws *ws) {
  /* Indicator runs: one compare per row and column, which vectorises
   * (a scatter of ones into zeroed columns was slower). */
  for (size_t r = 0; r < d->ndummies; r++) {
    const design_dummies *run = &d->dummies[r];
    const int32_t *codes = ws->codes + (size_t)run->var * ws->cap;
    for (int k = 0; k < run->count; k++) {
      size_t j = run->j0 + (size_t)k, at = pos ? pos[j] : j;
      if (at == SIZE_MAX) continue;
      double *x = ws->X + at * n;
      const int32_t lev = run->first + k;
      for (size_t i = 0; i < n; i++) x[i] = (double)(codes[i] == lev);
    }
  }
  for (size_t j = 0; j < d->p; j++) {
    const design_col *c = &d->cols[j];
    size_t at = pos ? pos[j] : j;
    if (at == SIZE_MAX || (d->in_dummies && d->in_dummies[j])) continue;
    double *x = ws->X + at * n;
    if (c->nparts == 0) {
      for (size_t i = 0; i < n; i++) x[i] = 1;
      continue;
    }
    for (size_t k = 0; k < c->nparts; k++) {
      int v = c->var[k];
      if (c->level[k] < 0) {
        const double *vals = ws->vp[v];
        if (k == 0) memcpy(x, vals, n * sizeof *x);
        else
          for (size_t i = 0; i < n; i++) x[i] *= vals[i];
      } else {
        const int32_t *codes = ws->codes + (size_t)v * ws->cap;
        int32_t lev = c->level[k];
        if (k == 0)
          for (size_t i = 0; i < n; i++) x[i] = codes[i] == lev;
        else
          for (size_t i = 0; i < n; i++) x[i] = codes[i] == lev ? x[i] : 0.0;
      }
    }
  }
}

int design_fill(const design *d, const model_frame *fr, int64_t start, size_t n,
                const frame_override *ov, size_t nov, block_ws *ws) {
  int rc = fill_vars(fr, start, n, ov, nov, ws);
  if (!rc) fill_cols(d, n, NULL, ws);
  return rc;
}

int design_fill_some(const design *d, const model_frame *fr, int64_t start, size_t n,
                     const size_t *pos, block_ws *ws) {
  int rc = fill_vars(fr, start, n, NULL, 0, ws);
  if (!rc) fill_cols(d, n, pos, ws);
  return rc;
}

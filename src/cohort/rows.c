/* The row tables of a cohort.
 *
 * "rows" (--rows): one row per person and reference date, the analyst's own
 * copy of the cohort (h5py and pandas read it). Columns: rin, date, the
 * group column, in_<subset> (bool) for each subset, each stratum and
 * covariate (enum; missing where unknown), and each outcome at each horizon
 * (<outcome>_<k>: int8 0/1, or int16 for month counts; missing where
 * censored).
 *
 * "cells": what the correction fits. The person-dates of one person with
 * the same group, subsets and covariates have the same row of X, so they
 * are collapsed into one row that carries, per 0/1 outcome, the number of
 * observed person-dates (<outcome>_<k>_n, the frequency weight) and their
 * mean (<outcome>_<k>). A GLM on these rows with those weights has the
 * same coefficients, the same cluster-robust covariance (the scores of a
 * person are sums over their rows either way) and the same standardised
 * margins as on the person-dates, with about half the rows to pass over
 * on every iteration (tests/unit/cohort checks the equality). */
#include <stdlib.h>
#include <string.h>

#include "cohort_internal.h"

#define ROWS_BLOCK 65536

/* One collapsed row of the current person. */
typedef struct {
  size_t group;
  uint8_t *in;     /* per subset */
  size_t *level;   /* per variable */
  int32_t *n;      /* per slot: observed person-dates */
  double *sum;     /* per slot */
} person_cell;

struct cohort_rows {
  int collapse;
  peil_table_writer *w;
  size_t ncols;
  peil_type *types;
  void **buf;
  size_t n;
  /* collapse: the cells of the current person */
  int64_t rin;
  person_cell *cells;
  size_t ncells, cap;
};

static char *dup_cat(const char *a, const char *b, const char *c) {
  size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
  char *s = malloc(n);
  if (s) {
    strcpy(s, a);
    strcat(s, b);
    strcat(s, c);
  }
  return s;
}

int cohort_rows_open(cohort_engine *E, peil_store *st, const char *table, int collapse,
                     cohort_rows **out) {
  const peil_cohort_result *R = E->res;
  *out = NULL;
  size_t nbin = 0;
  for (size_t k = 0; k < E->nslots; k++) nbin += R->outcomes[E->slots[k].outcome].binary;
  size_t nc = 2 + !collapse + (R->nsubsets - 1) + E->nvars + (collapse ? 2 * nbin : E->nslots);
  peil_column_def *defs = calloc(nc, sizeof *defs);
  char **names = calloc(nc, sizeof *names);
  cohort_rows *r = calloc(1, sizeof *r);
  int rc = defs && names && r ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc) {
    r->collapse = collapse;
    r->ncols = nc;
    r->types = calloc(nc, sizeof *r->types);
    r->buf = calloc(nc, sizeof *r->buf);
    if (!r->types || !r->buf) rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  size_t c = 0;
  if (!rc) {
    names[c] = strdup("rin");
    defs[c++].type = PEIL_INT64;
    if (!collapse) {
      names[c] = strdup("date");
      defs[c++].type = PEIL_DATE;
    }
    names[c] = strdup(R->group_column ? R->group_column : "group");
    defs[c].type = PEIL_ENUM;
    defs[c].nlevels = R->ngroups;
    defs[c++].levels = (const char *const *)R->groups;
    for (size_t su = 1; su < R->nsubsets; su++) {
      names[c] = dup_cat("in_", R->subsets[su], "");
      defs[c++].type = PEIL_BOOL;
    }
    for (size_t v = 0; v < E->nvars; v++) {
      names[c] = strdup(E->vars[v].name);
      defs[c].type = PEIL_ENUM;
      defs[c].nlevels = E->vars[v].nlevels - 1; /* without "(missing)": missing is NA */
      defs[c++].levels = (const char *const *)E->vars[v].levels;
    }
    for (size_t k = 0; k < E->nslots; k++) {
      int binary = R->outcomes[E->slots[k].outcome].binary;
      if (collapse && !binary) continue;
      names[c] = strdup(E->slots[k].column);
      defs[c++].type = collapse ? PEIL_FLOAT64 : binary ? PEIL_INT8 : PEIL_INT16;
      if (collapse) {
        names[c] = dup_cat(E->slots[k].column, "_n", "");
        defs[c++].type = PEIL_INT32;
      }
    }
    for (size_t i = 0; i < nc && !rc; i++) {
      if (!names[i]) rc = peil_error(PEIL_ENOMEM, "out of memory");
      defs[i].name = names[i];
    }
  }
  /* Names must not collide: a stratum called like an outcome column, say. */
  for (size_t i = 0; !rc && i < nc; i++)
    for (size_t j = 0; !rc && j < i; j++)
      if (strcmp(names[i], names[j]) == 0)
        rc = cohort_spec_error(E->spec, E->spec->line, PEIL_EINVAL,
                               "two columns of the row table would be called '%s': rename the "
                               "outcome, subset or stratum",
                               names[i]);
  if (!rc) rc = peil_table_create(st, table, defs, nc, &r->w);
  for (size_t i = 0; !rc && i < nc; i++) {
    r->types[i] = defs[i].type;
    if (!(r->buf[i] = malloc(ROWS_BLOCK * peil_type_size(defs[i].type))))
      rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  if (names)
    for (size_t i = 0; i < nc; i++) free(names[i]);
  free(names);
  free(defs);
  if (rc) {
    cohort_rows_free(r);
    return rc;
  }
  *out = r;
  return PEIL_OK;
}

static int flush(cohort_rows *r) {
  if (!r->n) return PEIL_OK;
  int rc = peil_table_append(r->w, (const void *const *)r->buf, r->n);
  r->n = 0;
  return rc;
}

/* The columns up to the outcomes: rin, [date], group, subsets, variables. */
static size_t put_key(const cohort_engine *E, cohort_rows *r, int64_t rin, int32_t date,
                      size_t group, const uint8_t *in, const size_t *level) {
  size_t i = r->n, c = 0;
  ((int64_t *)r->buf[c++])[i] = rin;
  if (!r->collapse) ((int32_t *)r->buf[c++])[i] = date;
  ((int32_t *)r->buf[c++])[i] = (int32_t)group;
  for (size_t su = 1; su < E->res->nsubsets; su++) ((int8_t *)r->buf[c++])[i] = (int8_t)in[su];
  for (size_t v = 0; v < E->nvars; v++) {
    size_t missing = E->vars[v].nlevels - 1;
    ((int32_t *)r->buf[c++])[i] = level[v] == missing ? PEIL_NA_ENUM : (int32_t)level[v];
  }
  return c;
}

static int add_cell(const cohort_engine *E, cohort_rows *r, size_t group, const uint8_t *in,
                    const size_t *level, const double *value, const uint8_t *censored) {
  size_t S = E->res->nsubsets, V = E->nvars, K = E->nslots;
  person_cell *pc = NULL;
  for (size_t i = 0; i < r->ncells && !pc; i++) {
    person_cell *x = &r->cells[i];
    if (x->group == group && !memcmp(x->in, in, S) && !memcmp(x->level, level, V * sizeof *level))
      pc = x;
  }
  if (!pc) {
    if (r->ncells == r->cap) {
      size_t cap = r->cap ? 2 * r->cap : 8;
      person_cell *v = realloc(r->cells, cap * sizeof *v);
      if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
      for (size_t i = r->cap; i < cap; i++) {
        v[i].in = malloc(S);
        v[i].level = malloc((V + 1) * sizeof *v[i].level);
        v[i].n = malloc((K + 1) * sizeof *v[i].n);
        v[i].sum = malloc((K + 1) * sizeof *v[i].sum);
        if (!v[i].in || !v[i].level || !v[i].n || !v[i].sum) {
          r->cells = v;
          r->cap = i + 1;
          return peil_error(PEIL_ENOMEM, "out of memory");
        }
      }
      r->cells = v;
      r->cap = cap;
    }
    pc = &r->cells[r->ncells++];
    pc->group = group;
    memcpy(pc->in, in, S);
    memcpy(pc->level, level, V * sizeof *level);
    memset(pc->n, 0, K * sizeof *pc->n);
    memset(pc->sum, 0, K * sizeof *pc->sum);
  }
  for (size_t k = 0; k < K; k++)
    if (!censored[k]) {
      pc->n[k]++;
      pc->sum[k] += value[k];
    }
  return PEIL_OK;
}

int cohort_rows_add(const cohort_engine *E, cohort_rows *r, int64_t rin, int32_t date,
                    size_t group, const uint8_t *in, const size_t *level, const double *value,
                    const uint8_t *censored) {
  if (r->collapse) {
    int rc = PEIL_OK;
    if (rin != r->rin) rc = cohort_rows_end_person(E, r);
    r->rin = rin;
    return rc ? rc : add_cell(E, r, group, in, level, value, censored);
  }
  size_t c = put_key(E, r, rin, date, group, in, level);
  size_t i = r->n;
  for (size_t k = 0; k < E->nslots; k++, c++) {
    if (r->types[c] == PEIL_INT8)
      ((int8_t *)r->buf[c])[i] = censored[k] ? PEIL_NA_INT8 : (int8_t)value[k];
    else
      ((int16_t *)r->buf[c])[i] = censored[k] ? PEIL_NA_INT16 : (int16_t)value[k];
  }
  if (++r->n == ROWS_BLOCK) return flush(r);
  return PEIL_OK;
}

int cohort_rows_end_person(const cohort_engine *E, cohort_rows *r) {
  for (size_t j = 0; j < r->ncells; j++) {
    const person_cell *pc = &r->cells[j];
    size_t c = put_key(E, r, r->rin, 0, pc->group, pc->in, pc->level);
    size_t i = r->n;
    for (size_t k = 0; k < E->nslots; k++) {
      if (!E->res->outcomes[E->slots[k].outcome].binary) continue;
      ((double *)r->buf[c++])[i] = pc->n[k] ? pc->sum[k] / pc->n[k] : 0.0 / 0.0;
      ((int32_t *)r->buf[c++])[i] = pc->n[k];
    }
    if (++r->n == ROWS_BLOCK) {
      int rc = flush(r);
      if (rc) return rc;
    }
  }
  r->ncells = 0;
  return PEIL_OK;
}

int cohort_rows_append(const cohort_engine *E, cohort_rows *r, peil_store *st, const char *table) {
  int rc = r->collapse ? cohort_rows_end_person(E, r) : PEIL_OK;
  if (!rc) rc = flush(r);
  peil_scan *sc = NULL;
  if (!rc) rc = peil_scan_open(st, table, NULL, 0, 0, &sc);
  peil_block blk;
  int got;
  while (!rc && (got = peil_scan_next(sc, &blk)) != 0)
    rc = got < 0 ? got : peil_table_append(r->w, blk.cols, blk.nrows);
  if (sc) peil_scan_close(sc);
  return rc;
}

int cohort_rows_finish(const cohort_engine *E, cohort_rows *r) {
  int rc = r->collapse ? cohort_rows_end_person(E, r) : PEIL_OK;
  if (!rc) rc = flush(r);
  if (!rc) rc = peil_table_finish(r->w);
  r->w = NULL;
  return rc;
}

void cohort_rows_free(cohort_rows *r) {
  if (!r) return;
  if (r->w) peil_table_writer_free(r->w);
  for (size_t i = 0; i < r->ncols; i++) free(r->buf ? r->buf[i] : NULL);
  for (size_t i = 0; i < r->cap; i++) {
    free(r->cells[i].in);
    free(r->cells[i].level);
    free(r->cells[i].n);
    free(r->cells[i].sum);
  }
  free(r->cells);
  free(r->buf);
  free(r->types);
  free(r);
}

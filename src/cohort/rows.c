/* The row table: one row per person and reference date (table "rows"), the
 * input of the correction's regressions and, with --rows, the analyst's
 * own copy of the cohort (readable with h5py and pandas).
 *
 * Columns: rin, date, the group column, in_<subset> (bool) for each subset,
 * each stratum and covariate (enum; missing where unknown), and each outcome
 * at each horizon (<outcome>_<k>: int8 0/1, or int16 for month counts;
 * missing where censored). */
#include <stdlib.h>
#include <string.h>

#include "cohort_internal.h"

#define ROWS_BLOCK 65536

struct cohort_rows {
  peil_table_writer *w;
  size_t ncols;
  peil_type *types;
  void **buf;
  size_t n;
};

static char *dup_name(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 1;
  char *s = malloc(n);
  if (s) {
    strcpy(s, a);
    strcat(s, b);
  }
  return s;
}

int cohort_rows_open(cohort_engine *E, peil_store *st) {
  const peil_cohort_result *R = E->res;
  size_t nc = 3 + (R->nsubsets - 1) + E->nvars + E->nslots;
  peil_column_def *defs = calloc(nc, sizeof *defs);
  char **names = calloc(nc, sizeof *names);
  char ***levels = calloc(nc, sizeof *levels);
  cohort_rows *r = calloc(1, sizeof *r);
  int rc = defs && names && levels && r ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc) {
    E->rows = r;
    r->ncols = nc;
    r->types = calloc(nc, sizeof *r->types);
    r->buf = calloc(nc, sizeof *r->buf);
    if (!r->types || !r->buf) rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  size_t c = 0;
  if (!rc) {
    names[c] = strdup("rin");
    defs[c++].type = PEIL_INT64;
    names[c] = strdup("date");
    defs[c++].type = PEIL_DATE;
    names[c] = strdup(R->group_column ? R->group_column : "group");
    defs[c].type = PEIL_ENUM;
    defs[c].nlevels = R->ngroups;
    defs[c++].levels = (const char *const *)R->groups;
    for (size_t su = 1; su < R->nsubsets; su++) {
      names[c] = dup_name("in_", R->subsets[su]);
      defs[c++].type = PEIL_BOOL;
    }
    for (size_t v = 0; v < E->nvars; v++) {
      names[c] = strdup(E->vars[v].name);
      defs[c].type = PEIL_ENUM;
      defs[c].nlevels = E->vars[v].nlevels - 1; /* without "(missing)": missing is NA */
      defs[c++].levels = (const char *const *)E->vars[v].levels;
    }
    for (size_t k = 0; k < E->nslots; k++) {
      names[c] = strdup(E->slots[k].column);
      defs[c++].type = E->res->outcomes[E->slots[k].outcome].binary ? PEIL_INT8 : PEIL_INT16;
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
  if (!rc) rc = peil_table_create(st, "rows", defs, nc, &r->w);
  for (size_t i = 0; !rc && i < nc; i++) {
    r->types[i] = defs[i].type;
    if (!(r->buf[i] = malloc(ROWS_BLOCK * peil_type_size(defs[i].type))))
      rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  if (names)
    for (size_t i = 0; i < nc; i++) free(names[i]);
  free(names);
  free(levels);
  free(defs);
  return rc;
}

static int flush(cohort_rows *r) {
  if (!r->n) return PEIL_OK;
  int rc = peil_table_append(r->w, (const void *const *)r->buf, r->n);
  r->n = 0;
  return rc;
}

int cohort_rows_add(cohort_engine *E, int64_t rin, int32_t date, size_t group,
                    const uint8_t *in_subset, const size_t *level, const double *value,
                    const uint8_t *censored) {
  cohort_rows *r = E->rows;
  size_t i = r->n, c = 0;
  ((int64_t *)r->buf[c++])[i] = rin;
  ((int32_t *)r->buf[c++])[i] = date;
  ((int32_t *)r->buf[c++])[i] = (int32_t)group;
  for (size_t su = 1; su < E->res->nsubsets; su++) ((int8_t *)r->buf[c++])[i] = (int8_t)in_subset[su];
  for (size_t v = 0; v < E->nvars; v++) {
    size_t missing = E->vars[v].nlevels - 1;
    ((int32_t *)r->buf[c++])[i] = level[v] == missing ? PEIL_NA_ENUM : (int32_t)level[v];
  }
  for (size_t k = 0; k < E->nslots; k++, c++) {
    if (r->types[c] == PEIL_INT8)
      ((int8_t *)r->buf[c])[i] = censored[k] ? PEIL_NA_INT8 : (int8_t)value[k];
    else
      ((int16_t *)r->buf[c])[i] = censored[k] ? PEIL_NA_INT16 : (int16_t)value[k];
  }
  if (++r->n == ROWS_BLOCK) return flush(r);
  return PEIL_OK;
}

int cohort_rows_finish(cohort_engine *E) {
  cohort_rows *r = E->rows;
  int rc = flush(r);
  if (!rc) rc = peil_table_finish(r->w);
  r->w = NULL;
  return rc;
}

void cohort_rows_free(cohort_rows *r) {
  if (!r) return;
  if (r->w) peil_table_writer_free(r->w);
  for (size_t i = 0; i < r->ncols; i++) free(r->buf ? r->buf[i] : NULL);
  free(r->buf);
  free(r->types);
  free(r);
}

/* The numbers of a test from a table of a store.
 *
 * Samples (t, wilcox, prop): one pass of peil_expr_scan over the value,
 * the group column and the filter; the rows that pass the filter and have
 * both are kept as values per level of the group. Rows dropped are
 * counted by the first of the two found missing. Levels are the values
 * present, in level order (enum codes, numbers, dates, FALSE < TRUE), with
 * the labels tables give them (peil_crosstab_label).
 *
 * Tables (chisq, fisher): the cross-tabulation of the crosstab module,
 * the one [table NAME] sections of peil run count with. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peil/crosstab.h"
#include "peil/expr.h"
#include "stats_internal.h"

/* Levels of a group before it is too many to be one (crosstab's limit). */
#define MAX_LEVELS 10000

/* The group's levels in order of appearance, each with its values, found
 * through `sorted` (level numbers by value). */
typedef struct {
  size_t n, cap;
  double *key;          /* the column's value (code) of level k */
  size_t *sorted;
  double **vals;
  size_t *nvals, *capvals;
} levels;

/* Level k of value x (added when new); -1 too many, -2 out of memory. */
static long level_of(levels *L, double x) {
  size_t lo = 0, hi = L->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (L->key[L->sorted[mid]] < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo < L->n && L->key[L->sorted[lo]] == x) return (long)L->sorted[lo];
  if (L->n == MAX_LEVELS) return -1;
  if (L->n == L->cap) {
    size_t cap = L->cap ? 2 * L->cap : 8;
    double *k = realloc(L->key, cap * sizeof *k);
    size_t *s = k ? realloc(L->sorted, cap * sizeof *s) : NULL;
    double **v = s ? realloc(L->vals, cap * sizeof *v) : NULL;
    size_t *nv = v ? realloc(L->nvals, cap * sizeof *nv) : NULL;
    size_t *cv = nv ? realloc(L->capvals, cap * sizeof *cv) : NULL;
    if (k) L->key = k;
    if (s) L->sorted = s;
    if (v) L->vals = v;
    if (nv) L->nvals = nv;
    if (!cv) return -2;
    L->capvals = cv;
    L->cap = cap;
  }
  memmove(L->sorted + lo + 1, L->sorted + lo, (L->n - lo) * sizeof *L->sorted);
  L->sorted[lo] = L->n;
  L->key[L->n] = x, L->vals[L->n] = NULL, L->nvals[L->n] = L->capvals[L->n] = 0;
  return (long)L->n++;
}

static int level_add(levels *L, size_t k, double v) {
  if (L->nvals[k] == L->capvals[k]) {
    size_t cap = L->capvals[k] ? 2 * L->capvals[k] : 1024;
    double *p = realloc(L->vals[k], cap * sizeof *p);
    if (!p) return peil_error(PEIL_ENOMEM, "out of memory");
    L->vals[k] = p, L->capvals[k] = cap;
  }
  L->vals[k][L->nvals[k]++] = v;
  return PEIL_OK;
}

static void levels_free(levels *L) {
  for (size_t k = 0; k < L->n; k++) free(L->vals[k]);
  free(L->key), free(L->sorted), free(L->vals), free(L->nvals), free(L->capvals);
}

/* A level's label as tables show it ("all" without a group). */
static char *label(const peil_column_info *c, double v) {
  char buf[256] = "all";
  if (c) peil_crosstab_label(c, v, buf, sizeof buf);
  return strdup(buf);
}

static int add_missing(peil_stats_data *d, const char *what) {
  char **m = realloc(d->missing_by, (d->nmissing_by + 1) * sizeof *m);
  if (m) d->missing_by = m;
  int64_t *c = realloc(d->missing_count, (d->nmissing_by + 1) * sizeof *c);
  if (c) d->missing_count = c;
  if (!m || !c || !(m[d->nmissing_by] = strdup(what))) return peil_error(PEIL_ENOMEM, "out of memory");
  d->missing_count[d->nmissing_by++] = 0;
  return PEIL_OK;
}

static int no_rows(const peil_stats_data *d, const char *table) {
  return peil_error(PEIL_EDATA, "no rows left in table '%s': %lld read, %lld filtered out, %lld with missing values",
                    table, (long long)d->n_read, (long long)d->n_filtered, (long long)d->n_missing);
}

/* The group column: categories, as a table's (crosstab's rule). */
static int group_column(peil_store *s, const char *table, const char *group, peil_table_info **ti,
                        const peil_column_info **info) {
  int rc = peil_store_table_info(s, table, ti);
  if (rc) return rc;
  int c = peil_table_info_find(*ti, group);
  if (c < 0) {
    char list[400] = "";
    size_t used = 0;
    for (size_t j = 0; j < (*ti)->ncols && used < sizeof list - 40; j++)
      used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", (*ti)->cols[j].name);
    return peil_error(PEIL_ENOTFOUND, "--group: no column '%s' in table '%s' (it has %s)", group, table, list);
  }
  *info = &(*ti)->cols[c];
  if ((*info)->type == PEIL_FLOAT32 || (*info)->type == PEIL_FLOAT64)
    return peil_error(PEIL_ETYPE, "--group: column '%s' of table '%s' holds fractional numbers; groups are "
                      "categorical, boolean, integer or date columns", group, table);
  return PEIL_OK;
}

/* The pass: value (e[0]), group (e[1] or none), filter (last). */
static int read_values(peil_store *s, const char *table, const peil_stats_data_options *o, peil_expr *const *e,
                       size_t ne, levels *L, peil_stats_data *d) {
  peil_expr_scan *sc = NULL;
  int rc = peil_expr_scan_open(s, table, e, ne, o->threads, &sc);
  if (rc) return rc;
  int grouped = o->group != NULL, filtered = o->where && *o->where;
  if (filtered && !peil_expr_is_condition(e[ne - 1]))
    rc = peil_error(PEIL_ETYPE, "--where '%s' is not a condition (write, e.g., age >= 18)", o->where);
  const double *const *v;
  size_t m;
  int64_t start;
  while (!rc && (rc = peil_expr_scan_next(sc, &start, &m, &v)) == 1) {
    rc = PEIL_OK;
    d->n_read += (int64_t)m;
    for (size_t i = 0; !rc && i < m; i++) {
      if (filtered && v[ne - 1][i] != 1) {
        d->n_filtered++;
        continue;
      }
      double x = v[0][i], g = grouped ? v[1][i] : 0;
      if (isnan(x) || isnan(g)) {
        d->missing_count[isnan(x) ? 0 : 1]++, d->n_missing++;
        continue;
      }
      if (o->binary && x != 0 && x != 1)
        rc = peil_error(PEIL_EDATA, "--value %s must be 0 or 1: row %lld has %.15g (table '%s')", o->value,
                        (long long)(start + (int64_t)i + 1), x, table);
      long k = rc ? 0 : level_of(L, g);
      if (k == -1)
        rc = peil_error(PEIL_EDATA, "column '%s' of table '%s' has more than %d distinct values: not a "
                        "group to test by", o->group, table, MAX_LEVELS);
      else if (k == -2) rc = peil_error(PEIL_ENOMEM, "out of memory");
      if (!rc) rc = level_add(L, (size_t)k, x);
    }
  }
  peil_expr_scan_close(sc);
  return rc > 0 ? PEIL_OK : rc;
}

/* The levels to report, in order: o->levels by label, else all in level
 * order. sel[j] is the level (appearance number) of group j. */
static int select_levels(const peil_stats_data_options *o, const levels *L, char **lab, int two, size_t *sel,
                         size_t *nsel) {
  size_t n = L->n;
  if (!o->levels || !o->nlevels) {
    if (two && n != 2) {
      char list[400] = "";
      size_t used = 0;
      for (size_t k = 0; k < n && used < sizeof list - 40; k++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "", lab[L->sorted[k]]);
      return peil_error(PEIL_EDATA, "group column '%s' has %zu level%s in the rows used (%s): a two-sample "
                        "test needs 2 (choose two with --levels A,B or filter with --where)", o->group, n,
                        n == 1 ? "" : "s", list);
    }
    for (size_t k = 0; k < n; k++) sel[k] = L->sorted[k];
    *nsel = n;
    return PEIL_OK;
  }
  if (two && o->nlevels != 2)
    return peil_error(PEIL_EINVAL, "--levels: a two-sample test compares 2 levels of '%s', not %zu", o->group,
                      o->nlevels);
  for (size_t j = 0; j < o->nlevels; j++) {
    for (size_t i = 0; i < j; i++)
      if (strcmp(o->levels[i], o->levels[j]) == 0)
        return peil_error(PEIL_EINVAL, "--levels: level '%s' is named twice", o->levels[j]);
    size_t k = 0;
    while (k < n && strcmp(lab[k], o->levels[j]) != 0) k++;
    if (k == n)
      return peil_error(PEIL_ENOTFOUND, "--levels: no row used has level '%s' of column '%s'", o->levels[j], o->group);
    sel[j] = k;
  }
  *nsel = o->nlevels;
  return PEIL_OK;
}

/* The selected levels into d: labels, values (taken from L), sizes. */
static int take_groups(const peil_stats_data_options *o, levels *L, const peil_column_info *info, int two,
                       peil_stats_data *d) {
  size_t n = L->n, nsel = 0;
  char **lab = calloc(n + 1, sizeof *lab);
  size_t *sel = calloc(n + 1, sizeof *sel);
  int rc = lab && sel ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t k = 0; !rc && k < n; k++)
    if (!(lab[k] = label(info, L->key[k]))) rc = peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc) rc = select_levels(o, L, lab, two, sel, &nsel);
  if (!rc) {
    d->level = calloc(nsel + 1, sizeof *d->level);
    d->n = calloc(nsel + 1, sizeof *d->n);
    d->values = calloc(nsel + 1, sizeof *d->values);
    if (!d->level || !d->n || !d->values) rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  for (size_t j = 0; !rc && j < nsel; j++) {
    size_t k = sel[j];
    d->level[j] = lab[k], lab[k] = NULL;
    d->values[j] = L->vals[k], L->vals[k] = NULL;
    d->n[j] = L->nvals[k];
    d->n_used += (int64_t)d->n[j];
    d->ngroups = j + 1;
  }
  if (!rc) d->n_other = d->n_read - d->n_filtered - d->n_missing - d->n_used;
  for (size_t k = 0; lab && k < n; k++) free(lab[k]);
  free(lab), free(sel);
  return rc;
}

int peil_stats_read_groups(peil_store *s, const char *table, const peil_stats_data_options *o, int two,
                           peil_stats_data **out) {
  *out = NULL;
  if (!o->value || !*o->value) return peil_error(PEIL_EINVAL, "the test needs a value (a column or expression)");
  peil_stats_data *d = calloc(1, sizeof *d);
  if (!d) return peil_error(PEIL_ENOMEM, "out of memory");
  peil_table_info *ti = NULL;
  const peil_column_info *info = NULL;
  peil_expr *e[3] = {NULL, NULL, NULL};
  size_t ne = 0;
  levels L = {0};
  int rc = add_missing(d, o->value);
  if (!rc && o->group && !(rc = group_column(s, table, o->group, &ti, &info))) rc = add_missing(d, o->group);
  if (!rc) rc = peil_expr_parse(o->value, "--value", &e[ne++]);
  if (!rc && o->group) rc = peil_expr_parse(o->group, "--group", &e[ne++]);
  if (!rc && o->where && *o->where) rc = peil_expr_parse(o->where, "--where", &e[ne++]);
  if (!rc) rc = read_values(s, table, o, e, ne, &L, d);
  if (!rc && d->n_read == d->n_filtered + d->n_missing) rc = no_rows(d, table);
  if (!rc) rc = take_groups(o, &L, info, two, d);
  levels_free(&L);
  for (size_t k = 0; k < ne; k++) peil_expr_free(e[k]);
  peil_table_info_free(ti);
  if (rc) peil_stats_data_free(d);
  else *out = d;
  return rc;
}

int peil_stats_read_table(peil_store *s, const char *table, const peil_stats_data_options *o,
                          peil_stats_data **out) {
  *out = NULL;
  if (!o->rows || !o->cols) return peil_error(PEIL_EINVAL, "a cross-tabulation needs a rows and a cols column");
  peil_crosstab_options co = {o->rows, o->cols, NULL, o->where && *o->where ? o->where : NULL, o->threads};
  peil_crosstab *x = NULL;
  int rc = peil_crosstab_compute(s, table, &co, &x);
  if (rc) return rc;
  peil_stats_data *d = calloc(1, sizeof *d);
  char both[512];
  snprintf(both, sizeof both, "%s or %s", o->rows, o->cols);
  if (!d) rc = peil_error(PEIL_ENOMEM, "out of memory");
  else {
    d->n_read = x->n_read, d->n_filtered = x->n_filtered, d->n_missing = x->n_missing;
    d->n_used = d->n_read - d->n_filtered - d->n_missing;
    d->nrow = x->nrows, d->ncol = x->ncols;
    if (!(rc = add_missing(d, both))) d->missing_count[0] = x->n_missing;
  }
  if (!rc && d->n_used == 0) rc = no_rows(d, table);
  if (!rc) {
    d->row_level = calloc(d->nrow + 1, sizeof *d->row_level);
    d->col_level = calloc(d->ncol + 1, sizeof *d->col_level);
    d->count = calloc(d->nrow * d->ncol + 1, sizeof *d->count);
    if (!d->row_level || !d->col_level || !d->count) rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  for (size_t i = 0; !rc && i < d->nrow; i++) {
    if (!(d->row_level[i] = strdup(x->row_labels[i]))) rc = peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t j = 0; j < d->ncol; j++) d->count[i * d->ncol + j] = (double)x->n[peil_crosstab_cell(x, i, j)];
  }
  for (size_t j = 0; !rc && j < d->ncol; j++)
    if (!(d->col_level[j] = strdup(x->col_labels[j]))) rc = peil_error(PEIL_ENOMEM, "out of memory");
  peil_crosstab_free(x);
  if (rc) peil_stats_data_free(d);
  else *out = d;
  return rc;
}

void peil_stats_data_free(peil_stats_data *d) {
  if (!d) return;
  for (size_t i = 0; i < d->nmissing_by; i++) free(d->missing_by[i]);
  free(d->missing_by), free(d->missing_count);
  for (size_t i = 0; i < d->ngroups; i++) free(d->level[i]), free(d->values[i]);
  free(d->level), free(d->n), free(d->values);
  for (size_t i = 0; d->row_level && i < d->nrow; i++) free(d->row_level[i]);
  for (size_t i = 0; d->col_level && i < d->ncol; i++) free(d->col_level[i]);
  free(d->row_level), free(d->col_level), free(d->count);
  free(d);
}

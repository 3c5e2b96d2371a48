/* Cross-tabulations (peil/crosstab.h): one pass over the table, categories
 * numbered as they first appear, sorted into their order at the end. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peil/crosstab.h"
#include "peil/expr.h"

/* Categories per dimension: a table is for categories, and this keeps a
 * mistaken continuous column (an income) from making millions of cells. */
#define MAX_CATEGORIES 10000

typedef struct {
  int64_t n, n_value;
  double sum;
} cell;

/* The categories of one dimension: values in order of first appearance,
 * and a sorted index over them for lookup. */
typedef struct {
  const char *column;
  const peil_column_info *info;
  double *value;     /* [k]: the value of category k (first-seen order) */
  size_t *sorted;    /* category numbers in ascending value */
  size_t n, cap;
} dimension;

typedef struct {
  dimension dim[2];
  cell **grid;       /* grid[r][c], rows grown as columns appear */
  size_t *row_len;
  size_t rows_cap;
} tally;

/* The category of value x, added when new; -1 past MAX_CATEGORIES, -2 out of memory. */
static long category(dimension *d, double x) {
  size_t lo = 0, hi = d->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (d->value[d->sorted[mid]] < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo < d->n && d->value[d->sorted[lo]] == x) return (long)d->sorted[lo];
  if (d->n == MAX_CATEGORIES) return -1;
  if (d->n == d->cap) {
    size_t cap = d->cap ? 2 * d->cap : 8;
    double *v = realloc(d->value, cap * sizeof *v);
    if (v) d->value = v;
    size_t *s = realloc(d->sorted, cap * sizeof *s);
    if (s) d->sorted = s;
    if (!v || !s) return -2;
    d->cap = cap;
  }
  d->value[d->n] = x;
  memmove(d->sorted + lo + 1, d->sorted + lo, (d->n - lo) * sizeof *d->sorted);
  d->sorted[lo] = d->n;
  return (long)d->n++;
}

/* The cell of categories (r, c); NULL when out of memory. */
static cell *cell_at(tally *t, size_t r, size_t c) {
  if (r >= t->rows_cap) {
    size_t cap = t->rows_cap ? 2 * t->rows_cap : 8;
    while (cap <= r) cap *= 2;
    cell **g = realloc(t->grid, cap * sizeof *g);
    if (g) t->grid = g;
    size_t *l = realloc(t->row_len, cap * sizeof *l);
    if (l) t->row_len = l;
    if (!g || !l) return NULL;
    for (size_t k = t->rows_cap; k < cap; k++) t->grid[k] = NULL, t->row_len[k] = 0;
    t->rows_cap = cap;
  }
  if (c >= t->row_len[r]) {
    size_t len = c + 1 > 2 * t->row_len[r] ? c + 1 : 2 * t->row_len[r];
    cell *g = realloc(t->grid[r], len * sizeof *g);
    if (!g) return NULL;
    memset(g + t->row_len[r], 0, (len - t->row_len[r]) * sizeof *g);
    t->grid[r] = g;
    t->row_len[r] = len;
  }
  return &t->grid[r][c];
}

void peil_crosstab_label(const peil_column_info *info, double v, char *buf, size_t len) {
  if (info->type == PEIL_ENUM && v >= 0 && (size_t)v < info->nlevels)
    snprintf(buf, len, "%s", info->levels[(size_t)v]);
  else if (info->type == PEIL_DATE) {
    char day[16];
    peil_date_format((int32_t)v, day);
    snprintf(buf, len, "%s", day);
  } else if (info->type == PEIL_BOOL)
    snprintf(buf, len, "%s", v ? "TRUE" : "FALSE");
  else
    snprintf(buf, len, "%.15g", v);
}

static int check_category_column(const peil_table_info *ti, const char *table, const char *key,
                                 const char *col, const peil_column_info **info) {
  int c = peil_table_info_find(ti, col);
  if (c < 0) return peil_error(PEIL_ENOTFOUND, "%s: unknown column '%s' in table '%s'", key, col, table);
  *info = &ti->cols[c];
  if ((*info)->type == PEIL_FLOAT32 || (*info)->type == PEIL_FLOAT64)
    return peil_error(PEIL_ETYPE, "%s: column '%s' of table '%s' holds fractional numbers; a table's "
                      "categories are categorical, boolean, integer or date columns", key, col, table);
  return PEIL_OK;
}

/* The pass: every kept row into its cell. */
static int count_rows(peil_store *s, const char *table, const peil_crosstab_options *o, tally *t,
                      peil_crosstab *x, peil_expr *const *ex, size_t nex) {
  peil_expr_scan *sc = NULL;
  int rc = peil_expr_scan_open(s, table, ex, nex, o->threads, &sc);
  if (rc) return rc;
  if (o->where && !peil_expr_is_condition(ex[nex - 1])) {
    peil_expr_scan_close(sc);
    return peil_error(PEIL_ETYPE, "where '%s' is not a condition (write, e.g., age >= 18)", o->where);
  }
  const double *const *v;
  size_t m;
  int64_t start;
  int twoway = o->cols != NULL;
  size_t iv = 1 + (size_t)twoway, iw = iv + (o->value != NULL);
  while ((rc = peil_expr_scan_next(sc, &start, &m, &v)) == 1) {
    rc = PEIL_OK;
    x->n_read += (int64_t)m;
    for (size_t i = 0; !rc && i < m; i++) {
      if (o->where && v[iw][i] != 1) {
        x->n_filtered++;
        continue;
      }
      double a = v[0][i], b = twoway ? v[1][i] : 0;
      if (isnan(a) || isnan(b)) {
        x->n_missing++;
        continue;
      }
      long r = category(&t->dim[0], a), c = twoway ? category(&t->dim[1], b) : 0;
      if (r == -1 || c == -1) {
        const char *col = r == -1 ? o->rows : o->cols;
        rc = peil_error(PEIL_EDATA, "column '%s' of table '%s' has more than %d distinct values: a "
                        "table needs categories (group the values first)", col, table, MAX_CATEGORIES);
        break;
      }
      cell *z = r < 0 || c < 0 ? NULL : cell_at(t, (size_t)r, (size_t)c);
      if (!z) {
        rc = peil_error(PEIL_ENOMEM, "out of memory");
        break;
      }
      z->n++;
      if (o->value && !isnan(v[iv][i])) {
        z->n_value++, z->sum += v[iv][i];
        x->binary &= v[iv][i] == 0 || v[iv][i] == 1;
      }
    }
    if (rc) break;
  }
  peil_expr_scan_close(sc);
  return rc > 0 ? PEIL_OK : rc;
}

/* The tally in category order, with the totals. */
static int assemble(tally *t, peil_crosstab *x, int twoway) {
  size_t nr = t->dim[0].n, nc = twoway ? t->dim[1].n : 1;
  x->nrows = nr, x->ncols = nc;
  size_t cells = (nr + 1) * (nc + 1);
  x->n = calloc(cells, sizeof *x->n);
  x->n_value = calloc(cells, sizeof *x->n_value);
  x->sum = calloc(cells, sizeof *x->sum);
  x->row_labels = calloc(nr ? nr : 1, sizeof *x->row_labels);
  x->col_labels = calloc(nc, sizeof *x->col_labels);
  if (!x->n || !x->n_value || !x->sum || !x->row_labels || !x->col_labels) return PEIL_ENOMEM;
  char buf[256];
  for (size_t i = 0; i < nr; i++) {
    peil_crosstab_label(t->dim[0].info, t->dim[0].value[t->dim[0].sorted[i]], buf, sizeof buf);
    if (!(x->row_labels[i] = strdup(buf))) return PEIL_ENOMEM;
  }
  for (size_t j = 0; j < nc; j++) {
    if (twoway) peil_crosstab_label(t->dim[1].info, t->dim[1].value[t->dim[1].sorted[j]], buf, sizeof buf);
    else snprintf(buf, sizeof buf, "n");
    if (!(x->col_labels[j] = strdup(buf))) return PEIL_ENOMEM;
  }
  for (size_t i = 0; i < nr; i++) {
    size_t r = t->dim[0].sorted[i];
    for (size_t j = 0; j < nc; j++) {
      size_t c = twoway ? t->dim[1].sorted[j] : 0;
      if (r >= t->rows_cap || c >= t->row_len[r]) continue;
      const cell *z = &t->grid[r][c];
      size_t at[4] = {peil_crosstab_cell(x, i, j), peil_crosstab_cell(x, i, nc),
                      peil_crosstab_cell(x, nr, j), peil_crosstab_cell(x, nr, nc)};
      for (size_t k = 0; k < 4; k++) x->n[at[k]] += z->n, x->n_value[at[k]] += z->n_value, x->sum[at[k]] += z->sum;
    }
  }
  return PEIL_OK;
}

static void tally_free(tally *t) {
  for (size_t r = 0; t->grid && r < t->rows_cap; r++) free(t->grid[r]);
  free(t->grid), free(t->row_len);
  for (int d = 0; d < 2; d++) free(t->dim[d].value), free(t->dim[d].sorted);
}

int peil_crosstab_compute(peil_store *s, const char *table, const peil_crosstab_options *o,
                          peil_crosstab **out) {
  *out = NULL;
  if (!o->rows || !*o->rows) return peil_error(PEIL_EINVAL, "a table needs its rows: a column");
  peil_crosstab *x = calloc(1, sizeof *x);
  tally t;
  memset(&t, 0, sizeof t);
  peil_table_info *ti = NULL;
  peil_expr *ex[4] = {NULL, NULL, NULL, NULL};
  size_t nex = 0;
  if (!x) return peil_error(PEIL_ENOMEM, "out of memory");
  int rc = peil_store_table_info(s, table, &ti);
  if (!rc) rc = check_category_column(ti, table, "rows", o->rows, &t.dim[0].info);
  if (!rc && o->cols) rc = check_category_column(ti, table, "cols", o->cols, &t.dim[1].info);
  /* The expressions in order: rows, cols, value, where. */
  if (!rc) rc = peil_expr_parse(o->rows, "rows", &ex[nex++]);
  if (!rc && o->cols) rc = peil_expr_parse(o->cols, "cols", &ex[nex++]);
  if (!rc && o->value) rc = peil_expr_parse(o->value, "value", &ex[nex++]);
  if (!rc && o->where) rc = peil_expr_parse(o->where, "where", &ex[nex++]);
  if (!rc) {
    x->rows_name = strdup(o->rows);
    x->cols_name = o->cols ? strdup(o->cols) : NULL;
    x->value_text = o->value ? strdup(o->value) : NULL;
    if (!x->rows_name || (o->cols && !x->cols_name) || (o->value && !x->value_text)) rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  if (!rc && o->value) {
    int c = peil_table_info_find(ti, o->value);
    if (c >= 0 && ti->cols[c].type == PEIL_ENUM)
      rc = peil_error(PEIL_ETYPE, "value: column '%s' of table '%s' is categorical; a value is a number, "
                      "0/1 or a condition (e.g. %s == \"%s\")", o->value, table, o->value,
                      ti->cols[c].nlevels ? ti->cols[c].levels[0] : "level");
  }
  x->binary = o->value != NULL;
  if (!rc) rc = count_rows(s, table, o, &t, x, ex, nex);
  if (!rc && assemble(&t, x, o->cols != NULL)) rc = peil_error(PEIL_ENOMEM, "out of memory");
  tally_free(&t);
  for (size_t k = 0; k < nex; k++) peil_expr_free(ex[k]);
  peil_table_info_free(ti);
  if (rc) {
    peil_crosstab_free(x);
    return rc;
  }
  *out = x;
  return PEIL_OK;
}

double peil_crosstab_mean(const peil_crosstab *t, size_t r, size_t c) {
  size_t k = peil_crosstab_cell(t, r, c);
  return t->n_value[k] ? t->sum[k] / (double)t->n_value[k] : NAN;
}

void peil_crosstab_free(peil_crosstab *t) {
  if (!t) return;
  for (size_t i = 0; t->row_labels && i < t->nrows; i++) free(t->row_labels[i]);
  for (size_t j = 0; t->col_labels && j < t->ncols; j++) free(t->col_labels[j]);
  free(t->row_labels), free(t->col_labels);
  free(t->n), free(t->n_value), free(t->sum);
  free(t->rows_name), free(t->cols_name), free(t->value_text);
  free(t);
}

/* The numbers of a test from a table of a store: one pass over the columns
 * used, the rows that pass the filter and have every value, kept as the
 * values per level of a group (two-sample tests) or as the counts of a
 * cross-tabulation (chisq, fisher). Rows dropped are counted, by the first
 * column found missing. Levels are the values present, in level order
 * (enum codes, numbers, dates, FALSE < TRUE). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peil/expr.h"
#include "stats_internal.h"

/* Distinct values of a category before they are too many to be one. */
#define MAX_LEVELS 10000

/* A categorical column: its distinct values in order of appearance, found
 * through `sorted` (indices ordered by value). */
typedef struct {
  const char *name;
  const peil_column_info *info;
  int slot;             /* in the scan */
  size_t n, cap;
  double *value;        /* by appearance */
  size_t *sorted;
} factor;

/* The level index of v (appended when new); -1 when there are too many. */
static long factor_index(factor *f, double v) {
  size_t lo = 0, hi = f->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (f->value[f->sorted[mid]] < v) lo = mid + 1;
    else hi = mid;
  }
  if (lo < f->n && f->value[f->sorted[lo]] == v) return (long)f->sorted[lo];
  if (f->n == MAX_LEVELS) return -1;
  if (f->n == f->cap) {
    size_t cap = f->cap ? 2 * f->cap : 16;
    double *v2 = realloc(f->value, cap * sizeof *v2);
    if (v2) f->value = v2;
    size_t *s2 = realloc(f->sorted, cap * sizeof *s2);
    if (s2) f->sorted = s2;
    if (!v2 || !s2) return -2;
    f->cap = cap;
  }
  memmove(f->sorted + lo + 1, f->sorted + lo, (f->n - lo) * sizeof *f->sorted);
  f->sorted[lo] = f->n;
  f->value[f->n] = v;
  return (long)f->n++;
}

/* The label of a level as peil info shows it. */
static char *factor_label(const factor *f, double v) {
  char buf[64];
  const peil_column_info *c = f->info;
  if (c->type == PEIL_ENUM && v >= 0 && (size_t)v < c->nlevels) return strdup(c->levels[(size_t)v]);
  if (c->type == PEIL_BOOL) snprintf(buf, sizeof buf, "%s", v ? "TRUE" : "FALSE");
  else if (c->type == PEIL_DATE) peil_date_format((int32_t)v, buf);
  else snprintf(buf, sizeof buf, "%.15g", v);
  return strdup(buf);
}

/* Labels in level order: lab[k] for the k-th smallest value; rank[i] the
 * place of the level that appeared i-th. */
static int factor_finish(const factor *f, char ***lab, size_t *rank) {
  if (!(*lab = calloc(f->n ? f->n : 1, sizeof **lab))) return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t k = 0; k < f->n; k++) {
    rank[f->sorted[k]] = k;
    if (!((*lab)[k] = factor_label(f, f->value[f->sorted[k]]))) return peil_error(PEIL_ENOMEM, "out of memory");
  }
  return PEIL_OK;
}

static void factor_free(factor *f) {
  free(f->value), free(f->sorted);
}

typedef struct {
  peil_store *store;
  const char *table;
  const peil_stats_data_options *o;
  peil_table_info *ti;
  char **cols;          /* the scanned columns */
  size_t ncols;
  peil_expr *where, *value;
  size_t nfactors;
  factor fac[2];        /* group, or rows and cols */
  peil_stats_data *d;
  /* per level of fac[0] (appearance order): the values, or per pair of
   * levels the counts */
  double **vals;
  size_t *nvals, *capvals;
  size_t gcap;
  double *cells;        /* rcap x ccap, levels by appearance */
  size_t rcap, ccap;
} reader;

static int col_slot(reader *R, const char *name) {
  for (size_t i = 0; i < R->ncols; i++)
    if (strcmp(R->cols[i], name) == 0) return (int)i;
  char **c = realloc(R->cols, (R->ncols + 1) * sizeof *c);
  if (!c) return PEIL_ENOMEM;
  R->cols = c;
  if (!(c[R->ncols] = strdup(name))) return PEIL_ENOMEM;
  return (int)R->ncols++;
}

static int no_column(const reader *R, const char *what, const char *name) {
  char list[400] = "";
  size_t used = 0;
  for (size_t j = 0; j < R->ti->ncols && used < sizeof list - 40; j++)
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", R->ti->cols[j].name);
  return peil_error(PEIL_ENOTFOUND, "%s: no column '%s' in table '%s' (it has %s)", what, name, R->table, list);
}

/* Parses an expression and binds it to the table's columns. */
static int expression(reader *R, const char *what, const char *text, peil_expr **e) {
  int rc = peil_expr_parse(text, what, e);
  if (rc) return rc;
  const char *const *names;
  size_t m = peil_expr_columns(*e, &names);
  const peil_column_info **ci = calloc(m ? m : 1, sizeof *ci);
  size_t *slot = calloc(m ? m : 1, sizeof *slot);
  if (!ci || !slot) rc = peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < m; i++) {
    int j = peil_table_info_find(R->ti, names[i]), s;
    if (j < 0) rc = no_column(R, what, names[i]);
    else if ((s = col_slot(R, names[i])) < 0) rc = peil_error(PEIL_ENOMEM, "out of memory");
    else ci[i] = &R->ti->cols[j], slot[i] = (size_t)s;
  }
  if (!rc) rc = peil_expr_bind(*e, ci, slot);
  free(ci), free(slot);
  return rc;
}

static int add_factor(reader *R, const char *what, const char *name) {
  int j = peil_table_info_find(R->ti, name);
  if (j < 0) return no_column(R, what, name);
  factor *f = &R->fac[R->nfactors++];
  f->name = name;
  f->info = &R->ti->cols[j];
  if ((f->slot = col_slot(R, name)) < 0) return peil_error(PEIL_ENOMEM, "out of memory");
  return PEIL_OK;
}

static int add_missing(peil_stats_data *d, const char *label) {
  char **m = realloc(d->missing_by, (d->nmissing_by + 1) * sizeof *m);
  if (m) d->missing_by = m;
  int64_t *c = realloc(d->missing_count, (d->nmissing_by + 1) * sizeof *c);
  if (c) d->missing_count = c;
  if (!m || !c || !(m[d->nmissing_by] = strdup(label))) return peil_error(PEIL_ENOMEM, "out of memory");
  d->missing_count[d->nmissing_by++] = 0;
  return PEIL_OK;
}

static int prepare(reader *R, int table) {
  const peil_stats_data_options *o = R->o;
  int rc = peil_store_table_info(R->store, R->table, &R->ti);
  if (rc) return rc;
  if (o->where && *o->where) {
    if ((rc = expression(R, "--where", o->where, &R->where))) return rc;
    if (!peil_expr_is_condition(R->where))
      return peil_error(PEIL_ETYPE, "--where '%s' is not a condition (write, e.g., age >= 18)", o->where);
  }
  if (table) {
    if (!o->rows || !o->cols) return peil_error(PEIL_EINVAL, "a cross-tabulation needs a rows and a cols column");
    if ((rc = add_factor(R, "--rows", o->rows)) || (rc = add_factor(R, "--cols", o->cols))) return rc;
    if ((rc = add_missing(R->d, o->rows)) || (rc = add_missing(R->d, o->cols))) return rc;
    return PEIL_OK;
  }
  if (!o->value || !*o->value) return peil_error(PEIL_EINVAL, "the test needs a value (a column or expression)");
  if ((rc = expression(R, "--value", o->value, &R->value)) || (rc = add_missing(R->d, o->value))) return rc;
  if (o->group && (rc = add_factor(R, "--group", o->group))) return rc;
  if (o->group && (rc = add_missing(R->d, o->group))) return rc;
  return PEIL_OK;
}

/* Room for the values of level l (appearance order) of the group. */
static int group_room(reader *R, size_t l) {
  if (l < R->gcap) return PEIL_OK;
  size_t cap = R->gcap ? 2 * R->gcap : 16;
  while (cap <= l) cap *= 2;
  double **v = realloc(R->vals, cap * sizeof *v);
  if (v) R->vals = v;
  size_t *n = realloc(R->nvals, cap * sizeof *n);
  if (n) R->nvals = n;
  size_t *c = realloc(R->capvals, cap * sizeof *c);
  if (c) R->capvals = c;
  if (!v || !n || !c) return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t k = R->gcap; k < cap; k++) v[k] = NULL, n[k] = c[k] = 0;
  R->gcap = cap;
  return PEIL_OK;
}

static int group_add(reader *R, size_t l, double v) {
  int rc = group_room(R, l);
  if (rc) return rc;
  if (R->nvals[l] == R->capvals[l]) {
    size_t cap = R->capvals[l] ? 2 * R->capvals[l] : 1024;
    double *p = realloc(R->vals[l], cap * sizeof *p);
    if (!p) return peil_error(PEIL_ENOMEM, "out of memory");
    R->vals[l] = p, R->capvals[l] = cap;
  }
  R->vals[l][R->nvals[l]++] = v;
  return PEIL_OK;
}

/* The count table grows with the levels of either column:
 * cells[r * ccap + c]. */
static int table_add(reader *R, size_t r, size_t c) {
  if (r >= R->rcap || c >= R->ccap) {
    size_t rcap = R->rcap ? R->rcap : 8, ccap = R->ccap ? R->ccap : 8;
    while (rcap <= r) rcap *= 2;
    while (ccap <= c) ccap *= 2;
    double *t = calloc(rcap * ccap, sizeof *t);
    if (!t) return peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t i = 0; i < R->rcap; i++) memcpy(t + i * ccap, R->cells + i * R->ccap, R->ccap * sizeof *t);
    free(R->cells);
    R->cells = t, R->rcap = rcap, R->ccap = ccap;
  }
  R->cells[r * R->ccap + c] += 1;
  return PEIL_OK;
}

static int too_many(const factor *f) {
  return peil_error(PEIL_EDATA, "column '%s' has more than %d distinct values: not a category to test by",
                    f->name, MAX_LEVELS);
}

/* One block: filter, values, levels, in that order of dropping. */
static int take_block(reader *R, const peil_block *blk, double *wv, double *vv, double *fv[2], int table) {
  peil_stats_data *d = R->d;
  size_t m = blk->nrows;
  int rc;
  d->n_read += (int64_t)m;
  if (R->where && (rc = peil_expr_eval(R->where, blk, wv))) return rc;
  if (R->value && (rc = peil_expr_eval(R->value, blk, vv))) return rc;
  for (size_t f = 0; f < R->nfactors; f++)
    peil_column_to_f64(R->fac[f].info->type, blk->cols[R->fac[f].slot], m, fv[f]);
  for (size_t i = 0; i < m; i++) {
    if (R->where && wv[i] != 1) {
      d->n_filtered++;
      continue;
    }
    /* The value first, then the factors: the first missing is counted. */
    size_t first = R->value ? 1 : 0, missing = R->value && isnan(vv[i]) ? 1 : 0;
    for (size_t f = 0; !missing && f < R->nfactors; f++)
      if (isnan(fv[f][i])) missing = first + f + 1;
    if (missing) {
      d->missing_count[missing - 1]++, d->n_missing++;
      continue;
    }
    long lev[2] = {0, 0};
    for (size_t f = 0; f < R->nfactors; f++)
      if ((lev[f] = factor_index(&R->fac[f], fv[f][i])) < 0)
        return lev[f] == -1 ? too_many(&R->fac[f]) : peil_error(PEIL_ENOMEM, "out of memory");
    if (R->o->binary && R->value && vv[i] != 0 && vv[i] != 1)
      return peil_error(PEIL_EDATA, "--value %s must be 0 or 1: row %lld has %.15g (table '%s')", R->o->value,
                        (long long)(blk->start + (int64_t)i + 1), vv[i], R->table);
    if ((rc = table ? table_add(R, (size_t)lev[0], (size_t)lev[1]) : group_add(R, (size_t)lev[0], vv[i])))
      return rc;
  }
  return PEIL_OK;
}

static int scan(reader *R, int table) {
  peil_scan *sc = NULL;
  int rc = peil_scan_open(R->store, R->table, (const char *const *)R->cols, R->ncols, 0, &sc);
  if (rc) return rc;
  peil_scan_set_threads(sc, R->o->threads);
  double *buf = malloc(4 * PEIL_BLOCK_ROWS * sizeof *buf);
  if (!buf) rc = peil_error(PEIL_ENOMEM, "out of memory");
  double *fv[2] = {buf + 2 * PEIL_BLOCK_ROWS, buf + 3 * PEIL_BLOCK_ROWS};
  peil_block blk;
  while (!rc && (rc = peil_scan_next(sc, &blk)) == 1)
    rc = take_block(R, &blk, buf, buf + PEIL_BLOCK_ROWS, fv, table);
  free(buf);
  peil_scan_close(sc);
  return rc < 0 ? rc : PEIL_OK;
}

/* The group's levels to keep, in the order to report: o->levels by label,
 * else all in level order. sel[j] = level (appearance index) of group j. */
static int select_levels(reader *R, char **lab, const size_t *rank, int two, size_t *sel, size_t *nsel) {
  const peil_stats_data_options *o = R->o;
  const factor *f = &R->fac[0];
  size_t n = f->n;
  if (!o->levels || !o->nlevels) {
    if (two && n != 2) {
      char list[400] = "";
      size_t used = 0;
      for (size_t k = 0; k < n && used < sizeof list - 40; k++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "", lab[k]);
      return peil_error(PEIL_EDATA, "group column '%s' has %zu level%s in the rows used%s%s%s: a two-sample test "
                        "needs 2 (choose two with --levels A,B or filter with --where)", f->name, n,
                        n == 1 ? "" : "s", n ? " (" : "", list, n ? ")" : "");
    }
    for (size_t i = 0; i < n; i++) sel[rank[i]] = i;
    *nsel = n;
    return PEIL_OK;
  }
  if (two && o->nlevels != 2)
    return peil_error(PEIL_EINVAL, "--levels: a two-sample test compares 2 levels of '%s', not %zu", f->name, o->nlevels);
  for (size_t j = 0; j < o->nlevels; j++) {
    size_t k = 0;
    while (k < n && strcmp(lab[k], o->levels[j]) != 0) k++;
    if (k == n) return peil_error(PEIL_ENOTFOUND, "--levels: no row used has level '%s' of column '%s'",
                                  o->levels[j], f->name);
    for (size_t i = 0; i < j; i++)
      if (strcmp(o->levels[i], o->levels[j]) == 0)
        return peil_error(PEIL_EINVAL, "--levels: level '%s' is named twice", o->levels[j]);
    for (size_t i = 0; i < n; i++)
      if (rank[i] == k) sel[j] = i;
  }
  *nsel = o->nlevels;
  return PEIL_OK;
}

static int finish_groups(reader *R, int two) {
  peil_stats_data *d = R->d;
  const factor *f = &R->fac[0];
  size_t n = f->n;
  if (!R->nfactors) {
    d->ngroups = 1;
    d->level = calloc(1, sizeof *d->level);
    d->n = calloc(1, sizeof *d->n);
    d->values = calloc(1, sizeof *d->values);
    if (!d->level || !d->n || !d->values || !(d->level[0] = strdup("all"))) return peil_error(PEIL_ENOMEM, "out of memory");
    if (R->gcap) d->values[0] = R->vals[0], d->n[0] = R->nvals[0], R->vals[0] = NULL;
    d->n_used = (int64_t)d->n[0];
    return PEIL_OK;
  }
  size_t *rank = calloc(n ? n : 1, sizeof *rank), *sel = calloc(n ? n : 1, sizeof *sel), nsel = 0;
  char **lab = NULL;
  int rc = rank && sel ? factor_finish(f, &lab, rank) : peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc) rc = select_levels(R, lab, rank, two, sel, &nsel);
  if (!rc) {
    d->level = calloc(nsel ? nsel : 1, sizeof *d->level);
    d->n = calloc(nsel ? nsel : 1, sizeof *d->n);
    d->values = calloc(nsel ? nsel : 1, sizeof *d->values);
    if (!d->level || !d->n || !d->values) rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  for (size_t j = 0; !rc && j < nsel; j++) {
    size_t l = sel[j];
    d->level[j] = lab[rank[l]], lab[rank[l]] = NULL;
    d->values[j] = R->vals[l], R->vals[l] = NULL;
    d->n[j] = R->nvals[l];
    d->n_used += (int64_t)d->n[j];
    d->ngroups = j + 1;
  }
  if (!rc) d->n_other = d->n_read - d->n_filtered - d->n_missing - d->n_used;
  for (size_t k = 0; lab && k < n; k++) free(lab[k]);
  free(lab), free(rank), free(sel);
  return rc;
}

static int finish_table(reader *R) {
  peil_stats_data *d = R->d;
  const factor *fr = &R->fac[0], *fc = &R->fac[1];
  size_t *rr = calloc(fr->n ? fr->n : 1, sizeof *rr), *rcol = calloc(fc->n ? fc->n : 1, sizeof *rcol);
  int rc = rr && rcol ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
  d->nrow = fr->n, d->ncol = fc->n; /* before the labels: freeing them needs the counts */
  if (!rc) rc = factor_finish(fr, &d->row_level, rr);
  if (!rc) rc = factor_finish(fc, &d->col_level, rcol);
  if (!rc) {
    if (!(d->count = calloc(d->nrow * d->ncol + 1, sizeof *d->count)))
      rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  for (size_t i = 0; !rc && i < fr->n; i++)
    for (size_t j = 0; j < fc->n; j++) {
      double c = R->cells[i * R->ccap + j];
      d->count[rr[i] * d->ncol + rcol[j]] = c;
      d->n_used += (int64_t)c;
    }
  free(rr), free(rcol);
  return rc;
}

static void reader_free(reader *R) {
  for (size_t i = 0; i < R->ncols; i++) free(R->cols[i]);
  free(R->cols);
  peil_expr_free(R->where), peil_expr_free(R->value);
  for (size_t l = 0; l < R->gcap; l++) free(R->vals[l]);
  free(R->vals), free(R->nvals), free(R->capvals), free(R->cells);
  for (size_t f = 0; f < R->nfactors; f++) factor_free(&R->fac[f]);
  peil_table_info_free(R->ti);
}

static int read_data(peil_store *s, const char *table, const peil_stats_data_options *o, int two, int tab,
                     peil_stats_data **out) {
  *out = NULL;
  reader R = {.store = s, .table = table, .o = o};
  if (!(R.d = calloc(1, sizeof *R.d))) return peil_error(PEIL_ENOMEM, "out of memory");
  int rc = prepare(&R, tab);
  if (!rc) rc = scan(&R, tab);
  peil_stats_data *d = R.d;
  if (!rc && d->n_read == d->n_filtered + d->n_missing)
    rc = peil_error(PEIL_EDATA, "no rows left in table '%s': %lld read, %lld filtered out, %lld with missing values",
                    table, (long long)d->n_read, (long long)d->n_filtered, (long long)d->n_missing);
  if (!rc) rc = tab ? finish_table(&R) : finish_groups(&R, two);
  reader_free(&R);
  if (rc) peil_stats_data_free(R.d);
  else *out = R.d;
  return rc;
}

int peil_stats_read_groups(peil_store *s, const char *table, const peil_stats_data_options *o, int two,
                           peil_stats_data **out) {
  return read_data(s, table, o, two, 0, out);
}

int peil_stats_read_table(peil_store *s, const char *table, const peil_stats_data_options *o,
                          peil_stats_data **out) {
  return read_data(s, table, o, 0, 1, out);
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

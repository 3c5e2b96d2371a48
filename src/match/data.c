/* The units of a matching problem: one pass over the table reads the
 * treatment, the formula's variables, the --exact columns, a user's score
 * and the outcomes of the rows that pass the filter, drops rows with a
 * missing value in any of the first four (counted by variable, as the model
 * frame does), and keeps the rest in memory. Then the levels of the
 * categorical variables (those present, in level order), the balance
 * columns (a factor as one 0/1 column per level) and the exact strata. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_internal.h"
#include "peil/expr.h"

typedef struct {
  char **v;
  size_t n, cap;
} name_list;

static int name_index(name_list *l, const char *name) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i], name) == 0) return (int)i;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    char **v = realloc(l->v, cap * sizeof *v);
    if (!v) return PEIL_ENOMEM;
    l->v = v, l->cap = cap;
  }
  if (!(l->v[l->n] = strdup(name))) return PEIL_ENOMEM;
  return (int)l->n++;
}

/* A growing array of doubles (one per kept row). */
typedef struct {
  double *v;
} dcol;

/* What one variable of the formula (or an --exact column) reads. */
typedef enum { SRC_ENUM, SRC_VALUE } src_kind;

typedef struct {
  src_kind kind;
  int col;              /* SRC_ENUM: the scanned column of codes */
  peil_expr *expr;      /* SRC_VALUE: evaluated (not owned for formula variables) */
  int is_factor;
  const peil_column_info *info; /* the column of a plain name, or NULL */
  double *v;            /* kept rows: codes or values */
} source;

typedef struct {
  peil_store *store;
  const char *table;
  const peil_match_load_options *o;
  peil_formula *f;
  peil_table_info *ti;
  name_list cols;
  peil_column_info *conv;   /* the scanned columns as expressions see them */
  peil_expr *where;
  peil_expr **exact_expr;
  size_t nsrc;              /* formula variables, then exact columns */
  source *src;
  int dist_col;
  int *out_col;
  /* kept rows */
  size_t n;
  int64_t *row;
  int8_t *treat;
  double *dist;
  double **out;
  /* accounting */
  size_t nreason;
  char **reason;
  int64_t *reason_count;
  peil_match_data *d;
} loader;

static int unknown(const loader *L, const char *what, const char *name) {
  char list[400] = "";
  size_t used = 0;
  for (size_t j = 0; j < L->ti->ncols && used < sizeof list - 40; j++)
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", L->ti->cols[j].name);
  return peil_error(PEIL_ENOTFOUND, "%s: unknown column '%s' in table '%s' (columns: %s)", what,
                    name, L->table, list);
}

static int is_number(peil_type t) {
  return t == PEIL_INT8 || t == PEIL_INT16 || t == PEIL_INT32 || t == PEIL_INT64 ||
         t == PEIL_FLOAT32 || t == PEIL_FLOAT64;
}

static int add_expr(loader *L, const char *what, const char *text, const peil_expr *e) {
  const char *const *names;
  size_t m = peil_expr_columns(e, &names);
  for (size_t i = 0; i < m; i++) {
    if (peil_table_info_find(L->ti, names[i]) < 0) return unknown(L, what, names[i]);
    if (name_index(&L->cols, names[i]) < 0) return peil_error(PEIL_ENOMEM, "out of memory");
  }
  (void)text;
  return PEIL_OK;
}

static int bind(loader *L, peil_expr *e) {
  const char *const *names;
  size_t m = peil_expr_columns(e, &names);
  const peil_column_info *ci[64];
  size_t slot[64];
  if (m > 64) return peil_error(PEIL_EINVAL, "'%s' uses more than 64 columns", peil_expr_text(e));
  for (size_t i = 0; i < m; i++) {
    int k = name_index(&L->cols, names[i]);
    ci[i] = &L->conv[k];
    slot[i] = (size_t)k;
  }
  return peil_expr_bind(e, ci, slot);
}

static int add_reason(loader *L, const char *label) {
  char **r = realloc(L->reason, (L->nreason + 1) * sizeof *r);
  if (!r) return PEIL_ENOMEM;
  L->reason = r;
  int64_t *c = realloc(L->reason_count, (L->nreason + 1) * sizeof *c);
  if (!c) return PEIL_ENOMEM;
  L->reason_count = c;
  if (!(L->reason[L->nreason] = strdup(label))) return PEIL_ENOMEM;
  L->reason_count[L->nreason++] = 0;
  return PEIL_OK;
}

/* Columns, bindings and sources before the pass. */
static int prepare(loader *L) {
  const peil_match_load_options *o = L->o;
  peil_formula *f = L->f;
  int rc = peil_store_table_info(L->store, L->table, &L->ti);
  if (rc) return rc;
  if (!f->response)
    return peil_error(PEIL_EINVAL, "formula '%s' has no treatment: write 'treat ~ x1 + x2'", f->text);
  if (f->noffsets) return peil_error(PEIL_EINVAL, "formula '%s': offsets have no meaning in matching", f->text);
  int tk = peil_table_info_find(L->ti, f->response_label);
  if (tk >= 0 && L->ti->cols[tk].type == PEIL_ENUM)
    return peil_error(PEIL_ETYPE, "treatment '%s' is categorical; give a 0/1 column or a condition "
                      "(e.g. %s == \"%s\")", f->response_label, f->response_label,
                      L->ti->cols[tk].nlevels ? L->ti->cols[tk].levels[0] : "level");
  /* Rows dropped for a missing value, by the first missing variable: the
   * treatment, the formula's variables, the exact columns, the score. */
  if ((rc = add_reason(L, f->response_label))) return rc;
  if ((rc = add_expr(L, "formula", f->text, f->response))) return rc;
  for (size_t v = 0; v < f->nvars; v++)
    if ((rc = add_expr(L, "formula", f->text, f->vars[v].expr))) return rc;
  L->exact_expr = calloc(o->nexact ? o->nexact : 1, sizeof *L->exact_expr);
  if (!L->exact_expr) return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t k = 0; k < o->nexact; k++) {
    if (peil_table_info_find(L->ti, o->exact[k]) < 0) return unknown(L, "--exact", o->exact[k]);
    if (name_index(&L->cols, o->exact[k]) < 0) return PEIL_ENOMEM;
  }
  L->dist_col = -1;
  if (o->distance_column) {
    int k = peil_table_info_find(L->ti, o->distance_column);
    if (k < 0) return unknown(L, "--distance", o->distance_column);
    if (!is_number(L->ti->cols[k].type))
      return peil_error(PEIL_ETYPE, "--distance %s: column of table '%s' is %s, not a number",
                        o->distance_column, L->table, peil_type_name(L->ti->cols[k].type));
    if ((L->dist_col = name_index(&L->cols, o->distance_column)) < 0) return PEIL_ENOMEM;
  }
  L->out_col = calloc(o->noutcomes ? o->noutcomes : 1, sizeof *L->out_col);
  if (!L->out_col) return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t k = 0; k < o->noutcomes; k++) {
    int j = peil_table_info_find(L->ti, o->outcomes[k]);
    if (j < 0) return unknown(L, "--outcome", o->outcomes[k]);
    peil_type t = L->ti->cols[j].type;
    if (!is_number(t) && t != PEIL_BOOL)
      return peil_error(PEIL_ETYPE, "--outcome %s: column of table '%s' is %s; an outcome is a "
                        "number or 0/1", o->outcomes[k], L->table, peil_type_name(t));
    if ((L->out_col[k] = name_index(&L->cols, o->outcomes[k])) < 0) return PEIL_ENOMEM;
  }
  if (o->where && *o->where) {
    if ((rc = peil_expr_parse(o->where, "--where", &L->where))) return rc;
    if ((rc = add_expr(L, "--where", o->where, L->where))) return rc;
  }

  size_t n = L->cols.n;
  if (!(L->conv = calloc(n, sizeof *L->conv))) return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t j = 0; j < n; j++) {
    L->conv[j] = L->ti->cols[peil_table_info_find(L->ti, L->cols.v[j])];
    if (is_number(L->conv[j].type)) L->conv[j].type = PEIL_FLOAT64;
  }
  if ((rc = bind(L, f->response))) return rc;
  for (size_t v = 0; v < f->nvars; v++)
    if ((rc = bind(L, f->vars[v].expr))) return rc;
  if (L->where) {
    if ((rc = bind(L, L->where))) return rc;
    if (!peil_expr_is_condition(L->where))
      return peil_error(PEIL_ETYPE, "--where '%s' is not a condition (write, e.g., age >= 18)", o->where);
  }

  /* Sources: the formula's variables, then the exact columns. */
  L->nsrc = f->nvars + o->nexact;
  if (!(L->src = calloc(L->nsrc ? L->nsrc : 1, sizeof *L->src))) return PEIL_ENOMEM;
  for (size_t v = 0; v < f->nvars; v++) {
    const peil_formula_var *fv = &f->vars[v];
    source *s = &L->src[v];
    s->kind = SRC_VALUE;
    s->expr = fv->expr;
    s->is_factor = fv->is_factor;
    if (fv->column) {
      int k = name_index(&L->cols, fv->column);
      s->info = &L->ti->cols[peil_table_info_find(L->ti, fv->column)];
      if (L->conv[k].type == PEIL_ENUM) s->kind = SRC_ENUM, s->col = k, s->is_factor = 1;
      else if (fv->is_factor && (s->info->type == PEIL_FLOAT32 || s->info->type == PEIL_FLOAT64))
        return peil_error(PEIL_ETYPE, "formula '%s': %s: column '%s' holds fractional numbers; "
                          "factor() takes integer, date, boolean or categorical columns",
                          f->text, fv->label, fv->column);
    }
    if ((rc = add_reason(L, fv->label))) return rc;
  }
  for (size_t k = 0; k < o->nexact; k++) {
    source *s = &L->src[f->nvars + k];
    int c = name_index(&L->cols, o->exact[k]);
    s->info = &L->ti->cols[peil_table_info_find(L->ti, o->exact[k])];
    s->is_factor = 1;
    if (L->conv[c].type == PEIL_ENUM) {
      s->kind = SRC_ENUM, s->col = c;
    } else {
      if (s->info->type == PEIL_FLOAT32 || s->info->type == PEIL_FLOAT64)
        return peil_error(PEIL_ETYPE, "--exact %s: column of table '%s' holds fractional numbers; "
                          "strata need integer, date, boolean or categorical columns",
                          o->exact[k], L->table);
      if ((rc = peil_expr_parse(o->exact[k], "--exact", &L->exact_expr[k]))) return rc;
      if ((rc = bind(L, L->exact_expr[k]))) return rc;
      s->kind = SRC_VALUE, s->expr = L->exact_expr[k];
    }
    if ((rc = add_reason(L, o->exact[k]))) return rc;
  }
  if (o->distance_column && (rc = add_reason(L, o->distance_column))) return rc;
  return PEIL_OK;
}

/* Room for every row of the table at once, in huge pages: no copies as
 * the units accumulate, and the pages of rows that are dropped are never
 * touched. */
static int alloc_units(loader *L, int64_t rows) {
  size_t n = (size_t)(rows > 0 ? rows : 1);
  int ok = (L->row = peil_alloc_large(n, sizeof *L->row)) != NULL;
  ok &= (L->treat = peil_alloc_large(n, sizeof *L->treat)) != NULL;
  if (L->dist_col >= 0) ok &= (L->dist = peil_alloc_large(n, sizeof *L->dist)) != NULL;
  for (size_t s = 0; s < L->nsrc; s++) ok &= (L->src[s].v = peil_alloc_large(n, sizeof *L->src[s].v)) != NULL;
  for (size_t k = 0; k < L->o->noutcomes; k++) ok &= (L->out[k] = peil_alloc_large(n, sizeof *L->out[k])) != NULL;
  return ok ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory holding %lld units", (long long)rows);
}

/* Non-0/1 treatment values: the first few, with their rows. */
static int bad_treatment(const loader *L, const double *t, const unsigned char *keep,
                         const peil_block *blk) {
  char list[400] = "";
  size_t used = 0, nbad = 0;
  for (size_t i = 0; i < blk->nrows; i++) {
    if (!keep[i] || t[i] == 0 || t[i] == 1) continue;
    if (nbad++ < 5)
      used += (size_t)snprintf(list + used, sizeof list - used, "%srow %lld has %.15g",
                               nbad > 1 ? ", " : "", (long long)(blk->start + (int64_t)i + 1), t[i]);
  }
  return peil_error(PEIL_EDATA, "treatment '%s' must be 0 or 1: %s%s (table '%s')",
                    L->f->response_label, list, nbad > 5 ? ", ..." : "", L->table);
}

static int read_rows(loader *L) {
  peil_match_data *d = L->d;
  peil_scan *sc = NULL;
  int rc = peil_scan_open(L->store, L->table, (const char *const *)L->cols.v, L->cols.n, 0, &sc);
  if (rc) return rc;
  peil_scan_set_threads(sc, L->o->threads);
  if ((rc = alloc_units(L, peil_scan_nrows(sc)))) {
    peil_scan_close(sc);
    return rc;
  }
  size_t nc = L->cols.n, bcap = 0;
  void **buf = calloc(nc, sizeof *buf);
  const void **view = calloc(nc, sizeof *view);
  double **val = calloc(L->nsrc + 2, sizeof *val); /* per source, treatment, where */
  unsigned char *keep = NULL;
  if (!buf || !view || !val) rc = peil_error(PEIL_ENOMEM, "out of memory");
  peil_block blk;
  while (!rc && (rc = peil_scan_next(sc, &blk)) == 1) {
    rc = PEIL_OK;
    size_t m = blk.nrows;
    if (m > bcap) {
      bcap = m;
      for (size_t j = 0; j < nc; j++) free(buf[j]), buf[j] = malloc(bcap * sizeof(double));
      for (size_t j = 0; j < L->nsrc + 2; j++) free(val[j]), val[j] = malloc(bcap * sizeof(double));
      free(keep);
      keep = malloc(bcap);
      int ok = keep != NULL;
      for (size_t j = 0; j < nc; j++) ok &= buf[j] != NULL;
      for (size_t j = 0; j < L->nsrc + 2; j++) ok &= val[j] != NULL;
      if (!ok) {
        rc = peil_error(PEIL_ENOMEM, "out of memory");
        break;
      }
    }
    for (size_t j = 0; j < nc; j++) {
      peil_type t = peil_scan_column(sc, j)->type;
      if (t == L->conv[j].type) view[j] = blk.cols[j];
      else peil_column_to_f64(t, blk.cols[j], m, buf[j]), view[j] = buf[j];
    }
    peil_block cb = {blk.start, m, view};
    d->n_read += (int64_t)m;
    memset(keep, 1, m);
    double *tr = val[L->nsrc], *wv = val[L->nsrc + 1];
    if (L->where) {
      if ((rc = peil_expr_eval(L->where, &cb, wv))) break;
      for (size_t i = 0; i < m; i++)
        if (wv[i] != 1) keep[i] = 0, d->n_filtered++;
    }
    if ((rc = peil_expr_eval(L->f->response, &cb, tr))) break;
    for (size_t i = 0; i < m; i++)
      if (keep[i] && isnan(tr[i])) keep[i] = 0, L->reason_count[0]++;
    size_t reason = 1;
    for (size_t s = 0; s < L->nsrc; s++, reason++) {
      source *S = &L->src[s];
      double *v = val[s];
      if (S->kind == SRC_ENUM) {
        const int32_t *c = view[S->col];
        for (size_t i = 0; i < m; i++) v[i] = c[i] == PEIL_NA_ENUM ? NAN : (double)c[i];
      } else if ((rc = peil_expr_eval(S->expr, &cb, v))) {
        break;
      }
      for (size_t i = 0; i < m; i++)
        if (keep[i] && isnan(v[i])) keep[i] = 0, L->reason_count[reason]++;
    }
    if (rc) break;
    const double *dist = L->dist_col >= 0 ? view[L->dist_col] : NULL;
    if (dist)
      for (size_t i = 0; i < m; i++)
        if (keep[i] && !isfinite(dist[i])) keep[i] = 0, L->reason_count[reason]++;
    for (size_t i = 0; i < m; i++)
      if (keep[i] && tr[i] != 0 && tr[i] != 1) {
        rc = bad_treatment(L, tr, keep, &blk);
        break;
      }
    if (rc) break;
    size_t nkeep = 0;
    for (size_t i = 0; i < m; i++) nkeep += keep[i];
    for (size_t i = 0, r = L->n; i < m; i++) {
      if (!keep[i]) continue;
      L->row[r] = blk.start + (int64_t)i;
      L->treat[r] = (int8_t)tr[i];
      for (size_t s = 0; s < L->nsrc; s++) L->src[s].v[r] = val[s][i];
      if (dist) L->dist[r] = dist[i];
      for (size_t k = 0; k < L->o->noutcomes; k++) {
        int c = L->out_col[k];
        L->out[k][r] = L->conv[c].type == PEIL_FLOAT64 ? ((const double *)view[c])[i]
                       : peil_value_is_missing(PEIL_BOOL, view[c], i) ? NAN
                                                                      : ((const int8_t *)view[c])[i];
      }
      r++;
    }
    L->n += nkeep;
  }
  if (rc > 0) rc = PEIL_OK;
  for (size_t j = 0; buf && j < nc; j++) free(buf[j]);
  for (size_t j = 0; val && j < L->nsrc + 2; j++) free(val[j]);
  free(buf), free(view), free(val), free(keep);
  peil_scan_close(sc);
  return rc;
}

/* The label of value v of a source (an enum code, a date, a number). */
static void value_label(const source *S, double v, char *buf, size_t n) {
  if (S->kind == SRC_ENUM && S->info && (size_t)v < S->info->nlevels)
    snprintf(buf, n, "%s", S->info->levels[(size_t)v]);
  else if (S->info && S->info->type == PEIL_DATE) {
    char day[16];
    peil_date_format((int32_t)v, day);
    snprintf(buf, n, "%s", day);
  } else if (S->info && S->info->type == PEIL_BOOL)
    snprintf(buf, n, "%s", v ? "TRUE" : "FALSE");
  else snprintf(buf, n, "%.15g", v);
}

/* The levels present of a categorical source, ascending (enum codes are
 * in level order), and each unit's level index. */
static int factor_levels(const loader *L, const source *S, peil_match_var *mv) {
  size_t n = L->n, nd = 0;
  double *u = NULL;
  mv->is_factor = 1;
  if (!(mv->code = peil_alloc_large(n, sizeof *mv->code))) return peil_error(PEIL_ENOMEM, "out of memory");
  int rc = match_distinct(S->v, n, &u, &nd, mv->code);
  if (rc) return rc;
  mv->nlevels = nd;
  mv->levels = calloc(nd ? nd : 1, sizeof *mv->levels);
  if (!mv->levels) rc = PEIL_ENOMEM;
  for (size_t k = 0; !rc && k < nd; k++) {
    char lab[256];
    value_label(S, u[k], lab, sizeof lab);
    if (!(mv->levels[k] = strdup(lab))) rc = PEIL_ENOMEM;
  }
  free(u);
  return rc ? peil_error(rc, "out of memory") : PEIL_OK;
}

/* The balance columns: a factor's levels as 0/1 columns, numbers as they are. */
static int make_covariates(peil_match_data *d) {
  size_t nc = 0;
  for (size_t v = 0; v < d->nvars; v++) nc += d->vars[v].is_factor ? d->vars[v].nlevels : 1;
  d->cov = calloc(nc ? nc : 1, sizeof *d->cov);
  if (!d->cov) return PEIL_ENOMEM;
  for (size_t v = 0; v < d->nvars; v++) {
    const peil_match_var *mv = &d->vars[v];
    size_t nl = mv->is_factor ? mv->nlevels : 1;
    for (size_t k = 0; k < nl; k++) {
      peil_match_covariate *c = &d->cov[d->ncov++];
      c->var = (int)v;
      c->level = mv->is_factor ? (int)k : -1;
      size_t len = strlen(mv->name) + (mv->is_factor ? strlen(mv->levels[k]) : 0) + 1;
      if (!(c->term = malloc(len)) || !(c->x = peil_alloc_large(d->n, sizeof *c->x))) return PEIL_ENOMEM;
      snprintf(c->term, len, "%s%s", mv->name, mv->is_factor ? mv->levels[k] : "");
      int binary = 1;
      for (size_t i = 0; i < d->n; i++) {
        double x = mv->is_factor ? (double)(mv->code[i] == (int32_t)k) : mv->x[i];
        c->x[i] = x;
        binary &= x == 0 || x == 1;
      }
      c->binary = binary;
    }
  }
  return PEIL_OK;
}

/* Strata of the --exact columns: the combinations present, numbered in
 * their sorted order (each column's level or value order), by refining
 * one column at a time as exact matching's strata are (strata.c). */
static int make_strata(loader *L) {
  peil_match_data *d = L->d;
  size_t ne = L->o->nexact, n = d->n, base = L->f->nvars;
  if (!ne) return PEIL_OK;
  if (!(d->stratum = peil_calloc_large(n, sizeof *d->stratum))) return PEIL_ENOMEM;
  int rc = PEIL_OK;
  d->nstrata = 1;
  for (size_t k = 0; !rc && k < ne; k++) rc = match_strata_refine(d->stratum, L->src[base + k].v, n, &d->nstrata);
  if (!rc && !(d->stratum_label = calloc(d->nstrata, sizeof *d->stratum_label))) rc = PEIL_ENOMEM;
  /* A stratum's label from its first unit. */
  for (size_t i = 0; !rc && i < n; i++) {
    int64_t s = d->stratum[i];
    if (d->stratum_label[s]) continue;
    char lab[1024];
    size_t used = 0;
    for (size_t k = 0; k < ne && used < sizeof lab; k++) {
      char v[256];
      value_label(&L->src[base + k], L->src[base + k].v[i], v, sizeof v);
      used += (size_t)snprintf(lab + used, sizeof lab - used, "%s%s=%s", k ? ", " : "", L->o->exact[k], v);
    }
    if (!(d->stratum_label[s] = strdup(lab))) rc = PEIL_ENOMEM;
  }
  return rc;
}

static void loader_free(loader *L) {
  peil_formula_free(L->f);
  peil_table_info_free(L->ti);
  for (size_t i = 0; i < L->cols.n; i++) free(L->cols.v[i]);
  free(L->cols.v);
  free(L->conv);
  peil_expr_free(L->where);
  for (size_t k = 0; L->exact_expr && k < L->o->nexact; k++) peil_expr_free(L->exact_expr[k]);
  free(L->exact_expr);
  for (size_t s = 0; s < L->nsrc; s++) free(L->src[s].v);
  free(L->src);
  free(L->out_col);
  free(L->row), free(L->treat), free(L->dist);
  for (size_t k = 0; L->out && k < L->o->noutcomes; k++) free(L->out[k]);
  free(L->out);
  for (size_t r = 0; r < L->nreason; r++) free(L->reason[r]);
  free(L->reason), free(L->reason_count);
}

/* Moves the kept rows into d and derives levels, covariates and strata. */
static int finish(loader *L) {
  peil_match_data *d = L->d;
  const peil_formula *f = L->f;
  d->n = L->n;
  d->row = L->row, L->row = NULL;
  d->treat = L->treat, L->treat = NULL;
  d->user_distance = L->dist, L->dist = NULL;
  d->nout = L->o->noutcomes;
  d->outcome = L->out, L->out = NULL;
  if (!(d->outcome_name = calloc(d->nout ? d->nout : 1, sizeof *d->outcome_name))) return PEIL_ENOMEM;
  for (size_t k = 0; k < d->nout; k++)
    if (!(d->outcome_name[k] = strdup(L->o->outcomes[k]))) return PEIL_ENOMEM;
  for (size_t i = 0; i < d->n; i++) d->n_treated += d->treat[i] == 1;
  d->n_control = d->n - d->n_treated;
  /* Accounting: every reason, also those that dropped nothing. */
  for (size_t r = 0; r < L->nreason; r++) d->n_missing += L->reason_count[r];
  d->nmissing_by = L->nreason;
  d->missing_by = L->reason, L->reason = NULL;
  d->missing_count = L->reason_count, L->reason_count = NULL;
  L->nreason = 0;

  d->nvars = f->nvars;
  if (!(d->vars = calloc(f->nvars ? f->nvars : 1, sizeof *d->vars))) return PEIL_ENOMEM;
  for (size_t v = 0; v < f->nvars; v++) {
    peil_match_var *mv = &d->vars[v];
    source *S = &L->src[v];
    if (!(mv->name = strdup(f->vars[v].label))) return PEIL_ENOMEM;
    int rc;
    if (S->is_factor) {
      if ((rc = factor_levels(L, S, mv))) return rc;
    } else {
      mv->x = S->v, S->v = NULL;
    }
  }
  int rc = make_covariates(d);
  if (!rc) rc = make_strata(L);
  return rc ? peil_error(rc, "out of memory") : PEIL_OK;
}

int peil_match_data_load(peil_store *s, const char *table, const peil_match_load_options *o,
                         peil_match_data **out) {
  *out = NULL;
  if (!o->formula || !*o->formula) return peil_error(PEIL_EINVAL, "matching needs a formula 'treat ~ x1 + x2'");
  loader L;
  memset(&L, 0, sizeof L);
  L.store = s, L.table = table, L.o = o;
  peil_match_data *d = calloc(1, sizeof *d);
  if (!d) return peil_error(PEIL_ENOMEM, "out of memory");
  L.d = d;
  int rc = peil_formula_parse(o->formula, &L.f);
  if (!rc) rc = prepare(&L);
  if (!rc && o->noutcomes && !(L.out = calloc(o->noutcomes, sizeof *L.out))) rc = peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc) rc = read_rows(&L);
  if (!rc) rc = finish(&L);
  if (!rc && d->n == 0)
    rc = peil_error(PEIL_EDATA, "no rows of table '%s' left for matching (%lld read, %lld filtered "
                    "out, %lld with a missing value)", table, (long long)d->n_read,
                    (long long)d->n_filtered, (long long)d->n_missing);
  if (!rc && (d->n_treated == 0 || d->n_control == 0))
    rc = peil_error(PEIL_EDATA, "treatment '%s' of table '%s' has no %s: %zu rows, all %s",
                    L.f->response_label, table, d->n_treated ? "controls (0)" : "treated units (1)",
                    d->n, d->n_treated ? "treated" : "controls");
  loader_free(&L);
  if (rc) {
    peil_match_data_free(d);
    return rc;
  }
  *out = d;
  return PEIL_OK;
}

void peil_match_data_free(peil_match_data *d) {
  if (!d) return;
  free(d->row), free(d->treat);
  for (size_t v = 0; d->vars && v < d->nvars; v++) {
    peil_match_var *mv = &d->vars[v];
    free(mv->name);
    for (size_t k = 0; mv->levels && k < mv->nlevels; k++) free(mv->levels[k]);
    free(mv->levels), free(mv->code), free(mv->x);
  }
  free(d->vars);
  for (size_t c = 0; d->cov && c < d->ncov; c++) free(d->cov[c].term), free(d->cov[c].x);
  free(d->cov);
  for (size_t k = 0; k < d->nout; k++) {
    if (d->outcome_name) free(d->outcome_name[k]);
    if (d->outcome) free(d->outcome[k]);
  }
  free(d->outcome_name), free(d->outcome);
  free(d->stratum);
  for (size_t k = 0; d->stratum_label && k < d->nstrata; k++) free(d->stratum_label[k]);
  free(d->stratum_label);
  free(d->user_distance);
  for (size_t r = 0; d->missing_by && r < d->nmissing_by; r++) free(d->missing_by[r]);
  free(d->missing_by), free(d->missing_count);
  free(d);
}

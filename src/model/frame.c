/* The model frame: one pass over the table reads the columns a model uses,
 * applies the --where filter, drops rows with a missing value in any used
 * variable (counting them by variable, as R's na.omit would drop them),
 * checks the outcome and weights, and caches the used rows in memory. The
 * levels of categorical variables are then taken from the used rows only
 * (R's drop.unused.levels), with the reference level first. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmap.h"
#include "model_internal.h"

/* Most distinct values factor(x) may turn into levels. */
#define FACTOR_MAX_LEVELS 10000

typedef struct {
  char **names;
  size_t n, cap;
} name_list;

static int names_add(name_list *l, const char *name) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->names[i], name) == 0) return (int)i;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    char **v = realloc(l->names, cap * sizeof *v);
    if (!v) return PEIL_ENOMEM;
    l->names = v;
    l->cap = cap;
  }
  if (!(l->names[l->n] = strdup(name))) return PEIL_ENOMEM;
  return (int)l->n++;
}

static void names_free(name_list *l) {
  for (size_t i = 0; i < l->n; i++) free(l->names[i]);
  free(l->names);
}

static int add_expr_columns(name_list *l, const peil_expr *e) {
  const char *const *cols;
  size_t n = peil_expr_columns(e, &cols);
  for (size_t i = 0; i < n; i++)
    if (names_add(l, cols[i]) < 0) return peil_error(PEIL_ENOMEM, "out of memory");
  return PEIL_OK;
}

/* Edit distance, for "did you mean". */
static size_t distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return 99;
  size_t d[65][65];
  for (size_t i = 0; i <= la; i++) d[i][0] = i;
  for (size_t j = 0; j <= lb; j++) d[0][j] = j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      size_t c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
      d[i][j] = c;
    }
  return d[la][lb];
}

static int unknown_column(const peil_table_info *ti, const char *table, const char *what,
                          const char *text, const char *name) {
  const char *best = NULL;
  size_t bestd = 3;
  for (size_t j = 0; j < ti->ncols; j++) {
    size_t dd = distance(name, ti->cols[j].name);
    if (dd < bestd) bestd = dd, best = ti->cols[j].name;
  }
  char hint[160] = "";
  if (best) snprintf(hint, sizeof hint, " (did you mean '%s'?)", best);
  return peil_error(PEIL_ENOTFOUND, "%s '%s': unknown column '%s' in table '%s'%s", what, text,
                    name, table, hint);
}

/* text: what the user wrote (the whole formula, the filter). */
static int check_expr_columns(const peil_table_info *ti, const char *table, const char *what,
                              const char *text, const peil_expr *e) {
  const char *const *cols;
  size_t n = peil_expr_columns(e, &cols);
  for (size_t i = 0; i < n; i++)
    if (peil_table_info_find(ti, cols[i]) < 0) return unknown_column(ti, table, what, text, cols[i]);
  return PEIL_OK;
}

/* A variable that is just a column (no function or factor()): its
 * missing values can be found without evaluating it. */
static int plain_column(const peil_formula_var *fv) {
  return fv->column && !fv->is_factor && strcmp(peil_expr_text(fv->expr), fv->column) == 0;
}

static int is_number_type(peil_type t) {
  return t == PEIL_INT8 || t == PEIL_INT16 || t == PEIL_INT32 || t == PEIL_INT64 ||
         t == PEIL_FLOAT32 || t == PEIL_FLOAT64;
}

/* Frame columns hold numbers as float64: an expression then sees one type,
 * and a marginal effect can move an integer column by a fraction. */
static peil_type frame_type(peil_type t) { return is_number_type(t) ? PEIL_FLOAT64 : t; }

/* Everything the single pass needs, beyond the frame itself. */
typedef struct {
  peil_store *store;
  const char *table;
  const frame_request *req;
  const peil_formula *f;
  model_frame *fr;
  peil_table_info *ti;
  name_list cols;            /* the first fr->ncols are cached */
  peil_column_info *conv;    /* column infos with frame types, all columns */
  const peil_column_info **conv_ptr;
  peil_expr *where;
  int weights_col, cluster_col;
  int response_enum;         /* the outcome is a categorical column */
  int64_t cap;               /* rows the cache can hold */
  /* Missing-value accounting: reasons in the order they are tested. */
  size_t nreason;
  char **reason;
  int64_t *reason_count;
  dmap clusters;
} frame_ctx;

static int add_reason(frame_ctx *x, const char *label) {
  char **r = realloc(x->reason, (x->nreason + 1) * sizeof *r);
  if (!r) return PEIL_ENOMEM;
  x->reason = r;
  int64_t *c = realloc(x->reason_count, (x->nreason + 1) * sizeof *c);
  if (!c) return PEIL_ENOMEM;
  x->reason_count = c;
  if (!(x->reason[x->nreason] = strdup(label))) return PEIL_ENOMEM;
  x->reason_count[x->nreason++] = 0;
  return PEIL_OK;
}

/* Sets up columns, types and bindings before the pass. */
static int prepare(frame_ctx *x) {
  const frame_request *req = x->req;
  const peil_glm_options *o = req->opt;
  const peil_formula *f = x->f;
  model_frame *fr = x->fr;
  int rc = peil_store_table_info(x->store, x->table, &x->ti);
  if (rc) return rc;
  const peil_table_info *ti = x->ti;

  if (!f->response)
    return peil_error(PEIL_EINVAL, "formula '%s' has no outcome: write 'y ~ x1 + x2'", f->text);
  /* Columns used by the right-hand side come first: they are cached. */
  for (size_t v = 0; v < f->nvars; v++) {
    if ((rc = check_expr_columns(ti, x->table, "formula", f->text, f->vars[v].expr))) return rc;
    if ((rc = add_expr_columns(&x->cols, f->vars[v].expr))) return rc;
  }
  fr->ncols = x->cols.n;
  if ((rc = check_expr_columns(ti, x->table, "formula", f->text, f->response))) return rc;
  if ((rc = add_expr_columns(&x->cols, f->response))) return rc;
  for (size_t k = 0; k < f->noffsets; k++) {
    if ((rc = check_expr_columns(ti, x->table, "formula", f->text, f->offsets[k]))) return rc;
    if ((rc = add_expr_columns(&x->cols, f->offsets[k]))) return rc;
  }
  x->weights_col = x->cluster_col = -1;
  if (o->weights) {
    if (peil_table_info_find(ti, o->weights) < 0)
      return unknown_column(ti, x->table, "--weights", o->weights, o->weights);
    if ((x->weights_col = names_add(&x->cols, o->weights)) < 0) return PEIL_ENOMEM;
  }
  if (o->cluster) {
    if (peil_table_info_find(ti, o->cluster) < 0)
      return unknown_column(ti, x->table, "--cluster", o->cluster, o->cluster);
    if ((x->cluster_col = names_add(&x->cols, o->cluster)) < 0) return PEIL_ENOMEM;
  }
  if (o->where && *o->where) {
    if ((rc = peil_expr_parse(o->where, "--where", &x->where))) return rc;
    if ((rc = check_expr_columns(ti, x->table, "--where", o->where, x->where))) return rc;
    if ((rc = add_expr_columns(&x->cols, x->where))) return rc;
  }

  size_t n = x->cols.n;
  x->conv = calloc(n, sizeof *x->conv);
  x->conv_ptr = calloc(n, sizeof *x->conv_ptr);
  if (!x->conv || !x->conv_ptr) return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t j = 0; j < n; j++) {
    x->conv[j] = ti->cols[peil_table_info_find(ti, x->cols.names[j])];
    x->conv[j].type = frame_type(x->conv[j].type);
  }
  /* Expressions see the columns in slot order of the name list. */
  for (size_t j = 0; j < n; j++) x->conv_ptr[j] = &x->conv[j];
  const char *const *names;
#define BIND(e)                                                                          \
  do {                                                                                   \
    size_t m_ = peil_expr_columns((e), &names);                                          \
    const peil_column_info *ci_[64];                                                     \
    size_t sl_[64];                                                                      \
    if (m_ > 64) return peil_error(PEIL_EINVAL, "'%s' uses more than 64 columns", peil_expr_text(e)); \
    for (size_t i_ = 0; i_ < m_; i_++) {                                                 \
      int k_ = names_add(&x->cols, names[i_]);                                           \
      ci_[i_] = x->conv_ptr[k_];                                                         \
      sl_[i_] = (size_t)k_;                                                              \
    }                                                                                    \
    if ((rc = peil_expr_bind((e), ci_, sl_))) return rc;                                 \
  } while (0)
  for (size_t v = 0; v < f->nvars; v++) BIND(f->vars[v].expr);
  BIND(f->response);
  for (size_t k = 0; k < f->noffsets; k++) BIND(f->offsets[k]);
  if (x->where) {
    BIND(x->where);
    if (!peil_expr_is_condition(x->where))
      return peil_error(PEIL_ETYPE, "--where '%s' is not a condition (write, e.g., age >= 18)",
                        o->where);
  }
#undef BIND

  /* Variables: categorical or numeric. */
  fr->nvars = f->nvars;
  fr->vars = calloc(f->nvars ? f->nvars : 1, sizeof *fr->vars);
  if (!fr->vars) return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t v = 0; v < f->nvars; v++) {
    const peil_formula_var *fv = &f->vars[v];
    model_var *mv = &fr->vars[v];
    mv->fv = fv;
    mv->raw = -1;
    mv->kind = VAR_NUMERIC;
    if (fv->column) {
      int k = names_add(&x->cols, fv->column); /* there already: its index */
      mv->raw = k;
      peil_type t = x->conv[k].type;
      if (t == PEIL_ENUM || t == PEIL_BOOL) mv->kind = VAR_FACTOR;
      else if (fv->is_factor) {
        peil_type orig = ti->cols[peil_table_info_find(ti, fv->column)].type;
        if (orig == PEIL_FLOAT32 || orig == PEIL_FLOAT64)
          return peil_error(PEIL_ETYPE,
                            "formula '%s': %s: column '%s' holds fractional numbers (%s); factor() "
                            "takes integer, date, boolean or categorical columns",
                            f->text, fv->label, fv->column, peil_type_name(orig));
        mv->kind = VAR_FACTOR;
      }
    } else if (peil_expr_is_condition(fv->expr)) {
      mv->kind = VAR_FACTOR; /* a logical, as R codes I(age > 30): FALSE/TRUE */
    }
    mv->plain = mv->kind == VAR_NUMERIC && plain_column(fv) && x->conv[mv->raw].type == PEIL_FLOAT64;
  }

  /* The outcome. */
  const char *rl = f->response_label;
  int rk = peil_table_info_find(ti, rl);
  if (rk >= 0 && ti->cols[rk].type == PEIL_ENUM) {
    if (req->family->family != PEIL_BINOMIAL)
      return peil_error(PEIL_ETYPE,
                        "outcome '%s' is categorical; a %s model needs a numeric outcome", rl,
                        req->family->family_name);
    x->response_enum = 1;
  }

  /* Missing-value reasons, in the order rows are tested. */
  if (add_reason(x, rl)) return PEIL_ENOMEM;
  for (size_t v = 0; v < f->nvars; v++)
    if (add_reason(x, f->vars[v].label)) return PEIL_ENOMEM;
  for (size_t k = 0; k < f->noffsets; k++) {
    char lab[512];
    snprintf(lab, sizeof lab, "offset(%s)", peil_expr_text(f->offsets[k]));
    if (add_reason(x, lab)) return PEIL_ENOMEM;
  }
  if (o->weights && add_reason(x, o->weights)) return PEIL_ENOMEM;
  if (o->cluster && add_reason(x, o->cluster)) return PEIL_ENOMEM;
  return PEIL_OK;
}

int frame_find(const model_frame *fr, const char *name) {
  for (size_t j = 0; j < fr->ncols; j++)
    if (strcmp(fr->info[j].name, name) == 0) return (int)j;
  return -1;
}

/* A scanned block in frame types: columns whose type does not change are
 * used in place, the others converted into buf. */
static void convert_block(const frame_ctx *x, const peil_block *blk, const peil_scan *sc,
                          void **buf, const void **view) {
  for (size_t j = 0; j < x->cols.n; j++) {
    peil_type t = peil_scan_column(sc, j)->type;
    if (t == x->conv[j].type) {
      view[j] = blk->cols[j];
    } else {
      peil_column_to_f64(t, blk->cols[j], blk->nrows, buf[j]);
      view[j] = buf[j];
    }
  }
}

/* Drops (keep = 0) the kept rows where v is missing, counting them. A
 * first loop without branches (it vectorises) finds whether there are any. */
static void drop_missing(frame_ctx *x, size_t reason, const double *v, unsigned char *keep,
                         size_t n) {
  int any = 0;
  for (size_t i = 0; i < n; i++) any |= isnan(v[i]);
  if (!any) return;
  for (size_t i = 0; i < n; i++)
    if (keep[i] && isnan(v[i])) keep[i] = 0, x->reason_count[reason]++;
}

/* The same for a column in its own type. */
static void drop_missing_raw(frame_ctx *x, size_t reason, peil_type t, const void *col,
                             unsigned char *keep, size_t n) {
  int any = 0;
#define ANY(T, NA)                                                      \
  do {                                                                  \
    const T *c_ = col;                                                  \
    for (size_t i = 0; i < n; i++) any |= c_[i] == (NA);                \
  } while (0)
  switch (t) {
  case PEIL_FLOAT64: drop_missing(x, reason, col, keep, n); return;
  case PEIL_INT8: ANY(int8_t, PEIL_NA_INT8); break;
  case PEIL_BOOL: ANY(int8_t, PEIL_NA_BOOL); break;
  case PEIL_INT16: ANY(int16_t, PEIL_NA_INT16); break;
  case PEIL_INT32: ANY(int32_t, PEIL_NA_INT32); break;
  case PEIL_DATE: ANY(int32_t, PEIL_NA_DATE); break;
  case PEIL_ENUM: ANY(int32_t, PEIL_NA_ENUM); break;
  default: any = 1;
  }
#undef ANY
  if (!any) return;
  for (size_t i = 0; i < n; i++)
    if (keep[i] && peil_value_is_missing(t, col, i)) keep[i] = 0, x->reason_count[reason]++;
}

/* Appends the kept rows of a column to dst. */
static void compact(void *dst, const void *src, size_t sz, const unsigned char *keep, size_t m,
                    size_t nkeep) {
  if (nkeep == m) {
    memcpy(dst, src, m * sz);
    return;
  }
  size_t k = 0;
  switch (sz) {
  case 8:
    for (size_t i = 0; i < m; i++)
      if (keep[i]) ((uint64_t *)dst)[k++] = ((const uint64_t *)src)[i];
    break;
  case 4:
    for (size_t i = 0; i < m; i++)
      if (keep[i]) ((uint32_t *)dst)[k++] = ((const uint32_t *)src)[i];
    break;
  default:
    for (size_t i = 0; i < m; i++)
      if (keep[i]) memcpy((char *)dst + sz * k++, (const char *)src + sz * i, sz);
  }
}

/* Appends the enum codes of the kept rows, narrowed to int8 or int16. */
static void compact_codes(void *dst, peil_type stored, const int32_t *src,
                          const unsigned char *keep, size_t m) {
  size_t k = 0;
  if (stored == PEIL_INT8) {
    int8_t *d = dst;
    for (size_t i = 0; i < m; i++) {
      d[k] = (int8_t)src[i];
      k += keep[i];
    }
  } else {
    int16_t *d = dst;
    for (size_t i = 0; i < m; i++) {
      d[k] = (int16_t)src[i];
      k += keep[i];
    }
  }
}

/* Lists the first offending outcome values of a block. */
static int bad_outcome(const frame_ctx *x, const double *y, const unsigned char *keep,
                       const peil_block *blk, int (*ok)(const frame_ctx *, double)) {
  char list[512] = "";
  size_t used = 0, nbad = 0;
  for (size_t i = 0; i < blk->nrows; i++) {
    if (!keep[i] || ok(x, y[i])) continue;
    if (nbad++ < 5)
      used += (size_t)snprintf(list + used, sizeof list - used, "%srow %lld has %.15g",
                               nbad > 1 ? ", " : "", (long long)(blk->start + (int64_t)i + 1), y[i]);
  }
  const peil_family *fam = x->req->family;
  const char *need = fam->family == PEIL_POISSON ? "counts (0 or more)"
                     : x->req->binary_y_required
                         ? "0 or 1 (proportions need --weights with the number of trials)"
                         : "proportions between 0 and 1";
  return peil_error(PEIL_EDATA, "outcome '%s' of a %s model must be %s: %s%s (table '%s')",
                    x->f->response_label, fam->family_name, need, list, nbad > 5 ? ", ..." : "",
                    x->table);
}

static int y_ok(const frame_ctx *x, double y) {
  if (x->req->family->family == PEIL_POISSON) return y >= 0;
  if (x->req->family->family == PEIL_BINOMIAL)
    return x->req->binary_y_required ? (y == 0 || y == 1) : (y >= 0 && y <= 1);
  return isfinite(y);
}

/* Room for every row of the table at once: no copies as the cache fills,
 * and pages that filtered-out rows would have used are never touched. */
static int alloc_cache(frame_ctx *x, int64_t rows) {
  model_frame *fr = x->fr;
  const peil_glm_options *o = x->req->opt;
  size_t n = (size_t)(rows > 0 ? rows : 1);
  int ok = 1;
  for (size_t j = 0; j < fr->ncols; j++) ok &= (fr->data[j] = peil_alloc_large(n, peil_type_size(fr->stored[j]))) != NULL;
  ok &= (fr->y = peil_alloc_large(n, sizeof *fr->y)) != NULL;
  if (o->weights) ok &= (fr->w = peil_alloc_large(n, sizeof *fr->w)) != NULL;
  if (x->f->noffsets) ok &= (fr->off = peil_alloc_large(n, sizeof *fr->off)) != NULL;
  if (o->cluster) ok &= (fr->cluster = peil_alloc_large(n, sizeof *fr->cluster)) != NULL;
  if (o->fitted_rows) ok &= (fr->rowid = peil_alloc_large(n, sizeof *fr->rowid)) != NULL;
  if (!ok) return peil_error(PEIL_ENOMEM, "out of memory caching %lld rows", (long long)rows);
  x->cap = (int64_t)n;
  return PEIL_OK;
}

/* The pass: filter, test, compact and cache. */
static int read_rows(frame_ctx *x) {
  model_frame *fr = x->fr;
  const peil_formula *f = x->f;
  const peil_glm_options *o = x->req->opt;
  peil_scan *sc = NULL;
  int rc = peil_scan_open(x->store, x->table, (const char *const *)x->cols.names, x->cols.n, 0, &sc);
  if (rc) return rc;
  peil_scan_set_threads(sc, o->threads); /* the fit's threads decode the columns too */
  int omp_before = model_scan_threads(o->threads), nthreads = model_threads(o->threads);
  size_t n = x->cols.n, cap = 0;
  void **buf = calloc(n, sizeof *buf);
  const void **view = calloc(n, sizeof *view);
  double *y = NULL, *v = NULL, *off = NULL, *wt = NULL;
  unsigned char *keep = NULL;
  if (!buf || !view || (o->cluster && dmap_init(&x->clusters))) {
    rc = peil_error(PEIL_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = alloc_cache(x, x->ti->nrows))) goto done;
  peil_block blk;
  while (!rc && (rc = peil_scan_next(sc, &blk)) == 1) {
    rc = PEIL_OK;
    size_t m = blk.nrows;
    if (m > cap) {
      cap = m;
      for (size_t j = 0; j < n; j++) {
        free(buf[j]);
        if (!(buf[j] = malloc(cap * 8))) rc = PEIL_ENOMEM;
      }
      free(y), free(v), free(off), free(wt), free(keep);
      y = malloc(cap * sizeof *y), v = malloc(cap * sizeof *v), off = malloc(cap * sizeof *off);
      wt = malloc(cap * sizeof *wt), keep = malloc(cap);
      if (rc || !y || !v || !off || !wt || !keep) {
        rc = peil_error(PEIL_ENOMEM, "out of memory");
        break;
      }
    }
    convert_block(x, &blk, sc, buf, view);
    peil_block cb = {blk.start, m, view};
    fr->n_read += (int64_t)m;
    memset(keep, 1, m);
    if (x->where) {
      if ((rc = peil_expr_eval(x->where, &cb, v))) break;
      for (size_t i = 0; i < m; i++)
        if (v[i] != 1) keep[i] = 0, fr->n_filtered++;
    }
    size_t reason = 0;
    if ((rc = peil_expr_eval(f->response, &cb, y))) break;
    drop_missing(x, reason++, y, keep, m);
    for (size_t k = 0; k < f->nvars; k++, reason++) {
      const model_var *mv = &fr->vars[k];
      if ((mv->kind == VAR_FACTOR && x->conv[mv->raw].type == PEIL_ENUM) || plain_column(mv->fv)) {
        drop_missing_raw(x, reason, x->conv[mv->raw].type, view[mv->raw], keep, m);
      } else {
        if ((rc = peil_expr_eval(f->vars[k].expr, &cb, v))) break;
        drop_missing(x, reason, v, keep, m);
      }
    }
    if (rc) break;
    if (f->noffsets) {
      for (size_t i = 0; i < m; i++) off[i] = 0;
      for (size_t k = 0; k < f->noffsets; k++, reason++) {
        if ((rc = peil_expr_eval(f->offsets[k], &cb, v))) break;
        for (size_t i = 0; i < m; i++) off[i] += v[i];
        drop_missing(x, reason, v, keep, m);
      }
      if (rc) break;
    }
    if (o->weights) {
      peil_column_to_f64(x->conv[x->weights_col].type, view[x->weights_col], m, wt);
      drop_missing(x, reason++, wt, keep, m);
      for (size_t i = 0; i < m; i++) {
        if (!keep[i]) continue;
        if (wt[i] < 0 || !isfinite(wt[i])) {
          rc = peil_error(PEIL_EDATA, "--weights %s: weight %.15g at row %lld of table '%s'; "
                          "weights must be zero or positive", o->weights, wt[i],
                          (long long)(blk.start + (int64_t)i + 1), x->table);
          break;
        }
        if (o->weight_type == PEIL_WEIGHTS_FREQUENCY && wt[i] != floor(wt[i])) {
          rc = peil_error(PEIL_EDATA, "--weights %s: frequency weight %.15g at row %lld of table "
                          "'%s' is not a whole number (use --weight-type sampling for "
                          "sampling weights)", o->weights, wt[i],
                          (long long)(blk.start + (int64_t)i + 1), x->table);
          break;
        }
        if (wt[i] == 0) keep[i] = 0, fr->n_zero_weight++;
      }
      if (rc) break;
    }
    if (o->cluster) {
      peil_column_to_f64(x->conv[x->cluster_col].type, view[x->cluster_col], m, v);
      drop_missing(x, reason++, v, keep, m);
    }
    if (!x->response_enum) {
      for (size_t i = 0; i < m; i++)
        if (keep[i] && !y_ok(x, y[i])) {
          rc = bad_outcome(x, y, keep, &blk, y_ok);
          break;
        }
      if (rc) break;
    }
    /* Compact the kept rows into the cache. */
    size_t nkeep = 0;
    for (size_t i = 0; i < m; i++) nkeep += keep[i];
    if (fr->n + (int64_t)nkeep > x->cap) {
      rc = peil_error(PEIL_EINTERNAL, "table '%s' has more rows than it said", x->table);
      break;
    }
    int64_t at = fr->n;
    /* The columns in parallel: the first touch of the cache's pages (the
     * kernel zeroing them) is most of this. Task ncols copies the outcome,
     * weights, offsets and clusters (in row order: cluster numbers are
     * given in order of appearance). */
    const int ncols = (int)fr->ncols;
    int rc_rows = PEIL_OK;
#pragma omp parallel for num_threads(nthreads) schedule(dynamic, 1)
    for (int j = 0; j <= ncols; j++) {
      if (j < ncols) { /* stored types: from the scanned block */
        size_t sz = peil_type_size(fr->stored[j]);
        void *dst = (char *)fr->data[j] + (size_t)at * sz;
        if (fr->info[j].type == PEIL_ENUM && fr->stored[j] != PEIL_ENUM)
          compact_codes(dst, fr->stored[j], blk.cols[j], keep, m);
        else compact(dst, blk.cols[j], sz, keep, m, nkeep);
        continue;
      }
      for (size_t i = 0, r = (size_t)at; i < m; i++) {
        if (!keep[i]) continue;
        fr->y[r] = y[i];
        if (fr->rowid) fr->rowid[r] = blk.start + (int64_t)i;
        if (fr->w) fr->w[r] = wt[i];
        if (fr->off) fr->off[r] = off[i];
        if (fr->cluster) {
          int64_t c = dmap_put(&x->clusters, v[i]);
          if (c < 0 || c > INT32_MAX) {
            rc_rows = PEIL_ENOMEM;
            break;
          }
          fr->cluster[r] = (int32_t)c;
        }
        r++;
      }
    }
    if (rc_rows) {
      rc = peil_error(PEIL_ENOMEM, "too many clusters in column '%s'", o->cluster);
      break;
    }
    fr->n += (int64_t)nkeep;
  }
  if (rc > 0) rc = PEIL_OK;
  if (!rc && fr->cluster) fr->nclusters = (int64_t)x->clusters.n;
done:
  omp_set_num_threads(omp_before);
  for (size_t j = 0; j < n; j++) free(buf ? buf[j] : NULL);
  free(buf), free(view), free(y), free(v), free(off), free(wt), free(keep);
  peil_scan_close(sc);
  return rc;
}

void frame_widen_codes(peil_type stored, const void *src, size_t n, int32_t *dst) {
  if (stored == PEIL_INT8) {
    const int8_t *v = src;
    for (size_t i = 0; i < n; i++) dst[i] = v[i];
  } else if (stored == PEIL_INT16) {
    const int16_t *v = src;
    for (size_t i = 0; i < n; i++) dst[i] = v[i];
  } else {
    memcpy(dst, src, n * sizeof *dst);
  }
}

void frame_codes(const model_frame *fr, size_t j, int64_t start, size_t n, int32_t *dst) {
  peil_type t = fr->stored[j];
  frame_widen_codes(t, (const char *)fr->data[j] + (size_t)start * peil_type_size(t), n, dst);
}

void frame_block_view(const model_frame *fr, int64_t start, size_t n, const void **cols,
                      double *conv, size_t cap) {
  for (size_t j = 0; j < fr->ncols; j++) {
    const void *src = (const char *)fr->data[j] + (size_t)start * peil_type_size(fr->stored[j]);
    if (fr->stored[j] == fr->info[j].type) {
      cols[j] = src;
    } else if (fr->info[j].type == PEIL_ENUM) {
      frame_widen_codes(fr->stored[j], src, n, (int32_t *)(conv + j * cap));
      cols[j] = conv + j * cap;
    } else {
      peil_column_to_f64(fr->stored[j], src, n, conv + j * cap);
      cols[j] = conv + j * cap;
    }
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int set_level_labels(model_var *mv, const peil_column_info *ci, int logical) {
  for (size_t k = 0; k < mv->nlevels; k++) {
    char buf[64];
    double val = mv->level_value[k];
    if (logical || (ci && ci->type == PEIL_BOOL)) snprintf(buf, sizeof buf, "%s", val ? "TRUE" : "FALSE");
    else if (ci && ci->type == PEIL_DATE) peil_date_format((int32_t)val, buf);
    else snprintf(buf, sizeof buf, "%.15g", val);
    if (!(mv->labels[k] = strdup(buf))) return PEIL_ENOMEM;
  }
  return PEIL_OK;
}

/* The levels of a variable from its distinct values, ascending. */
static int levels_from(model_var *mv, const peil_column_info *ci, const dmap *seen) {
  mv->nlevels = seen->n;
  mv->level_value = malloc((seen->n ? seen->n : 1) * sizeof *mv->level_value);
  mv->labels = calloc(seen->n ? seen->n : 1, sizeof *mv->labels);
  if (!mv->level_value || !mv->labels) return PEIL_ENOMEM;
  memcpy(mv->level_value, seen->value, seen->n * sizeof *seen->value);
  qsort(mv->level_value, seen->n, sizeof *mv->level_value, cmp_double);
  return set_level_labels(mv, ci, mv->raw < 0);
}

/* Levels of a categorical variable from the used rows. */
static int find_levels(model_frame *fr, model_var *mv) {
  const peil_column_info *ci = mv->raw >= 0 ? &fr->info[mv->raw] : NULL;
  if (ci && ci->type == PEIL_ENUM) {
    /* Which codes occur (a store per row: no chain of increments). */
    unsigned char *count = calloc(ci->nlevels ? ci->nlevels : 1, 1);
    if (!count) return PEIL_ENOMEM;
    int32_t codes[4096];
    for (int64_t s = 0; s < fr->n; s += 4096) {
      size_t m = (size_t)(fr->n - s < 4096 ? fr->n - s : 4096);
      frame_codes(fr, (size_t)mv->raw, s, m, codes);
      for (size_t i = 0; i < m; i++) count[codes[i]] = 1;
    }
    mv->ncodes = ci->nlevels;
    mv->code_level = malloc((ci->nlevels ? ci->nlevels : 1) * sizeof *mv->code_level);
    mv->labels = malloc((ci->nlevels ? ci->nlevels : 1) * sizeof *mv->labels);
    mv->level_value = malloc((ci->nlevels ? ci->nlevels : 1) * sizeof *mv->level_value);
    if (!mv->code_level || !mv->labels || !mv->level_value) {
      free(count);
      return PEIL_ENOMEM;
    }
    for (size_t c = 0; c < ci->nlevels; c++) {
      mv->code_level[c] = -1;
      if (!count[c]) continue;
      mv->code_level[c] = (int32_t)mv->nlevels;
      mv->level_value[mv->nlevels] = (double)c;
      if (!(mv->labels[mv->nlevels++] = strdup(ci->levels[c]))) {
        free(count);
        return PEIL_ENOMEM;
      }
    }
    free(count);
    return PEIL_OK;
  }
  /* Numbers, dates, booleans and logical expressions: distinct values. */
  dmap seen;
  if (dmap_init(&seen)) return PEIL_ENOMEM;
  if (ci && mv->fv->column && strcmp(peil_expr_text(mv->fv->expr), mv->fv->column) == 0 &&
      (fr->stored[mv->raw] == PEIL_INT8 || fr->stored[mv->raw] == PEIL_BOOL ||
       fr->stored[mv->raw] == PEIL_INT16)) {
    /* A small integer column (factor(year)): which values occur, by a table
     * over the type's range (the used rows have no missing values). */
    int wide = fr->stored[mv->raw] == PEIL_INT16;
    unsigned char *occurs = calloc(65536, 1);
    if (!occurs) {
      dmap_free(&seen);
      return peil_error(PEIL_ENOMEM, "out of memory");
    }
    if (wide) {
      const int16_t *v = fr->data[mv->raw];
      for (int64_t i = 0; i < fr->n; i++) occurs[v[i] + 32768] = 1;
    } else {
      const int8_t *v = fr->data[mv->raw];
      for (int64_t i = 0; i < fr->n; i++) occurs[v[i] + 32768] = 1;
    }
    int rc = PEIL_OK;
    for (int k = 0; k < 65536 && !rc; k++)
      if (occurs[k] && dmap_put(&seen, (double)(k - 32768)) < 0) rc = PEIL_ENOMEM;
    free(occurs);
    if (!rc && seen.n > FACTOR_MAX_LEVELS)
      rc = peil_error(PEIL_EDATA, "%s has more than %d distinct values in the rows used: too many "
                      "for a categorical variable", mv->fv->label, FACTOR_MAX_LEVELS);
    if (!rc) rc = levels_from(mv, ci, &seen);
    dmap_free(&seen);
    return rc == PEIL_ENOMEM ? peil_error(rc, "out of memory") : rc;
  }
  double *v = malloc(MODEL_BLOCK_ROWS * sizeof *v);
  const void **cols = malloc((fr->ncols ? fr->ncols : 1) * sizeof *cols);
  double *conv = malloc((fr->ncols ? fr->ncols : 1) * MODEL_BLOCK_ROWS * sizeof *conv);
  int rc = !v || !cols || !conv ? PEIL_ENOMEM : PEIL_OK;
  for (int64_t s = 0; !rc && s < fr->n; s += MODEL_BLOCK_ROWS) {
    size_t m = (size_t)(fr->n - s < MODEL_BLOCK_ROWS ? fr->n - s : MODEL_BLOCK_ROWS);
    frame_block_view(fr, s, m, cols, conv, MODEL_BLOCK_ROWS);
    peil_block b = {s, m, cols};
    if ((rc = peil_expr_eval(mv->fv->expr, &b, v))) break;
    for (size_t i = 0; i < m && !rc; i++) {
      if (dmap_put(&seen, v[i]) < 0) rc = PEIL_ENOMEM;
      if (seen.n > FACTOR_MAX_LEVELS)
        rc = peil_error(PEIL_EDATA, "%s has more than %d distinct values in the rows used: too many "
                        "for a categorical variable", mv->fv->label, FACTOR_MAX_LEVELS);
    }
  }
  free(v);
  free(cols);
  free(conv);
  if (!rc) rc = levels_from(mv, ci, &seen);
  dmap_free(&seen);
  return rc == PEIL_ENOMEM ? peil_error(rc, "out of memory") : rc;
}

/* Moves the reference level to the front (R's relevel) and builds the
 * lookups from raw values to levels. */
static int order_levels(model_var *mv, size_t ref) {
  if (ref > 0) {
    char *lab = mv->labels[ref];
    double val = mv->level_value[ref];
    memmove(mv->labels + 1, mv->labels, ref * sizeof *mv->labels);
    memmove(mv->level_value + 1, mv->level_value, ref * sizeof *mv->level_value);
    mv->labels[0] = lab;
    mv->level_value[0] = val;
  }
  if (mv->code_level) {
    for (size_t c = 0; c < mv->ncodes; c++) mv->code_level[c] = -1;
    for (size_t k = 0; k < mv->nlevels; k++) mv->code_level[(size_t)mv->level_value[k]] = (int32_t)k;
    return PEIL_OK;
  }
  mv->sorted_value = malloc(mv->nlevels * sizeof *mv->sorted_value);
  mv->sorted_level = malloc(mv->nlevels * sizeof *mv->sorted_level);
  if (!mv->sorted_value || !mv->sorted_level) return peil_error(PEIL_ENOMEM, "out of memory");
  /* Whole numbers within 65,536 of each other: a direct table. */
  double lo = mv->level_value[0], hi = lo;
  int whole = 1;
  for (size_t k = 0; k < mv->nlevels; k++) {
    double v = mv->level_value[k];
    whole &= v == floor(v);
    lo = fmin(lo, v), hi = fmax(hi, v);
  }
  if (whole && hi - lo < 65536) {
    mv->int_min = lo;
    mv->int_span = (size_t)(hi - lo) + 1;
    mv->int_level = malloc(mv->int_span * sizeof *mv->int_level);
    if (!mv->int_level) return peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t k = 0; k < mv->int_span; k++) mv->int_level[k] = -1;
    for (size_t k = 0; k < mv->nlevels; k++) mv->int_level[(size_t)(mv->level_value[k] - lo)] = (int32_t)k;
  }
  /* Level values other than the reference are ascending; insert it. */
  size_t j = 0;
  int placed = 0;
  for (size_t k = 1; k <= mv->nlevels; k++) {
    if (!placed && (k == mv->nlevels || mv->level_value[k] > mv->level_value[0])) {
      mv->sorted_value[j] = mv->level_value[0];
      mv->sorted_level[j++] = 0;
      placed = 1;
    }
    if (k < mv->nlevels) {
      mv->sorted_value[j] = mv->level_value[k];
      mv->sorted_level[j++] = (int32_t)k;
    }
  }
  return PEIL_OK;
}

static int apply_refs(frame_ctx *x) {
  model_frame *fr = x->fr;
  const peil_glm_options *o = x->req->opt;
  size_t *ref = calloc(fr->nvars ? fr->nvars : 1, sizeof *ref);
  if (!ref) return peil_error(PEIL_ENOMEM, "out of memory");
  int rc = PEIL_OK;
  for (size_t r = 0; r < o->nrefs && !rc; r++) {
    const char *eq = strchr(o->refs[r], '=');
    if (!eq || eq == o->refs[r]) {
      rc = peil_error(PEIL_EINVAL, "--ref '%s': write column=level", o->refs[r]);
      break;
    }
    size_t len = (size_t)(eq - o->refs[r]);
    const char *level = eq + 1;
    int found = 0;
    for (size_t v = 0; v < fr->nvars && !rc; v++) {
      model_var *mv = &fr->vars[v];
      if (mv->kind != VAR_FACTOR || !mv->fv->column || strlen(mv->fv->column) != len ||
          strncmp(mv->fv->column, o->refs[r], len) != 0)
        continue;
      found = 1;
      size_t k = 0;
      while (k < mv->nlevels && strcmp(mv->labels[k], level) != 0) k++;
      if (k == mv->nlevels) {
        char list[512] = "";
        size_t used = 0;
        for (size_t j = 0; j < mv->nlevels && used < sizeof list - 40; j++)
          used += (size_t)snprintf(list + used, sizeof list - used, "%s\"%s\"", j ? ", " : "", mv->labels[j]);
        const peil_column_info *ci = &fr->info[mv->raw];
        int exists = 0;
        for (size_t j = 0; j < ci->nlevels; j++) exists |= strcmp(ci->levels[j], level) == 0;
        rc = peil_error(PEIL_ENOTFOUND, "--ref %s: %s \"%s\" of column '%.*s' (levels in the rows "
                        "used: %s)", o->refs[r], exists ? "no used row has level" : "unknown level",
                        level, (int)len, o->refs[r], list);
        break;
      }
      ref[v] = k;
    }
    if (!rc && !found)
      rc = peil_error(PEIL_ENOTFOUND, "--ref %s: no categorical variable '%.*s' in formula '%s'",
                      o->refs[r], (int)len, o->refs[r], x->f->text);
  }
  for (size_t v = 0; v < fr->nvars && !rc; v++)
    if (fr->vars[v].kind == VAR_FACTOR) rc = order_levels(&fr->vars[v], ref[v]);
  free(ref);
  return rc;
}

/* Categorical outcome: the first used level is 0, the other 1 (R's rule). */
static int map_enum_outcome(frame_ctx *x) {
  model_frame *fr = x->fr;
  int rk = peil_table_info_find(x->ti, x->f->response_label);
  const peil_column_info *ci = &x->ti->cols[rk];
  int64_t *count = calloc(ci->nlevels ? ci->nlevels : 1, sizeof *count);
  if (!count) return peil_error(PEIL_ENOMEM, "out of memory");
  for (int64_t i = 0; i < fr->n; i++) count[(size_t)fr->y[i]]++;
  size_t used = 0, first = 0;
  char list[512] = "";
  size_t len = 0;
  for (size_t c = 0; c < ci->nlevels; c++) {
    if (!count[c]) continue;
    if (!used++) first = c;
    if (len < sizeof list - 40)
      len += (size_t)snprintf(list + len, sizeof list - len, "%s\"%s\"", used > 1 ? ", " : "", ci->levels[c]);
  }
  free(count);
  if (used > 2)
    return peil_error(PEIL_EDATA, "outcome '%s' of a binomial model has %zu levels in the rows used "
                      "(%s); it needs two (or write the outcome as a condition, e.g. %s == \"%s\")",
                      ci->name, used, list, ci->name, ci->levels[first]);
  for (int64_t i = 0; i < fr->n; i++) fr->y[i] = fr->y[i] != (double)first;
  return PEIL_OK;
}

static int check_rows(frame_ctx *x) {
  model_frame *fr = x->fr;
  if (fr->n == 0) {
    char detail[512] = "";
    size_t used = 0;
    for (size_t r = 0; r < x->nreason; r++)
      if (x->reason_count[r])
        used += (size_t)snprintf(detail + used, sizeof detail - used, "%s%lld missing in %s",
                                 used ? ", " : "; ", (long long)x->reason_count[r], x->reason[r]);
    return peil_error(PEIL_EDATA, "no rows left to fit: table '%s' has %lld rows, %lld removed by "
                      "--where, %lld with missing values%s%s", x->table, (long long)fr->n_read,
                      (long long)fr->n_filtered, (long long)fr->n_missing, detail,
                      fr->n_zero_weight ? ", the rest have weight 0" : "");
  }
  double y0 = fr->y[0];
  int64_t i = 1;
  while (i < fr->n && fr->y[i] == y0) i++;
  if (i == fr->n)
    return peil_error(PEIL_EDATA, "outcome '%s' is constant (%.15g) in all %lld rows used: there "
                      "is nothing to explain", x->f->response_label, y0, (long long)fr->n);
  return PEIL_OK;
}

int frame_build(peil_store *s, const char *table, const peil_formula *f, const frame_request *req,
                model_frame *fr) {
  memset(fr, 0, sizeof *fr);
  fr->formula = f;
  frame_ctx x = {0};
  x.store = s, x.table = table, x.req = req, x.f = f, x.fr = fr;
  int rc = prepare(&x);
  if (!rc) {
    /* The frame owns the column infos the bound expressions point to (the
     * cached columns come first; names and labels point into the table
     * info, which it keeps too). */
    fr->info = x.conv; /* x.conv stays usable; freed with the frame */
    fr->data = calloc(fr->ncols ? fr->ncols : 1, sizeof *fr->data);
    fr->stored = malloc((fr->ncols ? fr->ncols : 1) * sizeof *fr->stored);
    if (!fr->data || !fr->stored) rc = peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t j = 0; !rc && j < fr->ncols; j++) {
      const peil_column_info *ci = &x.ti->cols[peil_table_info_find(x.ti, fr->info[j].name)];
      fr->stored[j] = ci->type;
      /* Enum codes of the used rows (never missing) in the narrowest
       * integer type that holds every code. */
      if (ci->type == PEIL_ENUM)
        fr->stored[j] = ci->nlevels <= INT8_MAX ? PEIL_INT8 : ci->nlevels <= INT16_MAX ? PEIL_INT16 : PEIL_ENUM;
    }
  }
  if (!rc) rc = read_rows(&x);
  if (!rc) {
    for (size_t r = 0; r < x.nreason; r++) fr->n_missing += x.reason_count[r];
    rc = check_rows(&x);
  }
  for (size_t v = 0; !rc && v < fr->nvars; v++)
    if (fr->vars[v].kind == VAR_FACTOR) rc = find_levels(fr, &fr->vars[v]);
  if (!rc) rc = apply_refs(&x);
  if (!rc && x.response_enum) rc = map_enum_outcome(&x);
  if (!rc && x.response_enum) rc = check_rows(&x);
  if (!rc) {
    fr->sum_w = 0;
    if (fr->w)
      for (int64_t i = 0; i < fr->n; i++) fr->sum_w += fr->w[i];
    else fr->sum_w = (double)fr->n;
    /* Rows dropped, by the first missing variable: only the nonzero ones. */
    for (size_t r = 0; r < x.nreason; r++)
      if (x.reason_count[r]) {
        fr->missing_by = realloc(fr->missing_by, (fr->nmissing_by + 1) * sizeof *fr->missing_by);
        fr->missing_count = realloc(fr->missing_count, (fr->nmissing_by + 1) * sizeof *fr->missing_count);
        if (!fr->missing_by || !fr->missing_count) {
          rc = peil_error(PEIL_ENOMEM, "out of memory");
          break;
        }
        fr->missing_by[fr->nmissing_by] = x.reason[r];
        fr->missing_count[fr->nmissing_by++] = x.reason_count[r];
        x.reason[r] = NULL;
      }
  }
  fr->table_info = x.ti;
  for (size_t r = 0; r < x.nreason; r++) free(x.reason[r]);
  free(x.reason);
  free(x.reason_count);
  names_free(&x.cols);
  if (!fr->info) free(x.conv);
  free(x.conv_ptr);
  peil_expr_free(x.where);
  if (x.clusters.slot) dmap_free(&x.clusters);
  if (rc) frame_free(fr);
  return rc;
}

void frame_free(model_frame *fr) {
  if (!fr) return;
  for (size_t j = 0; j < fr->ncols && fr->data; j++) free(fr->data[j]);
  free(fr->data);
  free(fr->stored);
  free(fr->info);
  free(fr->y);
  free(fr->w);
  free(fr->off);
  free(fr->cluster);
  free(fr->rowid);
  for (size_t v = 0; v < fr->nvars && fr->vars; v++) {
    model_var *mv = &fr->vars[v];
    for (size_t k = 0; k < mv->nlevels && mv->labels; k++) free(mv->labels[k]);
    free(mv->labels);
    free(mv->level_value);
    free(mv->code_level);
    free(mv->sorted_value);
    free(mv->sorted_level);
    free(mv->int_level);
  }
  free(fr->vars);
  for (size_t r = 0; r < fr->nmissing_by; r++) free(fr->missing_by[r]);
  free(fr->missing_by);
  free(fr->missing_count);
  peil_table_info_free(fr->table_info);
  memset(fr, 0, sizeof *fr);
}

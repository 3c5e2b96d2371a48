/* The last pass: one value of a column, text -> the column's in-memory type,
 * written straight into the block being filled. Missing values become the
 * type's sentinel (NaN for floats). */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "csv_internal.h"

/* Why the type: a schema fixed it, or pass 1 inferred it (then a value
 * that does not fit means the file changed between the passes). */
static const char *why(const csv_column *c) {
  return c->from_schema ? "schema type" : "type inferred in the first pass; did the file change? "
                                          "type";
}

__attribute__((format(printf, 6, 7))) static int bad_value(const csv_column *c, const char *s,
                                                           size_t n, int64_t line, const char *path,
                                                           const char *fmt, ...) {
  char show[128], what[256];
  csv_show_value(s, n, show, sizeof show);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return peil_error(PEIL_EDATA, "%s:%lld: column '%s' (%zu): %s %s (%s %s)", path, (long long)line,
                    c->name, c->colno, show, what, why(c), peil_type_name(c->type));
}

static int int_value(const csv_column *c, csv_colstate *st, void *buf, size_t row, const char *s,
                     size_t n, int64_t line, const char *path, char decimal, const csv_na *na) {
  int64_t lo, hi, na_value;
  switch (c->type) {
  case PEIL_INT8: lo = INT8_MIN + 1, hi = INT8_MAX, na_value = PEIL_NA_INT8; break;
  case PEIL_INT16: lo = INT16_MIN + 1, hi = INT16_MAX, na_value = PEIL_NA_INT16; break;
  case PEIL_INT32: lo = INT32_MIN + 1, hi = INT32_MAX, na_value = PEIL_NA_INT32; break;
  default: lo = INT64_MIN + 1, hi = INT64_MAX, na_value = PEIL_NA_INT64; break;
  }
  int64_t v;
  if (csv_is_na(na, s, n)) {
    v = na_value;
    st->n_missing++;
  } else {
    int ps = csv_parse_int(s, n, decimal, &v);
    if (ps == CSV_BAD) {
      double x;
      if (csv_parse_float(s, n, decimal, &x) == CSV_OK)
        return bad_value(c, s, n, line, path, "is not a whole number");
      return bad_value(c, s, n, line, path, "is not an integer");
    }
    if (ps == CSV_RANGE || v < lo || v > hi)
      return bad_value(c, s, n, line, path, "does not fit %s (%lld..%lld)", peil_type_name(c->type),
                       (long long)lo, (long long)hi);
  }
  switch (c->type) {
  case PEIL_INT8: ((int8_t *)buf)[row] = (int8_t)v; break;
  case PEIL_INT16: ((int16_t *)buf)[row] = (int16_t)v; break;
  case PEIL_INT32: ((int32_t *)buf)[row] = (int32_t)v; break;
  default: ((int64_t *)buf)[row] = v; break;
  }
  return PEIL_OK;
}

static int float_value(const csv_column *c, csv_colstate *st, void *buf, size_t row,
                       const char *s, size_t n, int64_t line, const char *path, char decimal,
                       const csv_na *na) {
  const int single = c->type == PEIL_FLOAT32;
  double x;
  if (csv_is_na(na, s, n)) {
    x = NAN;
  } else {
    int ps = csv_parse_float(s, n, decimal, &x);
    if (ps == CSV_BAD) {
      if (decimal == ',' && memchr(s, '.', n) && !memchr(s, ',', n))
        return bad_value(c, s, n, line, path, "is not a number with a decimal comma (--decimal)");
      if (decimal == '.' && memchr(s, ',', n) && !memchr(s, '.', n))
        return bad_value(c, s, n, line, path, "is not a number (decimal comma? use --decimal ',')");
      return bad_value(c, s, n, line, path, "is not a number");
    }
    /* float32: values up to halfway past FLT_MAX round to it; beyond is out of range. */
    if (ps == CSV_RANGE || (single && isfinite(x) && fabs(x) >= (double)FLT_MAX + 0x1p103))
      return bad_value(c, s, n, line, path, "is out of the range of %s", peil_type_name(c->type));
  }
  if (isnan(x)) st->n_missing++;
  if (single) ((float *)buf)[row] = (float)x;
  else ((double *)buf)[row] = x;
  return PEIL_OK;
}

static int enum_value(const csv_column *c, csv_colstate *st, int32_t *out, const char *s, size_t n,
                      int64_t line, const char *path, const csv_na *na) {
  if (csv_is_na(na, s, n)) {
    *out = PEIL_NA_ENUM;
    st->n_missing++;
    return PEIL_OK;
  }
  unsigned key = csv_lcache_key(s, n);
  long idx = csv_lcache_find(&st->cache, c->lv, s, n, key);
  if (idx >= 0) {
    *out = c->code[idx];
    return PEIL_OK;
  }
  idx = csv_strset_find(c->lv, s, n);
  if (idx < 0) {
    size_t bad;
    if (!csv_utf8_valid(s, n, &bad))
      return bad_value(c, s, n, line, path, "has a byte that is not UTF-8 (0x%02X at byte %zu)",
                       (unsigned char)s[bad], bad + 1);
    return bad_value(c, s, n, line, path, "is not one of the %zu levels%s", c->nlevels,
                     c->from_schema ? " the schema lists" : "");
  }
  st->cache.idx[key] = (uint32_t)idx + 1;
  *out = c->code[idx];
  return PEIL_OK;
}

static inline int convert(const csv_column *c, csv_colstate *st, void *buf, size_t row,
                          const char *s, size_t n, int64_t line, const char *path, char decimal,
                          const csv_na *na) {
  switch (c->type) {
  case PEIL_INT8:
  case PEIL_INT16:
  case PEIL_INT32:
  case PEIL_INT64: return int_value(c, st, buf, row, s, n, line, path, decimal, na);
  case PEIL_FLOAT32:
  case PEIL_FLOAT64: return float_value(c, st, buf, row, s, n, line, path, decimal, na);
  case PEIL_DATE: {
    int32_t *out = (int32_t *)buf + row;
    if (csv_is_na(na, s, n)) {
      *out = PEIL_NA_DATE;
      st->n_missing++;
    } else if (csv_parse_date(s, n, c->datefmt, out) != CSV_OK) {
      return bad_value(c, s, n, line, path, "is not a valid date (%s%s)",
                       c->datefmt ? "format " : "YYYY-MM-DD or DD-MM-YYYY",
                       c->datefmt ? c->datefmt_text : "");
    }
    return PEIL_OK;
  }
  case PEIL_BOOL: {
    int8_t *out = (int8_t *)buf + row;
    if (csv_is_na(na, s, n)) {
      *out = PEIL_NA_BOOL;
      st->n_missing++;
    } else if (csv_parse_bool(s, n, 1, out) != CSV_OK) {
      return bad_value(c, s, n, line, path,
                       "is not a boolean (true/false, yes/no, ja/nee, 1/0, T/F)");
    }
    return PEIL_OK;
  }
  case PEIL_ENUM: return enum_value(c, st, (int32_t *)buf + row, s, n, line, path, na);
  default: return peil_error(PEIL_EINTERNAL, "column '%s': unknown type", c->name);
  }
}

int csv_convert_value(const csv_column *c, csv_colstate *st, void *buf, size_t row, const char *s,
                      size_t n, int64_t line, const char *path, char decimal, const csv_na *na) {
  return convert(c, st, buf, row, s, n, line, path, decimal, na);
}

int csv_convert_field(void *pass, int worker, size_t col, const char *s, size_t n, int64_t line) {
  const csv_pass *p = pass;
  const csv_outq *q = &p->order->q[worker];
  return convert(&p->cols[col], &p->ws[worker].st[col], q->blk->bufs[col], q->row, s, n, line,
                 p->path, p->decimal, p->na);
}

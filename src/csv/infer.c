/* Type inference over every row (pass 1). A column keeps the set of types
 * that all of its values so far fit (bool, integer, float, date); a value
 * that fits none makes it text, which peil stores as categorical. Distinct
 * values are collected while there are at most max_levels of them, so that
 * a column that turns out to be text already has its levels; past that the
 * set is closed, and a text column with a closed set is an error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_internal.h"

/* A text column with more distinct values than this must also have at
 * most one distinct value per two rows to count as categorical. */
#define FEW_LEVELS 100

int csv_infer_init(csv_infer_col *c, size_t max_levels, int text_only) {
  memset(c, 0, sizeof *c);
  c->cand = text_only ? 0 : CAND_ALL;
  c->imin = INT64_MAX;
  c->imax = INT64_MIN;
  c->max_levels = max_levels;
  c->text_only = text_only;
  c->text_line = -1;
  c->levels = csv_strset_new();
  return c->levels ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
}

void csv_infer_clear(csv_infer_col *c) {
  csv_strset_free(c->levels);
  c->levels = NULL;
}

/* Which candidate types the value fits (they exclude each other: 0/1 is
 * not a boolean here, a date is not a number). */
static unsigned classify(csv_infer_col *c, const char *s, size_t n, char decimal) {
  unsigned cand = c->cand;
  if (cand & (CAND_INT | CAND_FLOAT)) {
    int64_t v;
    int st = (cand & CAND_INT) ? csv_parse_int(s, n, decimal, &v) : CSV_BAD;
    if (st == CSV_OK && v != INT64_MIN) { /* INT64_MIN is int64's missing sentinel */
      if (v < c->imin) c->imin = v;
      if (v > c->imax) c->imax = v;
      return CAND_INT | CAND_FLOAT;
    }
    if ((cand & CAND_FLOAT) && csv_check_float(s, n, decimal) == CSV_OK) return CAND_FLOAT;
  }
  int32_t d;
  if ((cand & CAND_DATE) && csv_parse_date(s, n, NULL, &d) == CSV_OK) return CAND_DATE;
  int8_t b;
  if ((cand & CAND_BOOL) && csv_parse_bool(s, n, 0, &b) == CSV_OK) return CAND_BOOL;
  return 0;
}

static int utf8_error(const char *path, int64_t line, const char *name, size_t colno,
                      const char *s, size_t n, size_t bad) {
  char show[128];
  csv_show_value(s, n, show, sizeof show);
  return peil_error(PEIL_EDATA,
                    "%s:%lld: column '%s' (%zu): the value %s has a byte that is not UTF-8 (0x%02X "
                    "at byte %zu); convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)",
                    path, (long long)line, name, colno, show, (unsigned char)s[bad], bad + 1);
}

/* Why a column is text, for messages: its first value that is no number,
 * date or boolean, or the mix of kinds. */
static void why_text(const csv_infer_col *c, char *buf, size_t size) {
  if (c->text_line >= 0)
    snprintf(buf, size, "%s on line %lld is not a number, date or boolean", c->text_value,
             (long long)c->text_line);
  else
    snprintf(buf, size, "its values mix numbers, dates and booleans");
}

static int too_many_levels(const csv_infer_col *c, const char *path, const char *name,
                           size_t colno) {
  if (c->text_only)
    return peil_error(PEIL_EDATA,
                      "%s: column '%s' (%zu): more than %zu distinct values for a categorical column",
                      path, name, colno, c->max_levels);
  char why[160];
  why_text(c, why, sizeof why);
  return peil_error(PEIL_EDATA,
                    "%s: column '%s' (%zu) is text (%s) with more than %zu distinct values; peil "
                    "stores text only as categorical: give the column a type in a schema "
                    "(--schema), or allow more levels (--max-levels)",
                    path, name, colno, why, c->max_levels);
}

int csv_infer_value(csv_infer_col *c, const char *s, size_t n, int64_t line, const char *path,
                    const char *name, size_t colno, char decimal, const csv_na *na) {
  if (csv_is_na(na, s, n)) {
    c->n_missing++;
    return PEIL_OK;
  }
  c->n_values++;
  int text = 1;
  if (c->cand) {
    unsigned fits = classify(c, s, n, decimal);
    text = !(c->cand & fits);
    c->cand &= fits;
  }
  if (!text) {
    /* Typed values are not collected: most columns stay typed, and hashing
     * every value would cost more than the rare extra pass a column needs
     * that turns text late (csv_infer_needs_levels). */
    c->n_typed++;
    return PEIL_OK;
  }
  /* Remember the first value that is none of the typed kinds, for the
   * messages. Which one that is must not depend on what this worker saw
   * before, so it is tested against every kind. */
  if (c->text_line < 0 && !c->text_only) {
    unsigned keep = c->cand;
    c->cand = CAND_ALL;
    unsigned fits = classify(c, s, n, decimal);
    c->cand = keep;
    if (!fits) {
      c->text_line = line;
      csv_show_value(s, n, c->text_value, sizeof c->text_value);
    }
  }
  size_t bad;
  /* Every text value is checked to be UTF-8: with a closed set each one,
   * with an open set each one new to it. */
  if (c->levels_closed) {
    if (!csv_utf8_valid(s, n, &bad)) return utf8_error(path, line, name, colno, s, n, bad);
    return PEIL_OK;
  }
  /* Values seen lately skip the hash. */
  unsigned key = csv_lcache_key(s, n);
  if (csv_lcache_find(&c->cache, c->levels, s, n, key) >= 0) return PEIL_OK;
  int added;
  long idx = csv_strset_add(c->levels, s, n, &added);
  if (idx < 0) return peil_error(PEIL_ENOMEM, "out of memory");
  c->cache.idx[key] = (uint32_t)idx + 1;
  if (!added) return PEIL_OK;
  if (!csv_utf8_valid(s, n, &bad)) return utf8_error(path, line, name, colno, s, n, bad);
  if (csv_strset_size(c->levels) > c->max_levels) {
    /* Too many for a categorical: stop collecting; csv_infer_decide
     * reports it. */
    c->levels_closed = 1;
    memset(&c->cache, 0, sizeof c->cache);
    csv_strset_free(c->levels);
    c->levels = NULL;
  }
  return PEIL_OK;
}

int csv_infer_merge(csv_infer_col *dst, csv_infer_col *src) {
  dst->cand &= src->cand;
  if (src->imin < dst->imin) dst->imin = src->imin;
  if (src->imax > dst->imax) dst->imax = src->imax;
  dst->n_values += src->n_values;
  dst->n_missing += src->n_missing;
  dst->n_typed += src->n_typed;
  if (src->text_line >= 0 && (dst->text_line < 0 || src->text_line < dst->text_line)) {
    dst->text_line = src->text_line;
    memcpy(dst->text_value, src->text_value, sizeof dst->text_value);
  }
  if (src->levels_closed) dst->levels_closed = 1;
  if (!dst->levels_closed && src->levels) {
    for (size_t i = 0; i < csv_strset_size(src->levels); i++) {
      size_t n;
      const char *s = csv_strset_get(src->levels, i, &n);
      int added;
      if (csv_strset_add(dst->levels, s, n, &added) < 0)
        return peil_error(PEIL_ENOMEM, "out of memory");
    }
    if (csv_strset_size(dst->levels) > dst->max_levels) dst->levels_closed = 1;
  }
  if (dst->levels_closed) {
    csv_strset_free(dst->levels);
    dst->levels = NULL;
  }
  memset(&dst->cache, 0, sizeof dst->cache);
  csv_infer_clear(src);
  return PEIL_OK;
}

static peil_type narrowest_int(int64_t lo, int64_t hi) {
  /* The most negative value of each width is its missing sentinel. */
  if (lo > INT8_MIN && hi <= INT8_MAX) return PEIL_INT8;
  if (lo > INT16_MIN && hi <= INT16_MAX) return PEIL_INT16;
  if (lo > INT32_MIN && hi <= INT32_MAX) return PEIL_INT32;
  return PEIL_INT64;
}

int csv_infer_decide(csv_infer_col *c, const char *path, const char *name, size_t colno,
                     peil_type *type) {
  if (c->text_only || (c->cand == 0 && c->n_values > 0)) {
    if (c->levels_closed || !c->levels) return too_many_levels(c, path, name, colno);
    size_t nd = csv_strset_size(c->levels);
    if (!c->text_only && nd > FEW_LEVELS && (int64_t)nd * 2 > c->n_values) {
      char why[160];
      why_text(c, why, sizeof why);
      return peil_error(PEIL_EDATA,
                        "%s: column '%s' (%zu) is text (%s) with %zu distinct values in %lld "
                        "values: an identifier or free text rather than a category; give the "
                        "column a type in a schema (--schema)",
                        path, name, colno, why, nd, (long long)c->n_values);
    }
    *type = PEIL_ENUM;
    return PEIL_OK;
  }
  if (c->n_values == 0) *type = PEIL_BOOL; /* no values at all: logical, as R reads it */
  else if (c->cand & CAND_BOOL) *type = PEIL_BOOL;
  else if (c->cand & CAND_INT) *type = narrowest_int(c->imin, c->imax);
  else if (c->cand & CAND_FLOAT) *type = PEIL_FLOAT64;
  else *type = PEIL_DATE;
  return PEIL_OK;
}

int csv_infer_field(void *pass, int worker, size_t col, const char *s, size_t n, int64_t line) {
  const csv_pass *p = pass;
  const csv_column *c = &p->cols[col];
  if (!c->feed) return PEIL_OK;
  return csv_infer_value(&p->ws[worker].inf[col], s, n, line, p->path, c->name, c->colno,
                         p->decimal, p->na);
}

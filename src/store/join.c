/* peil_table_join (peil/store.h): the rows of one table with the columns
 * of another matched on a key, a many-to-one join (spells or participants
 * with the person's attributes). The right table is one row per key (a
 * person table: a few columns per person), read whole and indexed by a
 * sort of its keys; the left table streams through in blocks, each row
 * finding its match by binary search, so the left table may be of any
 * length and in any order. */
#include <stdlib.h>
#include <string.h>

#include "peil/store.h"

static int int_key(peil_type t) { return t == PEIL_INT64 || t == PEIL_INT32; }

static int64_t key_at(const void *col, peil_type t, size_t i) {
  return t == PEIL_INT64 ? ((const int64_t *)col)[i] : ((const int32_t *)col)[i];
}

static int64_t na_key(peil_type t) { return t == PEIL_INT64 ? PEIL_NA_INT64 : PEIL_NA_INT32; }

/* The joined columns: left's (*nleft of them), then right's without the
 * key; read once, for the checks and for the join itself. */
static int join_schema(peil_store *s, const char *left, const char *right, const char *key, peil_table_info **out,
                       size_t *nleft) {
  *out = NULL;
  peil_table_info *l = NULL, *r = NULL, *j = NULL;
  int rc = peil_store_table_info(s, left, &l);
  if (!rc) rc = peil_store_table_info(s, right, &r);
  int kl = rc ? -1 : peil_table_info_find(l, key), kr = rc ? -1 : peil_table_info_find(r, key);
  if (!rc && (kl < 0 || kr < 0))
    rc = peil_error(PEIL_ENOTFOUND, "join %s with %s: table %s has no column '%s'", left, right, kl < 0 ? left : right, key);
  if (!rc && (!int_key(l->cols[kl].type) || !int_key(r->cols[kr].type)))
    rc = peil_error(PEIL_ETYPE, "join %s with %s: '%s' must be an integer column in both (int32 or int64)", left, right, key);
  for (size_t c = 0; !rc && c < r->ncols; c++)
    if ((int)c != kr && peil_table_info_find(l, r->cols[c].name) >= 0)
      rc = peil_error(PEIL_EINVAL, "join %s with %s: both have a column '%s' (only '%s' may be in both)", left, right,
                      r->cols[c].name, key);
  if (!rc && !(j = calloc(1, sizeof *j))) rc = peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc && !(j->cols = calloc(l->ncols + r->ncols, sizeof *j->cols))) rc = peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc) {
    j->nrows = l->nrows;
    *nleft = l->ncols;
    /* move the column infos over: the sources are freed without them */
    for (size_t c = 0; c < l->ncols; c++) j->cols[j->ncols++] = l->cols[c], memset(&l->cols[c], 0, sizeof l->cols[c]);
    for (size_t c = 0; c < r->ncols; c++)
      if ((int)c != kr) j->cols[j->ncols++] = r->cols[c], memset(&r->cols[c], 0, sizeof r->cols[c]);
  }
  peil_table_info_free(l);
  peil_table_info_free(r);
  if (rc) peil_table_info_free(j);
  else *out = j;
  return rc;
}

int peil_table_join_info(peil_store *s, const char *left, const char *right, const char *key,
                         peil_table_info **out) {
  size_t nleft;
  return join_schema(s, left, right, key, out, &nleft);
}

/* The right table in memory: its columns (without the key) and its rows
 * in key order. */
typedef struct {
  size_t n, ncols;
  int64_t *keys;    /* sorted */
  size_t *row;      /* the row of keys[i] */
  void **cols;      /* in-memory types, n values each */
  size_t *size;
} right_side;

typedef struct {
  int64_t key;
  size_t row;
} keyed_row;

static int cmp_keyed(const void *a, const void *b) {
  const keyed_row *x = a, *y = b;
  return x->key < y->key ? -1 : x->key > y->key ? 1 : x->row < y->row ? -1 : x->row > y->row;
}

static void right_free(right_side *R) {
  for (size_t c = 0; c < R->ncols; c++) free(R->cols ? R->cols[c] : NULL);
  free(R->cols), free(R->size), free(R->keys), free(R->row);
}

/* Reads right's key and its columns of the join j (those after the first
 * nleft) into R, sorted by key. */
static int right_load(peil_store *s, const char *right, const char *key, const peil_table_info *j, size_t nleft,
                      right_side *R) {
  memset(R, 0, sizeof *R);
  size_t nc = j->ncols - nleft + 1; /* the key first, then the joined columns */
  const char **names = malloc(nc * sizeof *names);
  if (!names) return peil_error(PEIL_ENOMEM, "out of memory");
  names[0] = key;
  for (size_t c = 1; c < nc; c++) names[c] = j->cols[nleft + c - 1].name;
  peil_scan *sc = NULL;
  int rc = peil_scan_open(s, right, names, nc, 0, &sc);
  free(names);
  if (rc) return rc;
  peil_type kt = peil_scan_column(sc, 0)->type;
  size_t n = (size_t)peil_scan_nrows(sc);
  R->ncols = nc - 1;
  R->cols = calloc(nc, sizeof *R->cols);
  R->size = calloc(nc, sizeof *R->size);
  R->keys = malloc((n ? n : 1) * sizeof *R->keys);
  R->row = malloc((n ? n : 1) * sizeof *R->row);
  keyed_row *raw = malloc((n ? n : 1) * sizeof *raw);
  if (!R->cols || !R->size || !R->keys || !R->row || !raw) rc = peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t o = 0; !rc && o < R->ncols; o++) {
    R->size[o] = peil_type_size(j->cols[nleft + o].type);
    if (!(R->cols[o] = malloc((n ? n : 1) * R->size[o]))) rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  peil_block b;
  int got = 0;
  while (!rc && (got = peil_scan_next(sc, &b)) > 0) {
    for (size_t i = 0; i < b.nrows; i++)
      raw[b.start + (int64_t)i] = (keyed_row){key_at(b.cols[0], kt, i), (size_t)b.start + i};
    for (size_t o = 0; o < R->ncols; o++)
      memcpy((char *)R->cols[o] + (size_t)b.start * R->size[o], b.cols[o + 1], b.nrows * R->size[o]);
  }
  if (!rc && got < 0) rc = got;
  peil_scan_close(sc);
  if (!rc) {
    qsort(raw, n, sizeof *raw, cmp_keyed);
    for (size_t i = 0; i < n; i++) R->keys[i] = raw[i].key, R->row[i] = raw[i].row;
    R->n = n;
    for (size_t i = 1; !rc && i < n; i++)
      if (R->keys[i] == R->keys[i - 1] && R->keys[i] != na_key(kt))
        rc = peil_error(PEIL_EDATA, "join with %s: %s %lld is on rows %zu and %zu; the table joined on must have one row per %s",
                        right, key, (long long)R->keys[i], R->row[i - 1] + 1, R->row[i] + 1, key);
  }
  free(raw);
  return rc;
}

/* The row of right for key k, or -1. */
static long right_find(const right_side *R, int64_t k) {
  size_t lo = 0, hi = R->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (R->keys[mid] < k) lo = mid + 1;
    else hi = mid;
  }
  return lo < R->n && R->keys[lo] == k ? (long)R->row[lo] : -1;
}

static void put_missing(void *dst, peil_type t, size_t i) {
  switch (t) {
  case PEIL_INT8: ((int8_t *)dst)[i] = PEIL_NA_INT8; break;
  case PEIL_BOOL: ((int8_t *)dst)[i] = PEIL_NA_BOOL; break;
  case PEIL_INT16: ((int16_t *)dst)[i] = PEIL_NA_INT16; break;
  case PEIL_INT32: ((int32_t *)dst)[i] = PEIL_NA_INT32; break;
  case PEIL_DATE: ((int32_t *)dst)[i] = PEIL_NA_DATE; break;
  case PEIL_ENUM: ((int32_t *)dst)[i] = PEIL_NA_ENUM; break;
  case PEIL_INT64: ((int64_t *)dst)[i] = PEIL_NA_INT64; break;
  case PEIL_FLOAT32: ((float *)dst)[i] = __builtin_nanf(""); break;
  default: ((double *)dst)[i] = __builtin_nan(""); break;
  }
}

int peil_table_join(peil_store *in, const char *left, const char *right, const char *key, peil_store *out,
                    const char *name, peil_join_summary *sum) {
  peil_join_summary local;
  if (!sum) sum = &local;
  memset(sum, 0, sizeof *sum);
  peil_table_info *j = NULL;
  size_t nl = 0;
  int rc = join_schema(in, left, right, key, &j, &nl);
  right_side R;
  memset(&R, 0, sizeof R);
  if (!rc) rc = right_load(in, right, key, j, nl, &R);
  size_t nj = rc ? 0 : j->ncols;
  peil_column_def *defs = calloc(nj ? nj : 1, sizeof *defs);
  void **buf = calloc(nj ? nj : 1, sizeof *buf);
  if (!rc && (!defs || !buf)) rc = peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t c = 0; !rc && c < nj; c++)
    defs[c] = (peil_column_def){j->cols[c].name, j->cols[c].type, j->cols[c].nlevels, (const char *const *)j->cols[c].levels};
  peil_table_writer *w = NULL;
  peil_scan *sc = NULL;
  if (!rc) rc = peil_table_create(out, name, defs, nj, &w);
  if (!rc) rc = peil_scan_open(in, left, NULL, 0, 0, &sc);
  int kl = rc ? 0 : peil_table_info_find(j, key); /* among left's columns, which come first */
  peil_type kt = rc ? PEIL_INT64 : j->cols[kl].type;
  peil_block b;
  int got = 0;
  size_t cap = 0;
  while (!rc && (got = peil_scan_next(sc, &b)) > 0) {
    if (b.nrows > cap) { /* the right side's columns for this block */
      for (size_t c = nl; !rc && c < nj; c++) {
        void *v = realloc(buf[c], b.nrows * R.size[c - nl]);
        if (!v) rc = peil_error(PEIL_ENOMEM, "out of memory");
        else buf[c] = v;
      }
      cap = b.nrows;
    }
    for (size_t c = 0; c < nl; c++) buf[c] = (void *)b.cols[c];
    for (size_t i = 0; !rc && i < b.nrows; i++) {
      int64_t k = key_at(b.cols[kl], kt, i);
      long row = k == na_key(kt) ? -1 : right_find(&R, k);
      sum->unmatched += row < 0;
      for (size_t c = nl; c < nj; c++) {
        size_t z = R.size[c - nl];
        if (row < 0) put_missing(buf[c], j->cols[c].type, i);
        else memcpy((char *)buf[c] + i * z, (const char *)R.cols[c - nl] + (size_t)row * z, z);
      }
    }
    if (!rc) rc = peil_table_append(w, (const void *const *)buf, b.nrows);
    sum->rows += (int64_t)b.nrows;
  }
  if (!rc && got < 0) rc = got;
  if (!rc) {
    rc = peil_table_finish(w);
    w = NULL;
  }
  if (w) peil_table_writer_free(w);
  if (sc) peil_scan_close(sc);
  for (size_t c = nl; c < nj; c++) free(buf[c]);
  free(buf), free(defs);
  right_free(&R);
  peil_table_info_free(j);
  return rc;
}

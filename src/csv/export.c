/* peil_csv_export: a table as CSV that peil_csv_import reads back to the
 * same values. Rows are formatted into one large buffer and written with
 * fwrite; categorical labels are formatted (and quoted) once per column. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_internal.h"

#define OUT_SIZE ((size_t)1 << 20)

void peil_csv_export_options_init(peil_csv_export_options *o) {
  peil_csv_export_options d = PEIL_CSV_EXPORT_OPTIONS_INIT;
  *o = d;
}

static const double pow10_tab[18] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,
                                     1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17};

static size_t put_u64(uint64_t v, char *buf) {
  char tmp[24];
  size_t n = 0;
  do tmp[n++] = (char)('0' + v % 10), v /= 10;
  while (v);
  for (size_t i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  return n;
}

static size_t put_i64(int64_t v, char *buf) {
  if (v >= 0) return put_u64((uint64_t)v, buf);
  buf[0] = '-';
  return 1 + put_u64((uint64_t)0 - (uint64_t)v, buf + 1);
}

size_t csv_format_double(double x, int single, char decimal, char *buf) {
  if (isinf(x)) {
    const char *t = x < 0 ? "-Inf" : "Inf";
    strcpy(buf, t);
    return strlen(t);
  }
  double ax = fabs(x);
  size_t n = 0;
  /* Fixed point with the fewest decimals k such that m / 10^k, the exact
   * computation csv_parse_float's fast path does, gives x back. */
  if (ax == 0 || (ax >= 1e-5 && ax < (single ? 1e7 : 1e15))) {
    for (int k = 0; k < 18; k++) {
      double scaled = ax * pow10_tab[k];
      if (scaled >= 9007199254740992.0) break; /* 2^53: no longer exact */
      double m = nearbyint(scaled);
      double back = m / pow10_tab[k];
      if (single ? (float)back != (float)ax : back != ax) continue;
      if (signbit(x)) buf[n++] = '-';
      char digits[24];
      size_t nd = put_u64((uint64_t)m, digits);
      if ((size_t)k >= nd) { /* 0.00ddd */
        buf[n++] = '0';
        buf[n++] = decimal;
        for (size_t z = 0; z < (size_t)k - nd; z++) buf[n++] = '0';
        memcpy(buf + n, digits, nd);
        n += nd;
      } else {
        memcpy(buf + n, digits, nd - (size_t)k);
        n += nd - (size_t)k;
        buf[n++] = decimal;
        if (k == 0) buf[n++] = '0';
        memcpy(buf + n, digits + nd - (size_t)k, (size_t)k);
        n += (size_t)k;
      }
      buf[n] = '\0';
      return n;
    }
  }
  /* Otherwise the fewest significant digits that read back exactly. */
  int p = single ? 6 : 15, pmax = single ? 9 : 17;
  for (; p <= pmax; p++) {
    n = (size_t)snprintf(buf, 40, "%.*g", p, x);
    double y;
    if (csv_parse_float(buf, n, '.', &y) == CSV_OK && (single ? (float)y == (float)x : y == x))
      break;
  }
  if (!strpbrk(buf, ".e")) {
    buf[n++] = '.';
    buf[n++] = '0';
    buf[n] = '\0';
  }
  if (decimal != '.') {
    char *dot = strchr(buf, '.');
    if (dot) *dot = decimal;
  }
  return n;
}

typedef struct {
  FILE *out;
  char *buf;
  size_t used;
  int err;
} outbuf;

static void ob_flush(outbuf *o) {
  if (o->used && fwrite(o->buf, 1, o->used, o->out) != o->used) o->err = 1;
  o->used = 0;
}

/* Makes room for n bytes (flushing; growing for one huge field). */
static int ob_room(outbuf *o, size_t n) {
  if (o->used + n <= OUT_SIZE) return 1;
  ob_flush(o);
  if (n <= OUT_SIZE) return 1;
  o->err = 1; /* callers keep fields under OUT_SIZE; see put_text */
  return 0;
}

static int needs_quotes(const char *s, size_t n, char delim) {
  if (n == 0) return 1;
  if (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t') return 1;
  for (size_t i = 0; i < n; i++)
    if (s[i] == delim || s[i] == '"' || s[i] == '\n' || s[i] == '\r') return 1;
  return 0;
}

/* The CSV text of a value: quoted, with quotes doubled, where needed. */
static char *csv_text(const char *s, char delim, size_t *len) {
  size_t n = strlen(s);
  char *t = malloc(2 * n + 3);
  if (!t) return NULL;
  size_t k = 0;
  if (!needs_quotes(s, n, delim)) {
    memcpy(t, s, n);
    k = n;
  } else {
    t[k++] = '"';
    for (size_t i = 0; i < n; i++) {
      if (s[i] == '"') t[k++] = '"';
      t[k++] = s[i];
    }
    t[k++] = '"';
  }
  t[k] = '\0';
  *len = k;
  return t;
}

/* Writes text of any length. */
static void put_text(outbuf *o, const char *t, size_t n) {
  if (n > OUT_SIZE / 2) {
    ob_flush(o);
    if (fwrite(t, 1, n, o->out) != n) o->err = 1;
    return;
  }
  ob_room(o, n);
  memcpy(o->buf + o->used, t, n);
  o->used += n;
}

typedef struct {
  const peil_column_info *info;
  char **label;     /* enums: CSV text per code */
  size_t *label_len;
} ecol;

static void free_ecols(ecol *e, size_t n) {
  if (!e) return;
  for (size_t j = 0; j < n; j++) {
    if (e[j].label)
      for (size_t k = 0; k < e[j].info->nlevels; k++) free(e[j].label[k]);
    free(e[j].label);
    free(e[j].label_len);
  }
  free(e);
}

/* One value; `na` is the text for missing values. */
static void put_value(outbuf *o, const ecol *c, const void *col, size_t i, char decimal,
                      const char *na, size_t na_len) {
  if (peil_value_is_missing(c->info->type, col, i)) {
    put_text(o, na, na_len);
    return;
  }
  if (c->info->type == PEIL_ENUM) {
    int32_t code = ((const int32_t *)col)[i];
    put_text(o, c->label[code], c->label_len[code]);
    return;
  }
  ob_room(o, 48);
  char *p = o->buf + o->used;
  switch (c->info->type) {
  case PEIL_INT8: o->used += put_i64(((const int8_t *)col)[i], p); break;
  case PEIL_INT16: o->used += put_i64(((const int16_t *)col)[i], p); break;
  case PEIL_INT32: o->used += put_i64(((const int32_t *)col)[i], p); break;
  case PEIL_INT64: o->used += put_i64(((const int64_t *)col)[i], p); break;
  case PEIL_FLOAT32: o->used += csv_format_double(((const float *)col)[i], 1, decimal, p); break;
  case PEIL_FLOAT64: o->used += csv_format_double(((const double *)col)[i], 0, decimal, p); break;
  case PEIL_BOOL:
    if (((const int8_t *)col)[i]) memcpy(p, "true", 4), o->used += 4;
    else memcpy(p, "false", 5), o->used += 5;
    break;
  case PEIL_DATE:
    peil_date_format(((const int32_t *)col)[i], p);
    o->used += 10;
    break;
  default: break;
  }
}

int peil_csv_export(peil_store *store, const char *table, const char *const *cols, size_t ncols,
                    FILE *out, const peil_csv_export_options *opts) {
  peil_csv_export_options defaults = PEIL_CSV_EXPORT_OPTIONS_INIT;
  if (!opts) opts = &defaults;
  char decimal = opts->decimal ? opts->decimal : '.';
  char delim = opts->delimiter ? opts->delimiter : decimal == ',' ? ';' : ',';
  if (decimal != '.' && decimal != ',')
    return peil_error(PEIL_EINVAL, "decimal separator must be '.' or ',', not '%c'", decimal);
  if (delim == '"' || delim == '\n' || delim == '\r' || delim == decimal)
    return peil_error(PEIL_EINVAL, "delimiter '%c' cannot be used%s", delim,
                      delim == decimal ? " (it is also the decimal separator)" : "");
  if (!store || !table || !out) return peil_error(PEIL_EINVAL, "peil_csv_export: missing argument");

  peil_table_info *ti = NULL;
  char **all = NULL;
  int rc = PEIL_OK;
  if (!cols || ncols == 0) {
    rc = peil_store_table_info(store, table, &ti);
    if (rc) return rc;
    ncols = ti->ncols;
    all = calloc(ncols ? ncols : 1, sizeof *all);
    if (!all) rc = peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t j = 0; !rc && j < ncols; j++) all[j] = ti->cols[j].name;
    cols = (const char *const *)all;
  }
  peil_scan *sc = NULL;
  if (!rc) rc = peil_scan_open(store, table, cols, ncols, 0, &sc);
  ecol *ec = NULL;
  outbuf o = {out, malloc(OUT_SIZE), 0, 0};
  char *na = NULL;
  size_t na_len = 0;
  if (!rc && (!o.buf || !(ec = calloc(ncols ? ncols : 1, sizeof *ec))))
    rc = peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc) {
    /* A lone empty field would be a blank line, which import skips:
     * a one-column table writes missing values as "". */
    const char *na_text = opts->na ? opts->na : "";
    if (!na_text[0] && ncols == 1) {
      na = strdup("\"\"");
      na_len = 2;
    } else {
      na = strdup(na_text);
      na_len = na ? strlen(na) : 0;
      if (na && needs_quotes(na, na_len, delim) && na_len)
        rc = peil_error(PEIL_EINVAL, "the text for missing values '%s' would need quotes", na);
    }
    if (!na && !rc) rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  for (size_t j = 0; !rc && j < ncols; j++) {
    ec[j].info = peil_scan_column(sc, j);
    if (ec[j].info->type != PEIL_ENUM) continue;
    size_t nl = ec[j].info->nlevels;
    ec[j].label = calloc(nl ? nl : 1, sizeof *ec[j].label);
    ec[j].label_len = calloc(nl ? nl : 1, sizeof *ec[j].label_len);
    if (!ec[j].label || !ec[j].label_len) rc = peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t k = 0; !rc && k < nl; k++)
      if (!(ec[j].label[k] = csv_text(ec[j].info->levels[k], delim, &ec[j].label_len[k])))
        rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  if (!rc && opts->header) {
    for (size_t j = 0; !rc && j < ncols; j++) {
      size_t n;
      char *t = csv_text(ec[j].info->name, delim, &n);
      if (!t) {
        rc = peil_error(PEIL_ENOMEM, "out of memory");
        break;
      }
      if (j) put_text(&o, &delim, 1);
      put_text(&o, t, n);
      free(t);
    }
    put_text(&o, "\n", 1);
  }
  peil_block blk;
  int r = 0;
  while (!rc && !o.err && (r = peil_scan_next(sc, &blk)) == 1) {
    for (size_t i = 0; i < blk.nrows && !o.err; i++) {
      for (size_t j = 0; j < ncols; j++) {
        if (j) {
          ob_room(&o, 1);
          o.buf[o.used++] = delim;
        }
        put_value(&o, &ec[j], blk.cols[j], i, decimal, na, na_len);
      }
      ob_room(&o, 1);
      o.buf[o.used++] = '\n';
    }
  }
  if (!rc && r < 0) rc = r;
  if (!rc) ob_flush(&o);
  if (!rc && (o.err || ferror(out))) rc = peil_error(PEIL_EIO, "writing CSV: write failed");
  free(na);
  free(o.buf);
  if (ec) free_ecols(ec, ncols);
  peil_scan_close(sc);
  free(all);
  peil_table_info_free(ti);
  return rc;
}

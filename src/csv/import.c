/* peil_csv_import: plan the columns (schema, or inference in a first pass),
 * then convert and append row batches to a new table. A failed import
 * drops the table it started, so the writable store holds no half table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv_internal.h"

/* A schema's categorical without a level list may have this many levels
 * (the codes are stored in at most 16 bits by peil's enums in practice;
 * HDF5 keeps every label in the column's type). */
#define SCHEMA_MAX_LEVELS 32767

void peil_csv_options_init(peil_csv_options *o) {
  peil_csv_options d = PEIL_CSV_OPTIONS_INIT;
  *o = d;
}

typedef struct {
  const char *path;
  const peil_csv_options *opt;
  csv_na na;
  csv_schema *schema;
  size_t ncols;
  csv_column *cols;
  peil_table_writer *w;
  const void **bufs;
  int64_t pass1_rows;
} import_ctx;

static void free_columns(import_ctx *x) {
  for (size_t j = 0; j < x->ncols; j++) {
    csv_column *c = &x->cols[j];
    free(c->name);
    csv_infer_clear(&c->inf);
    csv_strset_free(c->lv);
    free(c->code);
    free(c->labels);
    free(c->buf);
  }
  free(x->cols);
  free(x->bufs);
  x->cols = NULL;
  x->ncols = 0;
}

/* The columns from the header and the schema: which need pass 1. */
static int plan(import_ctx *x, csv_reader *rd) {
  size_t nc = csv_reader_ncols(rd);
  const char *const *names = csv_reader_names(rd);
  x->cols = calloc(nc, sizeof *x->cols);
  x->bufs = calloc(nc, sizeof *x->bufs);
  if (!x->cols || !x->bufs) return peil_error(PEIL_ENOMEM, "out of memory");
  x->ncols = nc;
  for (size_t j = 0; j < nc; j++) {
    csv_column *c = &x->cols[j];
    if (!(c->name = strdup(names[j]))) return peil_error(PEIL_ENOMEM, "out of memory");
    c->colno = j + 1;
    csv_schema_col *sc = x->schema ? csv_schema_find(x->schema, names[j]) : NULL;
    int rc = PEIL_OK;
    if (!sc) {
      c->infer = 1;
      rc = csv_infer_init(&c->inf, x->opt->max_levels, 0);
    } else {
      sc->used = 1;
      c->from_schema = 1;
      c->type = (peil_type)sc->type;
      if (sc->format) c->datefmt = &sc->datefmt, c->datefmt_text = sc->format;
      if (c->type == PEIL_ENUM && sc->nlevels == 0) {
        c->collect = 1;
        rc = csv_infer_init(&c->inf, SCHEMA_MAX_LEVELS, 1);
      }
    }
    if (rc) return rc;
  }
  if (x->schema) {
    for (size_t i = 0; i < x->schema->ncols; i++) {
      if (x->schema->cols[i].used) continue;
      /* Name the columns the file does have: the usual cause is a typo. */
      char have[512];
      size_t k = 0;
      have[0] = '\0';
      for (size_t j = 0; j < nc && k + 4 < sizeof have; j++) {
        int w = snprintf(have + k, sizeof have - k, "%s%s", j ? ", " : "", names[j]);
        if (w < 0) break;
        k += (size_t)w;
      }
      if (k >= sizeof have) strcpy(have + sizeof have - 5, "...");
      return peil_error(PEIL_ENOTFOUND, "%s: column '%s' of the schema is not in %s (its columns: %s)",
                        x->schema->path, x->schema->cols[i].name, x->path, have);
    }
  }
  return PEIL_OK;
}

static int pass1_batch(void *ctx, const csv_batch *b) {
  import_ctx *x = ctx;
  for (size_t j = 0; j < x->ncols; j++) {
    csv_column *c = &x->cols[j];
    if (!c->infer && !c->collect) continue;
    int rc = csv_infer_feed(&c->inf, b, j, x->path, c->name, x->opt->decimal, &x->na);
    if (rc) return rc;
  }
  return PEIL_OK;
}

/* Level maps of a categorical: from the values pass 1 saw (sorted) or
 * from the schema's list (in its order, so codes stay the same across
 * deliveries). */
static int make_levels(import_ctx *x, csv_column *c) {
  csv_schema_col *sc = c->from_schema ? csv_schema_find(x->schema, c->name) : NULL;
  if (sc && sc->nlevels) {
    if (!(c->lv = csv_strset_new())) return peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t k = 0; k < sc->nlevels; k++) {
      int added;
      if (csv_strset_add(c->lv, sc->levels[k], strlen(sc->levels[k]), &added) < 0)
        return peil_error(PEIL_ENOMEM, "out of memory");
    }
  } else {
    c->lv = c->inf.levels; /* take over the set pass 1 built */
    c->inf.levels = NULL;
  }
  size_t n = csv_strset_size(c->lv);
  c->nlevels = n;
  c->code = malloc((n ? n : 1) * sizeof *c->code);
  c->labels = malloc((n ? n : 1) * sizeof *c->labels);
  if (!c->code || !c->labels) return peil_error(PEIL_ENOMEM, "out of memory");
  if (sc && sc->nlevels) {
    for (size_t k = 0; k < n; k++) c->code[k] = (int32_t)k, c->labels[k] = csv_strset_get(c->lv, k, NULL);
    return PEIL_OK;
  }
  size_t *order = csv_strset_sorted(c->lv);
  if (!order) return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t rank = 0; rank < n; rank++) {
    c->code[order[rank]] = (int32_t)rank;
    c->labels[rank] = csv_strset_get(c->lv, order[rank], NULL);
  }
  free(order);
  return PEIL_OK;
}

/* After pass 1 (if any): final types, level maps, batch buffers. */
static int settle(import_ctx *x) {
  for (size_t j = 0; j < x->ncols; j++) {
    csv_column *c = &x->cols[j];
    int rc = PEIL_OK;
    if (c->infer) rc = csv_infer_decide(&c->inf, x->path, c->name, c->colno, &c->type);
    else if (c->collect) {
      peil_type t;
      rc = csv_infer_decide(&c->inf, x->path, c->name, c->colno, &t);
    }
    if (!rc && c->type == PEIL_ENUM) rc = make_levels(x, c);
    csv_infer_clear(&c->inf);
    if (rc) return rc;
    if (!(c->buf = malloc(PEIL_BLOCK_ROWS * peil_type_size(c->type))))
      return peil_error(PEIL_ENOMEM, "out of memory");
    x->bufs[j] = c->buf;
  }
  return PEIL_OK;
}

static int pass2_batch(void *ctx, const csv_batch *b) {
  import_ctx *x = ctx;
  for (size_t j = 0; j < x->ncols; j++) {
    int rc = csv_convert_column(&x->cols[j], b, j, x->path, x->opt->decimal, &x->na);
    if (rc) return rc;
  }
  return peil_table_append(x->w, x->bufs, b->nrows);
}

static int check_options(const peil_csv_options *o) {
  if (o->decimal != '.' && o->decimal != ',')
    return peil_error(PEIL_EINVAL, "decimal separator must be '.' or ',', not '%c'", o->decimal);
  char d = o->delimiter;
  if (d == '"' || d == '\n' || d == '\r' || (d && d == o->decimal) || d == ' ')
    return peil_error(PEIL_EINVAL, "delimiter '%c' cannot be used%s", d,
                      d == o->decimal ? " (it is also the decimal separator)" : "");
  if (o->max_levels < 1) return peil_error(PEIL_EINVAL, "max_levels must be at least 1");
  return PEIL_OK;
}

/* Names the pass-2 header's difference from pass 1's (the file changed). */
static int same_header(import_ctx *x, csv_reader *rd) {
  const char *const *names = csv_reader_names(rd);
  int same = csv_reader_ncols(rd) == x->ncols;
  for (size_t j = 0; same && j < x->ncols; j++) same = strcmp(names[j], x->cols[j].name) == 0;
  return same ? PEIL_OK
              : peil_error(PEIL_EDATA, "%s: the header changed between the two passes over the file",
                           x->path);
}

static int set_provenance(peil_store *s, const char *table, import_ctx *x, int64_t bytes,
                          int passes, char delim) {
  char when[32], text[2048];
  time_t now = time(NULL);
  struct tm tmv;
  gmtime_r(&now, &tmv);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tmv);
  char dshow[8];
  if (delim == '\t') snprintf(dshow, sizeof dshow, "tab");
  else snprintf(dshow, sizeof dshow, "'%c'", delim);
  snprintf(text, sizeof text,
           "source: %s (%lld bytes)\nimported: %s\npeil_version: %s\nschema: %s\n"
           "delimiter: %s, decimal: '%c', passes: %d",
           x->path, (long long)bytes, when, peil_version(),
           x->schema ? x->schema->path : "(none: types inferred)", dshow, x->opt->decimal, passes);
  int rc = peil_store_set_attr_str(s, table, "provenance", text);
  if (!rc) rc = peil_store_set_attr_str(s, table, "source", x->path);
  if (!rc && x->opt->description)
    rc = peil_store_set_attr_str(s, table, "description", x->opt->description);
  return rc;
}

static int fill_report(peil_csv_report *rep, import_ctx *x, int64_t nrows, int passes, char delim,
                       int64_t bytes) {
  memset(rep, 0, sizeof *rep);
  rep->cols = calloc(x->ncols ? x->ncols : 1, sizeof *rep->cols);
  if (!rep->cols) return peil_error(PEIL_ENOMEM, "out of memory");
  rep->ncols = x->ncols;
  rep->nrows = nrows;
  rep->passes = passes;
  rep->delimiter = delim;
  rep->bytes = bytes;
  for (size_t j = 0; j < x->ncols; j++) {
    csv_column *c = &x->cols[j];
    peil_csv_column_report *o = &rep->cols[j];
    o->name = c->name;
    c->name = NULL; /* moved */
    o->type = c->type;
    o->nlevels = c->nlevels;
    o->n_missing = c->n_missing;
    o->from_schema = c->from_schema;
  }
  return PEIL_OK;
}

void peil_csv_report_free(peil_csv_report *r) {
  if (!r) return;
  for (size_t j = 0; j < r->ncols; j++) free(r->cols[j].name);
  free(r->cols);
  memset(r, 0, sizeof *r);
}

int peil_csv_import(const char *csv_path, const peil_csv_options *opts, peil_store *store,
                    const char *table, peil_csv_report *report) {
  peil_csv_options defaults = PEIL_CSV_OPTIONS_INIT;
  if (!opts) opts = &defaults;
  if (report) memset(report, 0, sizeof *report);
  if (!csv_path || !store || !table)
    return peil_error(PEIL_EINVAL, "peil_csv_import: missing file, store or table");
  int rc = check_options(opts);
  if (rc) return rc;
  const char *spath = peil_store_path(store);
  int exists = peil_store_has_table(store, table);
  if (exists && !opts->replace)
    return peil_error(PEIL_EEXIST, "%s: table '%s' exists already (replace it with --replace)",
                      spath, table);

  import_ctx x = {0};
  x.path = csv_path;
  x.opt = opts;
  csv_reader *rd = NULL;
  int created = 0, passes = 1;
  char delim = 0;
  int64_t bytes = 0, nrows = 0;
  rc = csv_na_init(&x.na, opts->na);
  if (!rc && opts->schema_path) rc = csv_schema_load(opts->schema_path, &x.schema);
  if (!rc) rc = csv_reader_open(csv_path, opts->delimiter, &rd);
  if (!rc) {
    delim = csv_reader_delimiter(rd);
    bytes = csv_reader_bytes(rd);
    if (delim == opts->decimal)
      rc = peil_error(PEIL_EINVAL,
                      "%s: the delimiter '%c' is also the decimal separator: give --delimiter",
                      csv_path, delim);
  }
  if (!rc) rc = plan(&x, rd);

  int need_pass1 = 0;
  for (size_t j = 0; !rc && j < x.ncols; j++) need_pass1 |= x.cols[j].infer || x.cols[j].collect;
  if (!rc && need_pass1) {
    passes = 2;
    rc = csv_reader_run(rd, opts->threads, pass1_batch, &x);
    x.pass1_rows = csv_reader_rows(rd);
    csv_reader_close(rd);
    rd = NULL;
    if (!rc) rc = csv_reader_open(csv_path, delim, &rd);
    if (!rc) rc = same_header(&x, rd);
  }
  if (!rc) rc = settle(&x);

  if (!rc && exists) rc = peil_store_drop_table(store, table);
  if (!rc) {
    peil_column_def *defs = calloc(x.ncols ? x.ncols : 1, sizeof *defs);
    if (!defs) rc = peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t j = 0; !rc && j < x.ncols; j++)
      defs[j] = (peil_column_def){x.cols[j].name, x.cols[j].type, x.cols[j].nlevels,
                                  (const char *const *)x.cols[j].labels};
    if (!rc) {
      rc = peil_table_create(store, table, defs, x.ncols, &x.w);
      created = rc == PEIL_OK;
      if (rc == PEIL_EHDF5)
        peil_error_prefix(rc, "%s: ", csv_path);
    }
    free(defs);
  }
  if (!rc) rc = csv_reader_run(rd, opts->threads, pass2_batch, &x);
  if (!rc) {
    nrows = csv_reader_rows(rd);
    if (passes == 2 && nrows != x.pass1_rows)
      rc = peil_error(PEIL_EDATA, "%s: the file changed between the two passes (%lld rows, then %lld)",
                      csv_path, (long long)x.pass1_rows, (long long)nrows);
  }
  if (!rc) {
    rc = peil_table_finish(x.w);
    x.w = NULL;
  }
  if (!rc) rc = set_provenance(store, table, &x, bytes, passes, delim);
  if (!rc && report) rc = fill_report(report, &x, nrows, passes, delim, bytes);

  if (rc) {
    peil_table_writer_free(x.w);
    if (created) {
      /* Keep the first error's message, not the clean-up's. */
      char msg[2048];
      snprintf(msg, sizeof msg, "%s", peil_errmsg());
      peil_store_drop_table(store, table);
      peil_error(rc, "%s", msg);
    }
    if (report) peil_csv_report_free(report);
  }
  csv_reader_close(rd);
  free_columns(&x);
  csv_schema_free(x.schema);
  return rc;
}

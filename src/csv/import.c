/* peil_csv_import: plan the columns (schema, or inference in a first pass),
 * then convert the file chunk by chunk in the reader's workers and append
 * the chunks to a new table in file order. A failed import drops the table
 * it started, so the writable store holds no half table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv_internal.h"

/* A schema's categorical without a level list collects at most this many
 * distinct values (a bound on memory; HDF5's limit on the labels' size,
 * checked in check_enum_size, usually comes first). */
#define SCHEMA_MAX_LEVELS 32767

void peil_csv_options_init(peil_csv_options *o) {
  peil_csv_options d = PEIL_CSV_OPTIONS_INIT;
  *o = d;
}

/* csv_pass first: the field callbacks take the context as a csv_pass. */
typedef struct {
  csv_pass pass;
  const char *path;
  const peil_csv_options *opt;
  csv_na na;
  csv_schema *schema;
  size_t ncols;
  csv_column *cols;
  int nworkers;
  csv_wstate *ws;
  peil_type *types;
  csv_order order;   /* the last pass's output, in file order */
  int order_live;
  peil_table_writer *w;
  int64_t pass1_rows;
  int pass_no, passes; /* for progress reports */
} import_ctx;

static void progress(void *ctx, int64_t done, int64_t total) {
  import_ctx *x = ctx;
  if (x->opt->progress) x->opt->progress(x->opt->progress_arg, x->pass_no, x->passes, done, total);
}

static void free_workers(import_ctx *x) {
  for (int i = 0; x->ws && i < x->nworkers; i++) {
    csv_wstate *ws = &x->ws[i];
    for (size_t j = 0; ws->inf && j < x->ncols; j++) csv_infer_clear(&ws->inf[j]);
    free(ws->inf);
    free(ws->st);
  }
  free(x->ws);
  x->ws = NULL;
  if (x->order_live) csv_order_clear(&x->order);
  x->order_live = 0;
}

static void free_columns(import_ctx *x) {
  free_workers(x);
  for (size_t j = 0; j < x->ncols; j++) {
    csv_column *c = &x->cols[j];
    free(c->name);
    csv_infer_clear(&c->inf);
    csv_strset_free(c->lv);
    free(c->code);
    free(c->labels);
  }
  free(x->cols);
  free(x->types);
  x->cols = NULL;
  x->types = NULL;
  x->ncols = 0;
}

/* The columns from the header and the schema: which need pass 1. */
static int plan(import_ctx *x, csv_reader *rd) {
  size_t nc = csv_reader_ncols(rd);
  const char *const *names = csv_reader_names(rd);
  x->cols = calloc(nc, sizeof *x->cols);
  if (!x->cols) return peil_error(PEIL_ENOMEM, "out of memory");
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
      return peil_error(PEIL_ENOTFOUND, "%s:%d: column '%s' of the schema is not in %s (its columns: %s)",
                        x->schema->path, x->schema->cols[i].line, x->schema->cols[i].name, x->path,
                        have);
    }
  }
  return PEIL_OK;
}

/* Per-worker inference states, copies of the columns' initial ones. */
static int alloc_workers(import_ctx *x, int pass1) {
  x->ws = calloc((size_t)x->nworkers, sizeof *x->ws);
  if (!x->ws) return peil_error(PEIL_ENOMEM, "out of memory");
  x->pass.ws = x->ws;
  for (int i = 0; i < x->nworkers; i++) {
    csv_wstate *ws = &x->ws[i];
    if (pass1) {
      if (!(ws->inf = calloc(x->ncols, sizeof *ws->inf))) return peil_error(PEIL_ENOMEM, "out of memory");
      for (size_t j = 0; j < x->ncols; j++) {
        csv_column *c = &x->cols[j];
        if (!c->feed) continue;
        /* Pass 1 proper, or collecting the levels of a text column (1b). */
        int text_only = c->inf.text_only || c->inf.cand == 0;
        int rc = csv_infer_init(&ws->inf[j], c->inf.max_levels, text_only);
        if (rc) return rc;
      }
    } else if (!(ws->st = calloc(x->ncols, sizeof *ws->st))) {
      return peil_error(PEIL_ENOMEM, "out of memory");
    }
  }
  return PEIL_OK;
}

/* The workers' views of each column, merged (in worker order: the result
 * does not depend on which worker read which chunk). */
static int merge_pass1(import_ctx *x) {
  for (size_t j = 0; j < x->ncols; j++) {
    csv_column *c = &x->cols[j];
    if (!c->feed) continue;
    for (int i = 0; i < x->nworkers; i++) {
      int rc = csv_infer_merge(&c->inf, &x->ws[i].inf[j]);
      if (rc) return rc;
    }
  }
  free_workers(x);
  return PEIL_OK;
}

/* Pass 1b: the levels of columns that turned text after typed values
 * (pass 1 collects only text values). */
static int merge_levels(import_ctx *x) {
  for (size_t j = 0; j < x->ncols; j++) {
    csv_column *c = &x->cols[j];
    if (!c->feed) continue;
    csv_infer_col all;
    int rc = csv_infer_init(&all, c->inf.max_levels, 1);
    for (int i = 0; !rc && i < x->nworkers; i++) rc = csv_infer_merge(&all, &x->ws[i].inf[j]);
    if (!rc) {
      csv_strset_free(c->inf.levels);
      c->inf.levels = all.levels;
      c->inf.levels_closed = all.levels_closed;
      all.levels = NULL;
    }
    csv_infer_clear(&all);
    if (rc) return rc;
  }
  free_workers(x);
  return PEIL_OK;
}

static int run_pass1(import_ctx *x, csv_reader *rd, int (*merge)(import_ctx *)) {
  const csv_consumer pass1 = {csv_infer_field, NULL, NULL, NULL, NULL, progress};
  x->pass_no++;
  int rc = alloc_workers(x, 1);
  if (!rc) rc = csv_reader_run(rd, x->nworkers, &pass1, x);
  if (!rc) rc = merge(x);
  free_workers(x);
  return rc;
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

/* Checked before the table is created so that too many labels are bad input
 * with a message that names the file and says what to do. */
static int check_enum_size(const import_ctx *x, const csv_column *c) {
  size_t bytes = peil_enum_type_bytes(c->nlevels, (const char *const *)c->labels);
  if (bytes <= PEIL_ENUM_TYPE_MAX) return PEIL_OK;
  return peil_error(PEIL_EDATA,
                    "%s: column '%s' (%zu): its %zu distinct values need %zu kB of labels, more than "
                    "the 64 kB an HDF5 categorical type holds; give the column another type in a "
                    "schema (an identifier or a code as int64, for instance)",
                    x->path, c->name, c->colno, c->nlevels, bytes / 1024);
}

/* After pass 1 (if any): final types and level maps. */
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
    if (!rc && c->type == PEIL_ENUM) rc = check_enum_size(x, c);
    csv_infer_clear(&c->inf);
    if (rc) return rc;
  }
  return PEIL_OK;
}

static int pass2_begin(void *ctx, int worker, size_t chunk) {
  import_ctx *x = ctx;
  return csv_order_begin(&x->order, worker, chunk);
}

static int pass2_row(void *ctx, int worker) {
  import_ctx *x = ctx;
  return csv_order_row_done(&x->order, worker);
}

static int pass2_chunk_done(void *ctx, int worker, size_t chunk) {
  (void)chunk;
  import_ctx *x = ctx;
  return csv_order_chunk_done(&x->order, worker);
}

static void pass2_chunk_failed(void *ctx, int worker, size_t chunk) {
  (void)chunk;
  import_ctx *x = ctx;
  csv_order_chunk_failed(&x->order, worker);
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
  x.pass = (csv_pass){csv_path, opts->decimal, &x.na, x.cols, NULL, &x.order};

  int need_pass1 = 0;
  for (size_t j = 0; !rc && j < x.ncols; j++) {
    x.cols[j].feed = x.cols[j].infer || x.cols[j].collect;
    need_pass1 |= x.cols[j].feed;
  }
  if (!rc) x.nworkers = csv_reader_workers(rd, opts->threads);
  x.passes = need_pass1 ? 2 : 1;
  if (!rc && need_pass1) {
    passes = 2;
    rc = run_pass1(&x, rd, merge_pass1);
    x.pass1_rows = csv_reader_rows(rd);
    int need_levels = 0;
    for (size_t j = 0; !rc && j < x.ncols; j++) {
      x.cols[j].feed = x.cols[j].infer && csv_infer_needs_levels(&x.cols[j].inf);
      need_levels |= x.cols[j].feed;
    }
    if (!rc && need_levels) {
      passes = x.passes = 3;
      rc = run_pass1(&x, rd, merge_levels);
    }
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
  if (!rc) rc = alloc_workers(&x, 0);
  if (!rc && !(x.types = malloc((x.ncols ? x.ncols : 1) * sizeof *x.types)))
    rc = peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t j = 0; !rc && j < x.ncols; j++) x.types[j] = x.cols[j].type;
  if (!rc) {
    rc = csv_order_init(&x.order, x.ncols, x.types, x.nworkers, x.w);
    x.order_live = 1;
  }
  if (!rc) {
    const csv_consumer pass2 = {csv_convert_field, pass2_row,         pass2_begin,
                                pass2_chunk_done,  pass2_chunk_failed, progress};
    x.pass_no++;
    rc = csv_reader_run(rd, x.nworkers, &pass2, &x);
  }
  for (size_t j = 0; x.ws && j < x.ncols; j++)
    for (int i = 0; i < x.nworkers; i++) x.cols[j].n_missing += x.ws[i].st[j].n_missing;
  if (!rc) {
    nrows = csv_reader_rows(rd);
    if (passes > 1 && nrows != x.pass1_rows)
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

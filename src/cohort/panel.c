/* peil_panel_write: a person-month panel materialised as a table.
 *
 * The pass is the cohort engine's: the person table in row blocks and,
 * beside it, every spell table read in rin order a person at a time
 * (spells.c). Which spell counts for a month is spells_latest's answer,
 * the rule of the engine's status questions (so a panel cell and a cohort
 * count agree by construction), found for all months in one pass over the
 * person's handful of spells (spells_latest_each). Rows go to the table
 * writer a chunk at a time, so memory is a block per table read and a
 * chunk of rows (two with write-behind), whatever the number of persons.
 *
 * The table is written under a temporary name and renamed when complete:
 * the store never holds a half-written panel, and an old panel is dropped
 * (--force) only once the new one is there. */
#define _GNU_SOURCE /* open_memstream, asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "cohort_internal.h"

#define PANEL_ROWS PEIL_BLOCK_ROWS /* rows buffered per append (a chunk of the writer) */

typedef struct {
  size_t table;                /* index into the panel's tables */
  size_t attr;                 /* index among that table's attribute columns */
  char *name;                  /* TABLE_COLUMN */
  const peil_column_info *col; /* the spell table's column: its levels */
} panel_value;

typedef struct {
  peil_store *st;
  const peil_panel_options *o;
  const char *persons, *name;
  char *tmp;              /* the temporary table while it is written */
  size_t nmonths;
  int32_t *month;         /* per month: its first day */
  int32_t *lo, *hi;       /* per month: a spell counts when it overlaps [lo, hi] */
  size_t ntables;
  spell_table *tables;
  size_t nvalues;
  panel_value *values;
  peil_scan *people;
  int rin64;
  peil_table_writer *w;
  size_t ncols;           /* rin, month, tables, values */
  void **buf;             /* one chunk of rows per column */
  size_t n, cap;          /* rows in buf, and room (whole persons: at least a person's) */
  long *which;            /* [table][month]: the spell that counts, or -1 */
  size_t *kept;           /* the months of the current person's rows */
  peil_panel_summary *sum;
} panel;

void peil_panel_options_init(peil_panel_options *o) {
  memset(o, 0, sizeof *o);
  o->from = o->to = PEIL_NA_DATE;
}

int peil_panel_parse_at(const char *s, int *at) {
  static const struct {
    const char *name;
    int at;
  } named[] = {{"any", PEIL_PANEL_AT_ANY}, {"first", PEIL_PANEL_AT_FIRST}, {"last", PEIL_PANEL_AT_LAST}};
  for (size_t i = 0; i < sizeof named / sizeof *named; i++)
    if (strcmp(s, named[i].name) == 0) return *at = named[i].at, PEIL_OK;
  char *end;
  long d = strtol(s, &end, 10);
  if (*s >= '0' && *s <= '9' && !*end && d >= 1 && d <= 31) return *at = (int)d, PEIL_OK;
  return peil_error(PEIL_EINVAL, "at: '%s' is not any, first, last or a day of the month 1..31", s);
}

void peil_panel_summary_free(peil_panel_summary *sum) {
  if (!sum) return;
  free(sum->table);
  free(sum->ones);
  free(sum->orphans);
  memset(sum, 0, sizeof *sum);
}

static int32_t first_of_month(int32_t day) {
  int y, m, d;
  peil_date_to_ymd(day, &y, &m, &d);
  return peil_date_from_ymd(y, m, 1);
}

static void month_text(int32_t first_day, char *buf) {
  peil_date_format(first_day, buf);
  buf[7] = '\0'; /* YYYY-MM */
}

/* The threads of the run: the option, or one per core. */
static int threads(const peil_panel_options *o) {
  return o->threads > 0 ? o->threads : omp_get_num_procs();
}

/* ---- Setting up: the months, the tables, the columns. */

/* The days of the month starting on `first` that a spell must touch to
 * count for it: [*lo, *hi]. */
static void counting_days(int at, int32_t first, int32_t *lo, int32_t *hi) {
  int32_t last = peil_date_add_months(first, 1) - 1;
  switch (at) {
  case PEIL_PANEL_AT_ANY: *lo = first, *hi = last; break;
  case PEIL_PANEL_AT_FIRST: *lo = *hi = first; break;
  case PEIL_PANEL_AT_LAST: *lo = *hi = last; break;
  default: *lo = *hi = first + (at - 1 < last - first ? at - 1 : last - first); /* clamped */
  }
}

/* The months from..to and per month the days that count. A month whose
 * counting days reach outside the data is not known (no spell there does
 * not mean not in the status): by default the panel runs over the months
 * whose days lie within the store's coverage, and months given outside it
 * are errors, as reference dates outside the data are for cohorts. */
static int setup_months(panel *P) {
  const peil_panel_options *o = P->o;
  int32_t data_start = PEIL_NA_DATE, data_end = PEIL_NA_DATE, lo, hi;
  cohort_store_coverage(P->st, &data_start, &data_end);
  int32_t from = o->from, to = o->to;
  if (from == PEIL_NA_DATE && data_start != PEIL_NA_DATE) {
    from = first_of_month(data_start);
    counting_days(o->at, from, &lo, &hi);
    if (lo < data_start) from = peil_date_add_months(from, 1);
  }
  if (to == PEIL_NA_DATE && data_end != PEIL_NA_DATE) {
    to = first_of_month(data_end);
    counting_days(o->at, to, &lo, &hi);
    if (hi > data_end) to = peil_date_add_months(to, -1);
  }
  for (int i = 0; i < 2; i++)
    if ((i ? to : from) == PEIL_NA_DATE)
      return peil_error(PEIL_EINVAL,
                        "the store %s does not say when its data %s (no root attribute %s or %s): "
                        "give the %s month (--%s)",
                        peil_store_path(P->st), i ? "end" : "start", i ? "data_end" : "data_start",
                        i ? "sim_to" : "sim_from", i ? "last" : "first", i ? "to" : "from");
  from = first_of_month(from); /* any day of the month may be given */
  to = first_of_month(to);
  char a[12], b[12], ds[12] = "..", de[12] = "..", day[12];
  month_text(from, a);
  month_text(to, b);
  if (data_start != PEIL_NA_DATE) peil_date_format(data_start, ds);
  if (data_end != PEIL_NA_DATE) peil_date_format(data_end, de);
  counting_days(o->at, from, &lo, &hi);
  if (data_start != PEIL_NA_DATE && lo < data_start) {
    peil_date_format(lo, day);
    return peil_error(PEIL_EINVAL, "month %s lies outside the data (%s .. %s): %s is before its start",
                      a, ds, de, day);
  }
  counting_days(o->at, to, &lo, &hi);
  if (data_end != PEIL_NA_DATE && hi > data_end) {
    peil_date_format(hi, day);
    return peil_error(PEIL_EINVAL, "month %s lies outside the data (%s .. %s): %s is after its end",
                      b, ds, de, day);
  }
  if (from > to)
    return peil_error(PEIL_EINVAL, "the first month (%s) is after the last (%s)", a, b);
  P->nmonths = (size_t)cohort_months_between(from, to) + 1;
  P->month = malloc(P->nmonths * sizeof *P->month);
  P->lo = malloc(P->nmonths * sizeof *P->lo);
  P->hi = malloc(P->nmonths * sizeof *P->hi);
  if (!P->month || !P->lo || !P->hi) return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t k = 0; k < P->nmonths; k++) {
    P->month[k] = peil_date_add_months(from, (int)k);
    counting_days(o->at, P->month[k], &P->lo[k], &P->hi[k]);
  }
  if (P->sum) {
    P->sum->from = from;
    P->sum->to = to;
    P->sum->nmonths = P->nmonths;
  }
  return PEIL_OK;
}

/* The person table: integer rin, scanned alone. */
static int setup_persons(panel *P) {
  if (!peil_store_has_table(P->st, P->persons))
    return peil_error(PEIL_ENOTFOUND, "the store %s has no person table '%s'",
                      peil_store_path(P->st), P->persons);
  peil_table_info *ti;
  int rc = peil_store_table_info(P->st, P->persons, &ti);
  if (rc) return rc;
  int k = peil_table_info_find(ti, "rin");
  int ok = k >= 0 && (ti->cols[k].type == PEIL_INT64 || ti->cols[k].type == PEIL_INT32);
  peil_table_info_free(ti);
  if (!ok)
    return peil_error(PEIL_ENOTFOUND, "person table '%s' needs an integer column rin", P->persons);
  const char *cols[1] = {"rin"};
  if ((rc = peil_scan_open(P->st, P->persons, cols, 1, 0, &P->people))) return rc;
  P->rin64 = peil_scan_column(P->people, 0)->type == PEIL_INT64;
  return PEIL_OK;
}

static int table_index(const panel *P, const char *name, size_t len, size_t *i) {
  for (*i = 0; *i < P->o->ntables; (*i)++)
    if (strlen(P->o->tables[*i]) == len && strncmp(P->o->tables[*i], name, len) == 0) return 1;
  return 0;
}

/* "TABLE.COLUMN" of --values: a categorical column of one of the tables.
 * The reader copies the attribute columns of every spell (as it does for
 * the cohort engine's strata), so the column joins the table's attributes
 * and the value of the spell that counts is read from there. */
static int parse_value(panel *P, const char *spec, panel_value *v) {
  const char *dot = strchr(spec, '.');
  if (!dot || dot == spec || !dot[1])
    return peil_error(PEIL_EINVAL, "values: '%s' is not TABLE.COLUMN (e.g. bijstand.municipality)",
                      spec);
  size_t len = (size_t)(dot - spec);
  if (!table_index(P, spec, len, &v->table))
    return peil_error(PEIL_EINVAL, "values: %s: table '%.*s' is not one of the panel's tables",
                      spec, (int)len, spec);
  const char *col = dot + 1;
  spell_table *t = &P->tables[v->table];
  int k = peil_table_info_find(t->info, col);
  if (k < 0)
    return peil_error(PEIL_ENOTFOUND, "values: %s: table '%s' has no column '%s'", spec, t->name, col);
  if (t->info->cols[k].type != PEIL_ENUM)
    return peil_error(PEIL_ETYPE, "values: %s: column '%s' of table '%s' is %s, not categorical",
                      spec, col, t->name, peil_type_name(t->info->cols[k].type));
  v->col = &t->info->cols[k];
  for (size_t i = 0; i < t->nattr; i++)
    if (strcmp(t->attr_name[i], col) == 0)
      return peil_error(PEIL_EINVAL, "values: %s is given twice", spec);
  int rc = spell_table_add_attr(t, col, NULL, 0, &v->attr);
  if (!rc && asprintf(&v->name, "%.*s_%s", (int)len, spec, col) < 0) {
    v->name = NULL;
    rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  return rc;
}

/* The spell tables with the columns --values reads from them. */
static int setup_tables(panel *P) {
  const peil_panel_options *o = P->o;
  P->tables = calloc(o->ntables, sizeof *P->tables);
  P->values = calloc(o->nvalues + 1, sizeof *P->values);
  int rc = P->tables && P->values ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < o->ntables; i++) {
    size_t j;
    if (table_index(P, o->tables[i], strlen(o->tables[i]), &j) && j < i)
      return peil_error(PEIL_EINVAL, "tables: '%s' is given twice", o->tables[i]);
    rc = spell_table_open(&P->tables[i], P->st, o->tables[i], NULL, NULL);
    P->ntables = i + 1; /* closed with the others, even half-open */
  }
  for (size_t k = 0; !rc && k < o->nvalues; k++) {
    P->nvalues = k + 1;
    rc = parse_value(P, o->values[k], &P->values[k]);
  }
  /* The tables' chunks are decoded by the threads the writer leaves. */
  int decode = threads(o) > 1 ? threads(o) - 1 : 1;
  for (size_t i = 0; !rc && i < P->ntables; i++) {
    rc = spell_table_start(&P->tables[i], P->st);
    if (!rc) peil_scan_set_threads(P->tables[i].scan, decode);
  }
  return rc;
}

static int create_table(panel *P) {
  size_t nc = 2 + P->ntables + P->nvalues;
  peil_column_def *defs = calloc(nc, sizeof *defs);
  P->buf = calloc(nc, sizeof *P->buf);
  if (!defs || !P->buf) {
    free(defs);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  P->ncols = nc;
  P->cap = P->nmonths > PANEL_ROWS ? P->nmonths : PANEL_ROWS;
  defs[0] = (peil_column_def){"rin", P->rin64 ? PEIL_INT64 : PEIL_INT32, 0, NULL};
  defs[1] = (peil_column_def){"month", PEIL_DATE, 0, NULL};
  for (size_t t = 0; t < P->ntables; t++)
    defs[2 + t] = (peil_column_def){P->tables[t].name, PEIL_INT8, 0, NULL};
  for (size_t v = 0; v < P->nvalues; v++) {
    const peil_column_info *c = P->values[v].col;
    defs[2 + P->ntables + v] =
        (peil_column_def){P->values[v].name, PEIL_ENUM, c->nlevels, (const char *const *)c->levels};
  }
  int rc = PEIL_OK;
  /* A table called "rin" or "month", or "jobs_contract" beside the values
   * of jobs.contract, would give two columns one name. */
  for (size_t i = 0; !rc && i < nc; i++)
    for (size_t j = 0; !rc && j < i; j++)
      if (strcmp(defs[i].name, defs[j].name) == 0)
        rc = peil_error(PEIL_EINVAL, "two columns of the panel would be called '%s'", defs[i].name);
  if (!rc) rc = cohort_partial_name(P->st, P->name, &P->tmp);
  if (!rc) rc = peil_table_create(P->st, P->tmp, defs, nc, &P->w);
  /* With a second thread, it compresses and writes the chunks while this
   * one reads the spells and makes the next rows. */
  if (!rc && threads(P->o) > 1) rc = peil_table_write_behind(P->w);
  for (size_t i = 0; !rc && i < nc; i++)
    if (!(P->buf[i] = malloc(P->cap * peil_type_size(defs[i].type))))
      rc = peil_error(PEIL_ENOMEM, "out of memory");
  free(defs);
  return rc;
}

/* ---- The pass. */

static int flush(panel *P) {
  if (!P->n) return PEIL_OK;
  int rc = peil_table_append(P->w, (const void *const *)P->buf, P->n);
  P->n = 0;
  return rc;
}

/* The rows of one person whose spells the tables have gathered, filled
 * column by column: the spell that counts per table and month
 * (spells_latest_each), then the months kept, then each column. */
static int person_rows(panel *P, int64_t rin) {
  size_t M = P->nmonths, T = P->ntables;
  if (P->n + M > P->cap) {
    int rc = flush(P);
    if (rc) return rc;
  }
  for (size_t t = 0; t < T; t++)
    spells_latest_each(&P->tables[t], P->lo, P->hi, M, &P->which[t * M]);
  size_t m = 0; /* the months kept */
  const long *which = P->which;
  int keep_all = !P->o->keep_any;
  for (size_t k = 0; k < M; k++) {
    int any = keep_all;
    for (size_t t = 0; t < T && !any; t++) any = which[t * M + k] >= 0;
    if (any) P->kept[m++] = k;
  }
  /* Locals, not P->...: the stores into the columns could alias P's
   * fields as far as the compiler knows, which would reload them per row. */
  size_t i0 = P->n;
  const size_t *kept = P->kept;
  const int32_t *month = P->month;
  if (P->rin64) {
    int64_t *col = (int64_t *)P->buf[0] + i0;
    for (size_t j = 0; j < m; j++) col[j] = rin;
  } else {
    int32_t *col = (int32_t *)P->buf[0] + i0;
    for (size_t j = 0; j < m; j++) col[j] = (int32_t)rin;
  }
  int32_t *mcol = (int32_t *)P->buf[1] + i0;
  for (size_t j = 0; j < m; j++) mcol[j] = month[kept[j]];
  for (size_t t = 0; t < T; t++) {
    const long *w = &P->which[t * M];
    int8_t *col = (int8_t *)P->buf[2 + t] + i0;
    int64_t ones = 0;
    for (size_t j = 0; j < m; j++) ones += col[j] = w[kept[j]] >= 0;
    P->sum->ones[t] += ones;
  }
  for (size_t v = 0; v < P->nvalues; v++) {
    const panel_value *pv = &P->values[v];
    const spell_table *st = &P->tables[pv->table];
    const long *w = &P->which[pv->table * M];
    const int32_t *attrs = st->attrs;
    const spell *sp = st->sp;
    size_t na = st->nattr, a = pv->attr;
    int32_t *col = (int32_t *)P->buf[2 + T + v] + i0;
    for (size_t j = 0; j < m; j++) {
      long s = w[kept[j]];
      col[j] = s < 0 ? PEIL_NA_ENUM : attrs[(size_t)sp[s].attr * na + a];
    }
  }
  P->n += m;
  P->sum->n_rows += (int64_t)m;
  return PEIL_OK;
}

static int pass(panel *P) {
  P->which = malloc(P->ntables * P->nmonths * sizeof *P->which);
  P->kept = malloc(P->nmonths * sizeof *P->kept);
  if (!P->which || !P->kept) return peil_error(PEIL_ENOMEM, "out of memory");
  int64_t total = peil_scan_nrows(P->people), last = INT64_MIN;
  peil_block pb;
  int rc = PEIL_OK;
  while (!rc) {
    int got = peil_scan_next(P->people, &pb);
    if (got <= 0) {
      rc = got;
      break;
    }
    for (size_t r = 0; !rc && r < pb.nrows; r++) {
      int64_t rin;
      rc = cohort_person_rin(&pb, 0, P->rin64, r, P->persons, &last, &rin);
      for (size_t t = 0; !rc && t < P->ntables; t++) rc = spell_table_gather(&P->tables[t], rin);
      if (!rc) rc = person_rows(P, rin);
      P->sum->n_persons++;
    }
    if (!rc && P->o->progress) P->o->progress(P->o->progress_arg, P->sum->n_persons, total);
  }
  /* Spells after the last person are orphans too (and must be sorted). */
  for (size_t t = 0; !rc && t < P->ntables; t++) {
    rc = spell_table_gather(&P->tables[t], INT64_MAX);
    P->sum->orphans[t] = P->tables[t].orphans;
  }
  return rc ? rc : flush(P);
}

/* What the panel holds, for h5py users and peil info. */
static int describe(panel *P) {
  const peil_panel_options *o = P->o;
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) return peil_error(PEIL_ENOMEM, "out of memory");
  char a[12], b[12];
  month_text(P->sum->from, a);
  month_text(P->sum->to, b);
  fprintf(f, "Person-month panel (peil panel): one row per person of table '%s' (by rin) and month "
             "%s .. %s%s. ", P->persons, a, b, o->keep_any ? " in which the person is in at least one status" : "");
  for (size_t t = 0; t < P->ntables; t++) fprintf(f, "%s%s", t ? ", " : "", P->tables[t].name);
  fprintf(f, ": 1 when a spell of the table ");
  if (o->at == PEIL_PANEL_AT_ANY) fprintf(f, "overlaps any day of the month");
  else if (o->at == PEIL_PANEL_AT_FIRST) fprintf(f, "covers the first day of the month");
  else if (o->at == PEIL_PANEL_AT_LAST) fprintf(f, "covers the last day of the month");
  else fprintf(f, "covers day %d of the month (the last day in shorter months)", o->at);
  fprintf(f, ", else 0; month is the month's first day.");
  for (size_t v = 0; v < P->nvalues; v++)
    fprintf(f, "%s%s", v ? ", " : " ", P->values[v].name);
  if (P->nvalues)
    fprintf(f, ": the value of the spell that counts for the month (with several, the one that "
               "started last); missing when not in that status.");
  if (fclose(f) != 0 || !text) {
    free(text);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  int rc = peil_store_set_attr_str(P->st, P->tmp, "description", text);
  free(text);
  const char *at = o->at == PEIL_PANEL_AT_ANY ? "any" : o->at == PEIL_PANEL_AT_FIRST ? "first"
                   : o->at == PEIL_PANEL_AT_LAST ? "last" : NULL;
  char day[8];
  if (!at) snprintf(day, sizeof day, "%d", o->at), at = day;
  if (!rc) rc = peil_store_set_attr_str(P->st, P->tmp, "panel_from", a);
  if (!rc) rc = peil_store_set_attr_str(P->st, P->tmp, "panel_to", b);
  if (!rc) rc = peil_store_set_attr_str(P->st, P->tmp, "panel_at", at);
  if (!rc) rc = peil_store_set_attr_str(P->st, P->tmp, "panel_keep", o->keep_any ? "any" : "all");
  if (!rc) rc = peil_store_set_attr_str(P->st, P->tmp, "panel_persons", P->persons);
  return rc;
}

static int check_options(const panel *P) {
  const peil_panel_options *o = P->o;
  if (!o->ntables) return peil_error(PEIL_EINVAL, "tables: the panel needs at least one spell table");
  if (!peil_store_valid_name(P->name))
    return peil_error(PEIL_EINVAL, "invalid table name '%s' for the panel (empty or contains '/')",
                      P->name);
  if (o->at < PEIL_PANEL_AT_LAST || o->at > 31)
    return peil_error(PEIL_EINVAL, "at: %d is not any, first, last or a day 1..31", o->at);
  /* --force on an input would drop it. */
  for (size_t i = 0; i <= o->ntables; i++) {
    const char *in = i < o->ntables ? o->tables[i] : P->persons;
    if (strcmp(in, P->name) == 0)
      return peil_error(PEIL_EINVAL, "the panel cannot be called '%s': that is one of its inputs", in);
  }
  if (!o->replace && peil_store_has_table(P->st, P->name))
    return peil_error(PEIL_EEXIST, "%s: table '%s' exists already (replace it with --force)",
                      peil_store_path(P->st), P->name);
  return PEIL_OK;
}

static void panel_free(panel *P) {
  for (size_t t = 0; t < P->ntables; t++) spell_table_close(&P->tables[t]);
  free(P->tables);
  for (size_t v = 0; v < P->nvalues; v++) free(P->values[v].name);
  free(P->values);
  if (P->people) peil_scan_close(P->people);
  if (P->w) peil_table_writer_free(P->w);
  for (size_t i = 0; P->buf && i < P->ncols; i++) free(P->buf[i]);
  free(P->buf);
  free(P->month);
  free(P->lo);
  free(P->hi);
  free(P->which);
  free(P->kept);
  free(P->tmp);
}

int peil_panel_write(peil_store *st, const peil_panel_options *o, peil_panel_summary *summary) {
  double t0 = peil_seconds();
  peil_panel_summary local;
  peil_panel_summary *sum = summary ? summary : &local;
  memset(sum, 0, sizeof *sum);
  panel P;
  memset(&P, 0, sizeof P);
  P.st = st;
  P.o = o;
  P.persons = o->persons ? o->persons : "persons";
  P.name = o->table ? o->table : "panel";
  P.sum = sum;
  sum->ntables = o->ntables;
  sum->table = strdup(P.name);
  sum->ones = calloc(o->ntables + 1, sizeof *sum->ones);
  sum->orphans = calloc(o->ntables + 1, sizeof *sum->orphans);
  int rc = sum->table && sum->ones && sum->orphans ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc) rc = check_options(&P);
  if (!rc) rc = setup_months(&P);
  if (!rc) rc = setup_persons(&P);
  if (!rc) rc = setup_tables(&P);
  if (!rc) rc = create_table(&P);
  if (!rc) rc = pass(&P);
  if (!rc) {
    rc = peil_table_finish(P.w);
    P.w = NULL;
  }
  if (!rc) rc = describe(&P);
  if (P.w) peil_table_writer_free(P.w); /* a failure while writing: release before the drop */
  P.w = NULL;
  rc = cohort_partial_install(st, P.tmp, P.name, rc);
  panel_free(&P);
  sum->seconds = peil_seconds() - t0;
  if (rc || !summary) peil_panel_summary_free(sum);
  return rc;
}

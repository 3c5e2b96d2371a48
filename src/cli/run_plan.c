/* peil run: reading and checking a batch spec (run_plan.h). */
#include <ctype.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run_plan.h"

static const struct {
  const char *type;
  run_kind kind;
} kinds[] = {{"data", RUN_DATA},   {"disclosure", RUN_DISCLOSURE}, {"cohort", RUN_COHORT},
             {"logit", RUN_GLM},   {"probit", RUN_GLM},            {"ols", RUN_GLM},
             {"glm", RUN_GLM},     {"match", RUN_MATCH},           {"table", RUN_TABLE},
             {"test", RUN_TEST},   {"split", RUN_SPLIT}};
#define NKINDS (sizeof kinds / sizeof *kinds)

/* The keys an analysis section reads itself; the others are the
 * command's options (glm_args, match_args). */
static const char *const own_keys[] = {"table", "from", NULL};

static int at(const run_plan *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int at(const run_plan *p, int line, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return peil_error(PEIL_EINVAL, "%s:%d: %s", p->spec->path, line, msg);
}

/* The value of `key` in `section` (the last one given), or NULL; *line its line. */
static const char *value_of(const peil_spec_file *f, const char *section, const char *key, int *line) {
  const char *v = NULL;
  for (size_t i = 0; i < f->n; i++)
    if (strcmp(f->entries[i].section, section) == 0 && strcmp(f->entries[i].key, key) == 0)
      v = f->entries[i].value, *line = f->entries[i].line;
  return v;
}

static int name_ok(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' || *s == '-')) return 0;
  return 1;
}

/* A path in the spec is relative to the spec file's directory. */
static char *resolve(const char *spec_path, const char *path) {
  if (path[0] == '/') return strdup(path);
  char *copy = strdup(spec_path);
  if (!copy) return NULL;
  const char *dir = dirname(copy);
  size_t len = strlen(dir) + strlen(path) + 2;
  char *out = malloc(len);
  if (out) snprintf(out, len, "%s/%s", dir, path);
  free(copy);
  return out;
}

/* table.NAME = LEFT join RIGHT */
static int read_join(run_plan *p, const peil_spec_entry *e) {
  const char *name = e->key + 6;
  if (!name_ok(name))
    return at(p, e->line, "[data] %s: a table name of lower-case letters, digits, '_' and '-'", e->key);
  for (size_t i = 0; i < p->ndata; i++)
    if (!strcmp(p->data[i].name, name)) return at(p, e->line, "[data] %s is given twice (also line %d)", e->key, p->data[i].line);
  char left[256], right[256], word[16], extra[2];
  if (sscanf(e->value, " %255s %15s %255s %1s", left, word, right, extra) != 3 || strcmp(word, "join"))
    return at(p, e->line, "[data] %s = %s: expected 'LEFT join RIGHT' (tables of the store, joined on rin: "
              "e.g. 'programme join persons')", e->key, e->value);
  run_data_table *v = realloc(p->data, (p->ndata + 1) * sizeof *v);
  if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
  p->data = v;
  run_data_table *d = &v[p->ndata];
  size_t nl = strlen(left);
  if (!(d->text = malloc(nl + strlen(right) + 2))) return peil_error(PEIL_ENOMEM, "out of memory");
  p->ndata++;
  memcpy(d->text, left, nl + 1);
  strcpy(d->text + nl + 1, right);
  d->name = name, d->left = d->text, d->right = d->text + nl + 1, d->line = e->line, d->info = NULL;
  return PEIL_OK;
}

static int read_data(run_plan *p, const char *section, int line, const char *store_override) {
  const peil_spec_file *f = p->spec;
  for (size_t i = 0; i < f->n; i++) {
    const peil_spec_entry *e = &f->entries[i];
    if (strcmp(e->section, section) != 0 || strcmp(e->key, "store") == 0) continue;
    if (strncmp(e->key, "table.", 6) != 0)
      return at(p, e->line, "[data] unknown key '%s' (keys: store, table.NAME = LEFT join RIGHT)", e->key);
    int rc = read_join(p, e);
    if (rc) return rc;
  }
  int vline = line;
  const char *store = value_of(f, section, "store", &vline);
  if (store_override) {
    if (!(p->store_path = strdup(store_override))) return PEIL_ENOMEM;
  } else if (store) {
    if (!(p->store_path = resolve(f->path, store))) return PEIL_ENOMEM;
  }
  p->store_line = vline;
  return PEIL_OK;
}

/* The section named `name` among the first `before` analyses, or -1. */
static int find_section(const run_plan *p, size_t before, const char *name) {
  for (size_t i = 0; i < before; i++)
    if (strcmp(p->sections[i].name, name) == 0) return (int)i;
  return -1;
}

/* from = NAME: an earlier section whose rows this one reads. */
static int read_from(run_plan *p, size_t k) {
  run_section *s = &p->sections[k];
  int line = s->line;
  const char *from = value_of(p->spec, s->section, "from", &line);
  s->from = -1;
  if (!from) return PEIL_OK;
  int j = find_section(p, k, from);
  if (j < 0) {
    for (size_t i = k + 1; i < p->n; i++)
      if (strcmp(p->sections[i].name, from) == 0)
        return at(p, line, "[%s] from = %s: that section comes later (line %d); a section can use "
                  "only the sections above it", s->section, from, p->sections[i].line);
    return at(p, line, "[%s] from = %s: no such section", s->section, from);
  }
  if (p->sections[j].kind != RUN_COHORT && p->sections[j].kind != RUN_SPLIT)
    return at(p, line, "[%s] from = %s: a [%s] section has no rows to read (rows come from "
              "[cohort NAME] and [split NAME] sections)", s->section, from, p->sections[j].type);
  s->from = j;
  p->sections[j].rows_for_later = 1;
  return PEIL_OK;
}

static int read_glm(run_plan *p, run_section *s) {
  glm_args_init(&s->glm, s->type);
  int rc = cli_args_from_spec(p->spec, s->section, glm_arg_table, own_keys, glm_args_set, &s->glm);
  if (!rc && glm_args_finish(&s->glm)) rc = at(p, s->line, "[%s] %s", s->section, peil_errmsg());
  return rc;
}

static int read_match(run_plan *p, run_section *s) {
  match_args_init(&s->match);
  int rc = cli_args_from_spec(p->spec, s->section, match_arg_table, own_keys, match_args_set, &s->match);
  if (!rc && match_args_finish(&s->match)) rc = at(p, s->line, "[%s] %s", s->section, peil_errmsg());
  return rc;
}

/* [table NAME]: table/from, rows, cols, value, where, title. */
static int read_table(run_plan *p, run_section *s) {
  static const char *const keys[] = {"table", "from", "rows", "cols", "value", "where", "title", NULL};
  peil_crosstab_options *o = &s->crosstab;
  for (size_t i = 0; i < p->spec->n; i++) {
    const peil_spec_entry *e = &p->spec->entries[i];
    if (strcmp(e->section, s->section) != 0) continue;
    size_t k = 0;
    while (keys[k] && strcmp(keys[k], e->key) != 0) k++;
    if (!keys[k])
      return at(p, e->line, "[%s] unknown key '%s' (keys: table, from, rows, cols, value, where, title)",
                s->section, e->key);
    if (strcmp(e->key, "rows") == 0) o->rows = e->value;
    else if (strcmp(e->key, "cols") == 0) o->cols = e->value;
    else if (strcmp(e->key, "value") == 0) o->value = e->value;
    else if (strcmp(e->key, "where") == 0) o->where = e->value;
    else if (strcmp(e->key, "title") == 0) s->title = e->value;
  }
  if (!o->rows) return at(p, s->line, "[%s] needs rows = COLUMN (and cols = COLUMN for a two-way table)", s->section);
  return PEIL_OK;
}

/* [test NAME]: test = KIND, table/from or counts, and peil test's options. */
static int read_test(run_plan *p, run_section *s) {
  static const char *const own[] = {"table", "from", "test", "counts", NULL};
  int line = s->line;
  const char *kind = value_of(p->spec, s->section, "test", &line);
  if (!kind) return at(p, s->line, "[%s] needs test = prop, binom, chisq, fisher, t or wilcox", s->section);
  int k = peil_test_kind_from_name(kind);
  if (k < 0) return at(p, line, "[%s] test = %s: not one of prop, binom, chisq, fisher, t, wilcox", s->section, kind);
  s->test_kind = (peil_test_kind)k;
  test_args_init(&s->test);
  int cline = s->line, tline = s->line, fline = s->line;
  const char *counts = value_of(p->spec, s->section, "counts", &cline);
  if (counts && (value_of(p->spec, s->section, "table", &tline) || value_of(p->spec, s->section, "from", &fline)))
    return at(p, cline, "[%s] counts: a test is on counts or on a table (table/from), not both", s->section);
  if (counts) {
    /* as on the command line: "71/300 55/300", "12,5;3,9", "1.2,3.4 5.6,7.8" */
    char *copy = strdup(counts), *save = NULL;
    if (!copy) return PEIL_ENOMEM;
    for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
      char **v = realloc(s->test_counts, (s->ntest_counts + 2) * sizeof *v);
      if (!v || !(v[s->ntest_counts] = strdup(w))) {
        if (v) s->test_counts = v;
        free(copy);
        return PEIL_ENOMEM;
      }
      s->test_counts = v;
      v[++s->ntest_counts] = NULL;
    }
    free(copy);
    if (!s->ntest_counts) return at(p, cline, "[%s] counts: no numbers", s->section);
  }
  int rc = cli_args_from_spec(p->spec, s->section, test_arg_table, own, test_args_set, &s->test);
  if (!rc && test_args_finish(&s->test, s->test_kind, counts == NULL))
    rc = at(p, s->line, "[%s] %s", s->section, peil_errmsg());
  if (!rc && counts) { /* numbers take no time to test: find their errors now */
    peil_test_result r;
    memset(&r, 0, sizeof r);
    int usage = 0;
    if (test_numbers(s->test_kind, s->test_counts, s->ntest_counts, s->test.summary, &s->test.test, &r, &usage))
      rc = at(p, cline, "[%s] counts = %s: %s", s->section, counts, peil_errmsg());
    peil_test_result_clear(&r);
  }
  return rc;
}

/* [split NAME]: peil split's keys; the episodes go to the run's private
 * row store, for later sections (from = NAME). */
static int read_split(run_plan *p, run_section *s) {
  int rc = peil_split_options_init(&s->split);
  for (size_t i = 0; !rc && i < p->spec->n; i++) {
    const peil_spec_entry *e = &p->spec->entries[i];
    if (strcmp(e->section, s->section) != 0) continue;
    if (strcmp(e->key, "from") == 0)
      return at(p, e->line, "[%s] from: a split reads the store's spell tables (spells = ..., "
                "event = ..., treatment = ...)", s->section);
    if ((rc = peil_split_options_set(&s->split, e->key, e->value)))
      peil_error_prefix(rc, "%s:%d: [%s] ", p->spec->path, e->line, s->section);
  }
  s->rows_table = s->split.table;
  return rc;
}

static int read_cohort(run_plan *p, run_section *s) {
  int rc = peil_cohort_spec_new(s->name, &s->cohort);
  for (size_t i = 0; !rc && i < p->spec->n; i++) {
    const peil_spec_entry *e = &p->spec->entries[i];
    if (strcmp(e->section, s->section) == 0)
      rc = peil_cohort_spec_set(s->cohort, e->key, e->value, p->spec->path, e->line);
  }
  if (!rc && (rc = peil_cohort_spec_finish(s->cohort)))
    peil_error_prefix(rc, "%s:%d: [%s] ", p->spec->path, s->line, s->section);
  return rc;
}

/* Every section header: its kind, a unique name, no repeats. */
static int read_sections(run_plan *p, const char *store_override) {
  const peil_spec_file *f = p->spec;
  int data_line = 0, disclosure_line = 0;
  if (!(p->sections = calloc(f->nsections ? f->nsections : 1, sizeof *p->sections))) return PEIL_ENOMEM;
  for (size_t i = 0; i < f->nsections; i++) {
    const char *sec = f->sections[i];
    int line = f->section_line[i];
    char type[64], name[256];
    peil_spec_section_split(sec, type, sizeof type, name, sizeof name);
    size_t k = 0;
    while (k < NKINDS && strcmp(kinds[k].type, type) != 0) k++;
    if (k == NKINDS)
      return at(p, line, "[%s]: unknown section type '%s' (types: data, disclosure, cohort, logit, "
                "probit, ols, glm, match, table, test, split)", sec, type);
    for (size_t j = 0; j < i; j++)
      if (strcmp(f->sections[j], sec) == 0)
        return at(p, line, "[%s] appears twice (also line %d): its keys would mix", sec, f->section_line[j]);
    if (kinds[k].kind == RUN_DATA || kinds[k].kind == RUN_DISCLOSURE) {
      if (*name) return at(p, line, "[%s]: a [%s] section has no name", sec, type);
      if (kinds[k].kind == RUN_DATA) {
        data_line = line;
        int rc = read_data(p, sec, line, store_override);
        if (rc) return rc;
      } else {
        disclosure_line = line;
        for (size_t e = 0; e < f->n; e++) {
          const peil_spec_entry *en = &f->entries[e];
          if (strcmp(en->section, sec) != 0) continue;
          int rc = peil_disclosure_rules_set(&p->rules, en->key, en->value);
          if (rc) return peil_error_prefix(rc, "%s:%d: ", f->path, en->line);
        }
      }
      continue;
    }
    if (!name_ok(name))
      return at(p, line, "[%s]: a %s section needs a name of lower-case letters, digits, _ and - "
                "(it names the output files), e.g. [%s main]", sec, type, type);
    int j = find_section(p, p->n, name);
    if (j >= 0)
      return at(p, line, "[%s]: the name '%s' is taken by [%s] (line %d): both would write the "
                "tables %s.*", sec, name, p->sections[j].section, p->sections[j].line, name);
    run_section *s = &p->sections[p->n++];
    s->kind = kinds[k].kind;
    snprintf(s->type, sizeof s->type, "%s", type);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->line = line;
    s->from = -1;
    if (!(s->section = strdup(sec))) return PEIL_ENOMEM;
  }
  (void)disclosure_line;
  if (!p->store_path)
    return data_line ? at(p, data_line, "[data] needs store = FILE.h5")
                     : peil_error(PEIL_EINVAL, "%s: no [data] section with store = FILE.h5 (or give --store)",
                                  f->path);
  if (p->n == 0) return peil_error(PEIL_EINVAL, "%s: no analyses (sections such as [cohort NAME] or [logit NAME])", f->path);
  return PEIL_OK;
}

/* What a section reads, for messages: "table 'T' of STORE", or "the rows
 * of [cohort NAME]". */
static const char *source(const run_plan *p, const run_section *s, char *buf, size_t len) {
  if (s->from >= 0) snprintf(buf, len, "the rows of [%s]", p->sections[s->from].section);
  else if (s->data_table) snprintf(buf, len, "table '%s' ([data] table.%s)", s->table, s->table);
  else snprintf(buf, len, "table '%s' of %s", s->table, p->store_path);
  return buf;
}

/* The columns an expression text uses that table ti lacks: the first, as
 * an error naming the key's line. */
static int check_expr(const run_plan *p, const run_section *s, const peil_table_info *ti,
                      const char *key, const char *text) {
  int line = s->line;
  value_of(p->spec, s->section, key, &line);
  peil_expr *e = NULL;
  int rc = peil_expr_parse(text, key, &e);
  if (rc) return peil_error_prefix(rc, "%s:%d: [%s] ", p->spec->path, line, s->section);
  const char *const *names;
  size_t m = peil_expr_columns(e, &names);
  char src[512];
  for (size_t c = 0; !rc && c < m; c++)
    if (peil_table_info_find(ti, names[c]) < 0)
      rc = at(p, line, "[%s] %s: unknown column '%s' in %s", s->section, key, names[c],
              source(p, s, src, sizeof src));
  peil_expr_free(e);
  return rc;
}

/* The columns of a formula, as check_expr. */
static int check_formula(const run_plan *p, const run_section *s, const peil_table_info *ti,
                         const char *text) {
  int line = s->line;
  value_of(p->spec, s->section, "formula", &line);
  peil_formula *fm = NULL;
  int rc = peil_formula_parse(text, &fm);
  if (rc) return peil_error_prefix(rc, "%s:%d: [%s] formula: ", p->spec->path, line, s->section);
  const peil_expr *ex[256];
  size_t ne = 0;
  if (fm->response) ex[ne++] = fm->response;
  for (size_t v = 0; v < fm->nvars && ne < 256; v++) ex[ne++] = fm->vars[v].expr;
  for (size_t v = 0; v < fm->noffsets && ne < 256; v++) ex[ne++] = fm->offsets[v];
  char src[512];
  for (size_t e = 0; !rc && e < ne; e++) {
    const char *const *names;
    size_t m = peil_expr_columns(ex[e], &names);
    for (size_t c = 0; !rc && c < m; c++)
      if (peil_table_info_find(ti, names[c]) < 0)
        rc = at(p, line, "[%s] formula: unknown column '%s' in %s", s->section, names[c],
                source(p, s, src, sizeof src));
  }
  peil_formula_free(fm);
  return rc;
}

/* Keys that name columns of the table: each must be one. */
static int check_columns(const run_plan *p, const run_section *s, const peil_table_info *ti,
                         const char *key, const char *const *cols, size_t n) {
  for (size_t c = 0; c < n; c++)
    if (cols[c] && peil_table_info_find(ti, cols[c]) < 0) {
      int line = s->line;
      value_of(p->spec, s->section, key, &line);
      char src[512];
      return at(p, line, "[%s] %s = %s: unknown column in %s", s->section, key, cols[c],
                source(p, s, src, sizeof src));
    }
  return PEIL_OK;
}

static int check_section(const run_plan *p, const run_section *s, const peil_table_info *ti) {
  int rc;
  if (s->kind == RUN_GLM) {
    const peil_glm_options *o = &s->glm.glm;
    if ((rc = check_formula(p, s, ti, o->formula))) return rc;
    if (o->where && (rc = check_expr(p, s, ti, "where", o->where))) return rc;
    if ((rc = check_columns(p, s, ti, "cluster", &o->cluster, 1))) return rc;
    if ((rc = check_columns(p, s, ti, "weights", &o->weights, 1))) return rc;
    return check_columns(p, s, ti, "margins", &o->margins, 1);
  }
  if (s->kind == RUN_TEST) {
    const peil_stats_data_options *o = &s->test.data;
    const char *cols[] = {o->group, o->rows, o->cols};
    const char *keys[] = {"group", "rows", "cols"};
    for (size_t c = 0; c < 3; c++)
      if ((rc = check_columns(p, s, ti, keys[c], &cols[c], 1))) return rc;
    if (o->value && (rc = check_expr(p, s, ti, "value", o->value))) return rc;
    return o->where ? check_expr(p, s, ti, "where", o->where) : PEIL_OK;
  }
  if (s->kind == RUN_TABLE) {
    const peil_crosstab_options *o = &s->crosstab;
    if ((rc = check_columns(p, s, ti, "rows", &o->rows, 1))) return rc;
    if ((rc = check_columns(p, s, ti, "cols", &o->cols, 1))) return rc;
    if (o->value && (rc = check_expr(p, s, ti, "value", o->value))) return rc;
    return o->where ? check_expr(p, s, ti, "where", o->where) : PEIL_OK;
  }
  const peil_match_load_options *lo = &s->match.load;
  if ((rc = check_formula(p, s, ti, lo->formula))) return rc;
  if (lo->where && (rc = check_expr(p, s, ti, "where", lo->where))) return rc;
  if ((rc = check_columns(p, s, ti, "exact", lo->exact, lo->nexact))) return rc;
  if ((rc = check_columns(p, s, ti, "outcome", lo->outcomes, lo->noutcomes))) return rc;
  return check_columns(p, s, ti, "distance", &lo->distance_column, 1);
}

/* A cohort or split section against the store: everything its run checks
 * before reading the spells, and the columns of the rows it makes. */
static int check_rows_source(const run_plan *p, run_section *s, peil_store *st) {
  int rc = s->kind == RUN_COHORT ? peil_cohort_check(st, s->cohort, &s->rows_info)
                                 : peil_split_check(st, &s->split, &s->rows_info);
  /* the cohort's messages name the file, line and section already */
  if (rc && s->kind == RUN_SPLIT) peil_error_prefix(rc, "%s:%d: [%s] ", p->spec->path, s->line, s->section);
  return rc;
}

int run_plan_check(run_plan *p) {
  peil_store *st = NULL;
  if (!peil_store_is_hdf5(p->store_path))
    return at(p, p->store_line, "[data] store = %s: not an HDF5 store (or not readable)", p->store_path);
  int rc = peil_store_open(p->store_path, PEIL_STORE_READ, &st);
  if (rc) return peil_error_prefix(rc, "%s:%d: [data] ", p->spec->path, p->store_line);
  for (size_t i = 0; !rc && i < p->ndata; i++) { /* the joins, and names the store does not have */
    run_data_table *d = &p->data[i];
    if (peil_store_has_table(st, d->name))
      rc = at(p, d->line, "[data] table.%s: the store has a table of that name; choose another", d->name);
    else if ((rc = peil_table_join_info(st, d->left, d->right, "rin", &d->info)))
      peil_error_prefix(rc, "%s:%d: [data] table.%s: ", p->spec->path, d->line, d->name);
  }
  for (size_t k = 0; !rc && k < p->n; k++) {
    run_section *s = &p->sections[k];
    if (s->kind == RUN_COHORT || s->kind == RUN_SPLIT) {
      rc = check_rows_source(p, s, st);
      continue;
    }
    if (s->test_counts) continue;
    if (s->from >= 0) {
      rc = check_section(p, s, p->sections[s->from].rows_info);
      continue;
    }
    if (!s->table) {
      rc = at(p, s->line, "[%s] needs table = T (a table of %s) or from = SECTION", s->section, p->store_path);
      break;
    }
    int line = s->line;
    value_of(p->spec, s->section, "table", &line);
    peil_table_info *ti = NULL;
    if (s->data_table) {
      for (size_t i = 0; i < p->ndata; i++)
        if (!strcmp(p->data[i].name, s->table)) rc = check_section(p, s, p->data[i].info);
      continue;
    }
    if ((rc = peil_store_table_info(st, s->table, &ti)))
      peil_error_prefix(rc, "%s:%d: [%s] table = %s: ", p->spec->path, line, s->section, s->table);
    else
      rc = check_section(p, s, ti);
    peil_table_info_free(ti);
  }
  peil_store_close(st);
  return rc;
}

int run_plan_load(const char *path, const char *store_override, run_plan **out) {
  *out = NULL;
  run_plan *p = calloc(1, sizeof *p);
  if (!p) return peil_error(PEIL_ENOMEM, "out of memory");
  peil_disclosure_rules_init(&p->rules);
  int rc = peil_spec_read(path, &p->spec);
  if (!rc) rc = read_sections(p, store_override);
  for (size_t k = 0; !rc && k < p->n; k++) {
    run_section *s = &p->sections[k];
    int line = s->line;
    s->table = value_of(p->spec, s->section, "table", &line);
    if (s->kind == RUN_GLM) rc = read_glm(p, s);
    else if (s->kind == RUN_MATCH) rc = read_match(p, s);
    else if (s->kind == RUN_TABLE) rc = read_table(p, s);
    else if (s->kind == RUN_TEST) rc = read_test(p, s);
    else if (s->kind == RUN_SPLIT) rc = read_split(p, s);
    else if (s->kind == RUN_COHORT) rc = read_cohort(p, s);
    if (s->kind == RUN_COHORT) s->rows_table = "rows";
    for (size_t i = 0; s->table && i < p->ndata; i++) s->data_table |= !strcmp(p->data[i].name, s->table);
    if (!rc && s->kind != RUN_COHORT && s->kind != RUN_SPLIT) rc = read_from(p, k);
  }
  if (rc) {
    run_plan_free(p);
    return rc;
  }
  *out = p;
  return PEIL_OK;
}

void run_plan_free(run_plan *p) {
  if (!p) return;
  for (size_t k = 0; k < p->n; k++) {
    run_section *s = &p->sections[k];
    free(s->section);
    if (s->kind == RUN_GLM) glm_args_free(&s->glm);
    if (s->kind == RUN_MATCH) match_args_free(&s->match);
    if (s->kind == RUN_TEST) test_args_free(&s->test);
    for (size_t i = 0; i < s->ntest_counts; i++) free(s->test_counts[i]);
    free(s->test_counts);
    if (s->kind == RUN_SPLIT) peil_split_options_free(&s->split);
    peil_cohort_spec_free(s->cohort);
    peil_table_info_free(s->rows_info);
  }
  free(p->sections);
  for (size_t i = 0; i < p->ndata; i++) free(p->data[i].text), peil_table_info_free(p->data[i].info);
  free(p->data);
  free(p->store_path);
  peil_spec_file_free(p->spec);
  free(p);
}

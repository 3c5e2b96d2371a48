/* peil run: running one section (run_exec.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run_exec.h"

const char *run_file(char *buf, size_t len, const char *dir, const char *prefix, const char *name,
                     const char *suffix) {
  snprintf(buf, len, "%s/%s%s%s", dir, prefix, name, suffix);
  return buf;
}

int run_tables_new(run_tables *out, const run_section *s, const char *part, const char *title,
                   peil_rtable **t) {
  char name[300];
  snprintf(name, sizeof name, "%s%s%s", s->name, part ? "_" : "", part ? part : "");
  run_table *v = realloc(out->v, (out->n + 1) * sizeof *v);
  if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
  out->v = v;
  memset(&v[out->n], 0, sizeof *v);
  int rc = peil_rtable_new(name, title, &v[out->n].table);
  if (rc) return rc;
  *t = v[out->n++].table;
  return PEIL_OK;
}

/* Copies a and b into the table's next two text slots. */
static int keep_text(run_table *rt, const char *a, const char *b, const char **ca, const char **cb) {
  size_t k = 2 * (rt->ndims + rt->nsums);
  if (!(rt->text[k] = strdup(a)) || !(rt->text[k + 1] = strdup(b))) return peil_error(PEIL_ENOMEM, "out of memory");
  *ca = rt->text[k], *cb = rt->text[k + 1];
  return PEIL_OK;
}

int run_tables_dimension_total(run_tables *out, const char *column, const char *total) {
  run_table *rt = &out->v[out->n - 1];
  if (rt->ndims == RUN_MAX_DIMS) return peil_error(PEIL_EINTERNAL, "a table has at most %d dimensions", RUN_MAX_DIMS);
  peil_disclosure_dimension *d = &rt->dims[rt->ndims];
  int rc = keep_text(rt, column, total, &d->column, &d->total);
  if (!rc) rt->ndims++;
  return rc;
}

int run_tables_dimension(run_tables *out, const char *column) {
  return run_tables_dimension_total(out, column, "Total");
}

int run_tables_column_sum(run_tables *out, const char *total, const char *parts) {
  run_table *rt = &out->v[out->n - 1];
  if (rt->nsums == RUN_MAX_SUMS) return peil_error(PEIL_EINTERNAL, "a table has at most %d column sums", RUN_MAX_SUMS);
  peil_disclosure_column_sum *c = &rt->sums[rt->nsums];
  int rc = keep_text(rt, total, parts, &c->total, &c->parts);
  if (!rc) rt->nsums++;
  return rc;
}

int run_tables_link(run_tables *out, const char *column, const char *id) {
  run_table *rt = &out->v[out->n - 1];
  int col = peil_rtable_column_index(rt->table, column);
  size_t rows = peil_rtable_nrows(rt->table);
  if (col < 0 || !rows) return peil_error(PEIL_EINTERNAL, "table %s: no column %s or no row to link", peil_rtable_name(rt->table), column);
  run_link *v = realloc(rt->links, (rt->nlinks + 1) * sizeof *v);
  if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
  rt->links = v;
  if (!(v[rt->nlinks].id = strdup(id))) return peil_error(PEIL_ENOMEM, "out of memory");
  v[rt->nlinks].row = rows - 1, v[rt->nlinks++].col = (size_t)col;
  return PEIL_OK;
}

int run_tables_add_tidy(peil_rtable *t, const char *n) {
  static const char *const tidy[] = {"estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"};
  int rc = PEIL_OK;
  for (size_t k = 0; !rc && k < 6; k++) rc = peil_rtable_add_estimate(t, tidy[k], n, 4);
  return rc;
}

peil_rtable_value run_value_real(double x) { return isnan(x) ? PEIL_RV_NA : PEIL_RV_REAL(x); }

void run_values_tidy(peil_rtable_value *v, double estimate, double std_error, double statistic,
                     double p_value, double conf_low, double conf_high) {
  const double e[6] = {estimate, std_error, statistic, p_value, conf_low, conf_high};
  for (size_t k = 0; k < 6; k++) v[k] = run_value_real(e[k]);
}

void run_tables_free(run_tables *out) {
  for (size_t i = 0; i < out->n; i++) {
    peil_rtable_free(out->v[i].table);
    for (size_t k = 0; k < 2 * (RUN_MAX_DIMS + RUN_MAX_SUMS); k++) free(out->v[i].text[k]);
    for (size_t k = 0; k < out->v[i].nlinks; k++) free(out->v[i].links[k].id);
    free(out->v[i].links);
  }
  free(out->v);
  for (size_t i = 0; i < out->nnotes; i++) free(out->notes[i]);
  free(out->notes);
  memset(out, 0, sizeof *out);
}

/* The analysis of section s on table `table` of store st: its tables. */
static int analyse(const run_section *s, peil_store *st, const char *table, const run_env *env,
                   run_tables *out) {
  int rc = PEIL_OK;
  switch (s->kind) {
  case RUN_GLM: {
    peil_glm_options o = s->glm.glm;
    o.threads = env->threads;
    peil_glm *g = NULL;
    if (!(rc = peil_glm_fit(st, table, &o, &g))) rc = run_tables_glm(s, g, out);
    peil_glm_free(g);
    break;
  }
  case RUN_TABLE: {
    peil_crosstab_options o = s->crosstab;
    o.threads = env->threads;
    peil_crosstab *x = NULL;
    if (!(rc = peil_crosstab_compute(st, table, &o, &x))) rc = run_tables_crosstab(s, x, out);
    peil_crosstab_free(x);
    break;
  }
  case RUN_COHORT: {
    peil_cohort_options o;
    peil_cohort_options_init(&o);
    o.threads = env->threads;
    char rows[4096];
    if (s->rows_for_later) o.rows_path = run_file(rows, sizeof rows, env->rowsdir, "rows-", s->name, ".h5");
    peil_cohort_result *r = NULL;
    if (!(rc = peil_cohort_run(st, s->cohort, &o, &r))) rc = run_tables_cohort(s, r, out);
    peil_cohort_result_free(r);
    break;
  }
  case RUN_MATCH: {
    match_args a = s->match; /* shallow: the job copies what it changes */
    a.match.threads = a.effects.threads = a.load.threads = env->threads;
    match_job j;
    if (!(rc = match_job_run(&j, &a, st, table, "", table))) rc = run_tables_match(s, &j, out);
    match_job_free(&j);
    break;
  }
  case RUN_TEST: {
    peil_test_result r;
    memset(&r, 0, sizeof r);
    peil_stats_data *data = NULL;
    int usage = 0;
    if (s->test_counts)
      rc = test_numbers(s->test_kind, s->test_counts, s->ntest_counts, s->test.summary, &s->test.test, &r, &usage);
    else
      rc = peil_stats_run(st, table, s->test_kind, &s->test.data, &s->test.test, &data, &r);
    if (!rc) rc = run_tables_test(s, data, &r, out);
    if (data) out->rows_read = data->n_read, out->rows_used = data->n_used;
    peil_test_result_clear(&r);
    peil_stats_data_free(data);
    break;
  }
  case RUN_SPLIT: {
    peil_split_options o = s->split; /* shallow: threads only */
    o.threads = env->threads;
    char rows[4096];
    peil_store *dst = NULL;
    peil_split_summary sum;
    memset(&sum, 0, sizeof sum);
    rc = peil_store_open(run_file(rows, sizeof rows, env->rowsdir, "rows-", s->name, ".h5"), PEIL_STORE_CREATE, &dst);
    if (!rc) rc = peil_split_write(st, dst, &o, &sum);
    if (!rc) rc = peil_store_commit(dst);
    peil_store_close(dst);
    if (!rc) rc = run_tables_split(s, &sum, out);
    peil_split_summary_free(&sum);
    break;
  }
  default:
    rc = peil_error(PEIL_EINTERNAL, "section type %s cannot run yet", s->type);
  }
  return rc;
}

/* The section's summary for the manifest: .section-NAME.json. */
static int save_summary(const run_section *s, const run_tables *out, double seconds, const run_env *env) {
  json_t *doc = json_object(), *tables = json_array(), *notes = json_array();
  json_object_set_new(doc, "section", json_string(s->section));
  json_object_set_new(doc, "type", json_string(s->type));
  json_object_set_new(doc, "name", json_string(s->name));
  json_object_set_new(doc, "line", json_integer(s->line));
  json_object_set_new(doc, "seconds", json_real(seconds));
  json_object_set_new(doc, "rows_read", json_integer(out->rows_read));
  json_object_set_new(doc, "rows_used", json_integer(out->rows_used));
  for (size_t i = 0; i < out->n; i++) json_array_append_new(tables, json_string(peil_rtable_name(out->v[i].table)));
  for (size_t i = 0; i < out->nnotes; i++) json_array_append_new(notes, json_string(out->notes[i]));
  json_object_set_new(doc, "tables", tables);
  json_object_set_new(doc, "notes", notes);
  char path[4096];
  run_file(path, sizeof path, env->outdir, ".section-", s->name, ".json");
  int rc = json_dump_file(doc, path, JSON_INDENT(2)) ? peil_error(PEIL_EIO, "cannot write '%s'", path) : PEIL_OK;
  json_decref(doc);
  return rc;
}

int run_data_tables(const run_plan *p, const run_env *env) {
  if (!p->ndata) return PEIL_OK;
  char path[4096];
  peil_store *in = NULL, *out = NULL;
  int rc = peil_store_open(p->store_path, PEIL_STORE_READ, &in);
  if (!rc) rc = peil_store_open(run_file(path, sizeof path, env->rowsdir, "data", "", ".h5"), PEIL_STORE_CREATE, &out);
  for (size_t i = 0; !rc && i < p->ndata; i++) {
    const run_data_table *d = &p->data[i];
    peil_join_summary sum;
    if ((rc = peil_table_join(in, d->left, d->right, "rin", out, d->name, &sum)))
      peil_error_prefix(rc, "%s:%d: [data] table.%s: ", p->spec->path, d->line, d->name);
    else if (sum.unmatched && !cli_quiet)
      fprintf(stderr, "[data] table.%s: %lld of %lld rows of %s have no row in %s (its columns are missing there)\n",
              d->name, (long long)sum.unmatched, (long long)sum.rows, d->left, d->right);
  }
  if (!rc) rc = peil_store_commit(out);
  peil_store_close(out);
  peil_store_close(in);
  return rc;
}

int run_section_exec(const run_plan *p, size_t k, const run_env *env) {
  const run_section *s = &p->sections[k];
  double t0 = peil_seconds();
  char rows[4096];
  const char *path = p->store_path, *table = s->table;
  if (s->from >= 0) {
    path = run_file(rows, sizeof rows, env->rowsdir, "rows-", p->sections[s->from].name, ".h5");
    table = p->sections[s->from].rows_table;
  } else if (s->data_table) {
    path = run_file(rows, sizeof rows, env->rowsdir, "data", "", ".h5");
  }
  run_tables out = {0};
  peil_disclosure_audit *audit = NULL;
  peil_store *st = NULL;
  int rc = peil_store_open(path, PEIL_STORE_READ, &st);
  if (!rc) rc = analyse(s, st, table, env, &out);
  peil_store_close(st);
  if (!rc) rc = run_control_tables(&out, env, &audit);
  for (size_t i = 0; !rc && i < out.n; i++) rc = peil_rtable_save(out.v[i].table, env->outdir);
  char apath[4096];
  if (!rc) rc = peil_disclosure_audit_save(audit, run_file(apath, sizeof apath, env->outdir, ".audit-", s->name, ".csv"));
  if (!rc) rc = save_summary(s, &out, peil_seconds() - t0, env);
  if (rc) peil_error_prefix(rc, "[%s] (%s:%d): ", s->section, p->spec->path, s->line);
  peil_disclosure_audit_free(audit);
  run_tables_free(&out);
  return rc;
}

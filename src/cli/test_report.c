/* A test's result as text (print.htest's layout and peil's counts) or JSON
 * (broom's tidy names plus the numbers the test rests on). */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "cli.h"
#include "test_report.h"

/* ---- Text. */

/* A number to `digits` significant digits, as R's format() shows it: a
 * large one whole rather than in scientific notation (W = 858376). */
static void num(FILE *fp, double v, int digits) {
  if (isnan(v)) fputs("NA", fp);
  else if (isinf(v)) fputs(v > 0 ? "Inf" : "-Inf", fp);
  else if (fabs(v) >= pow(10, digits) && fabs(v) < 1e15) fprintf(fp, "%.0f", v);
  else fprintf(fp, "%.*g", digits, v);
}

/* The label of group g: the level read, or its place on the command line. */
static void group_label(const test_report *t, size_t g, char *buf, size_t n) {
  if (t->d && g < t->d->ngroups) snprintf(buf, n, "%s", t->d->level[g]);
  else snprintf(buf, n, "%zu", g + 1);
}

/* R's data.name, in words. */
static void data_line(FILE *fp, const test_report *t) {
  const peil_stats_data_options *o = t->dopt;
  const peil_test_result *r = t->r;
  fputs("data:  ", fp);
  if (!t->d) {
    for (size_t i = 0; i < t->nargs; i++) {
      const char *a = t->args[i];
      if (!strcmp(t->kind, "prop") || !strcmp(t->kind, "binom")) {
        fprintf(fp, "%s", i ? " and " : "");
        num(fp, r->x[i], 15), fputs(" out of ", fp), num(fp, r->n[i], 15);
      } else {
        fprintf(fp, "%s%s%s", i ? " and " : "", t->summary ? "mean, sd, n " : "", a);
      }
    }
  } else if (o->rows) {
    fprintf(fp, "%s by %s", o->rows, o->cols);
  } else {
    fprintf(fp, "%s", o->value);
    if (o->group) fprintf(fp, " by %s", o->group);
  }
  if (t->d) {
    fprintf(fp, " (%s", t->data);
    if (t->table) fprintf(fp, ", table %s", t->table);
    if (o->where) fprintf(fp, ", where %s", o->where);
    fputc(')', fp);
  }
  fputc('\n', fp);
}

static void hypothesis(FILE *fp, const peil_test_result *r) {
  static const char *const words[] = {"not equal to", "less than", "greater than"};
  if (!r->has_alternative) return;
  fputs("alternative hypothesis: ", fp);
  if (r->nnull == 1) {
    fprintf(fp, "true %s is %s ", r->null_name, words[r->alternative]);
    num(fp, r->null_value[0], 7);
    fputc('\n', fp);
    return;
  }
  fprintf(fp, "%s\n", peil_alternative_name(r->alternative));
  if (r->nnull > 1) {
    fputs("null values:\n", fp);
    for (size_t i = 0; i < r->nnull; i++) fprintf(fp, " %s %zu = %.7g", r->null_name, i + 1, r->null_value[i]);
    fputc('\n', fp);
  }
}

/* The first line of numbers: statistic, parameter, p-value. */
static void test_line(FILE *fp, const peil_test_result *r) {
  if (r->statistic_name) fprintf(fp, "%s = ", r->statistic_name), num(fp, r->statistic, 5), fputs(", ", fp);
  if (r->parameter_name) fprintf(fp, "%s = ", r->parameter_name), num(fp, r->parameter, 5), fputs(", ", fp);
  if (r->p_value < 2.2e-16) fputs("p-value < 2.2e-16\n", fp);
  else fputs("p-value = ", fp), num(fp, r->p_value, 4), fputc('\n', fp);
  if (!isnan(r->z)) fputs("z = ", fp), num(fp, r->z, 5), fputc('\n', fp);
}

static void table_text(FILE *fp, const test_report *t, const char *title, const double *v, int digits) {
  const peil_test_result *r = t->r;
  char lab[64];
  fprintf(fp, "\n%s", title);
  if (t->d && t->dopt->rows) fprintf(fp, " (rows %s, columns %s)", t->dopt->rows, t->dopt->cols);
  fputs(":\n", fp);
  fprintf(fp, "%-14s", "");
  for (size_t j = 0; j < r->ncol; j++) {
    if (t->d) snprintf(lab, sizeof lab, "%s", t->d->col_level[j]);
    else snprintf(lab, sizeof lab, "[,%zu]", j + 1);
    fprintf(fp, " %12.12s", lab);
  }
  fputc('\n', fp);
  for (size_t i = 0; i < r->nrow; i++) {
    if (t->d) snprintf(lab, sizeof lab, "%s", t->d->row_level[i]);
    else snprintf(lab, sizeof lab, "[%zu,]", i + 1);
    fprintf(fp, "%-14.14s", lab);
    for (size_t j = 0; j < r->ncol; j++) fprintf(fp, " %12.*g", digits, v[i * r->ncol + j]);
    fputc('\n', fp);
  }
}

static void rows_text(FILE *fp, const peil_stats_data *d) {
  char a[32];
  fprintf(fp, "\nRows:  %s read", cli_count(d->n_read, a));
  if (d->n_filtered) fprintf(fp, ", %s filtered out", cli_count(d->n_filtered, a));
  fprintf(fp, ", %s with missing values", cli_count(d->n_missing, a));
  for (size_t i = 0; i < d->nmissing_by; i++)
    fprintf(fp, "%s%s: %s", i ? ", " : " (", d->missing_by[i], cli_count(d->missing_count[i], a));
  if (d->nmissing_by) fputc(')', fp);
  if (d->n_other) fprintf(fp, ", %s in other levels", cli_count(d->n_other, a));
  fprintf(fp, ", %s used\n", cli_count(d->n_used, a));
}

int test_report_text(FILE *fp, const test_report *t) {
  const peil_test_result *r = t->r;
  fprintf(fp, "\n\t%s\n\n", r->method);
  data_line(fp, t);
  test_line(fp, r);
  hypothesis(fp, r);
  if (!isnan(r->conf_level)) {
    fprintf(fp, "%g percent confidence interval:\n ", 100 * r->conf_level);
    num(fp, r->conf_low, 7), fputc(' ', fp), num(fp, r->conf_high, 7), fputc('\n', fp);
  }
  if (r->nestimate) {
    fputs("sample estimates:\n", fp);
    for (size_t i = 0; i < r->nestimate; i++) fprintf(fp, " %14s", r->estimate_name[i]);
    fputc('\n', fp);
    for (size_t i = 0; i < r->nestimate; i++) fprintf(fp, " %14.7g", r->estimate[i]);
    fputc('\n', fp);
  }
  if (!isnan(r->difference)) fputs("difference: ", fp), num(fp, r->difference, 7), fputc('\n', fp);
  /* What the test rests on: n per group (and successes), or the table. */
  if (r->ngroups) {
    char lab[64], nb[32];
    int successes = !isnan(r->x[0]);
    fprintf(fp, "\n%-20s %12s", t->d && t->dopt->group ? t->dopt->group : "group", "n");
    if (successes) fprintf(fp, " %12s", "successes");
    fputc('\n', fp);
    for (size_t g = 0; g < r->ngroups; g++) {
      group_label(t, g, lab, sizeof lab);
      fprintf(fp, "%-20.20s %12s", lab, cli_count((int64_t)r->n[g], nb));
      if (successes) fprintf(fp, " %12.15g", r->x[g]);
      fputc('\n', fp);
    }
  }
  if (r->observed) table_text(fp, t, "Observed", r->observed, 15);
  if (r->expected) table_text(fp, t, "Expected", r->expected, 6);
  if (t->d) rows_text(fp, t->d);
  if (r->nwarnings) {
    fputs("\nWarnings:\n", fp);
    for (size_t i = 0; i < r->nwarnings; i++) fprintf(fp, "  %s\n", r->warnings[i]);
  }
  return ferror(fp) ? peil_error(PEIL_EIO, "writing the report failed") : PEIL_OK;
}

void test_report_warnings(const test_report *t) {
  for (size_t i = 0; i < t->r->nwarnings; i++) cli_note("peil test: warning: %s\n", t->r->warnings[i]);
}

/* ---- JSON. */

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

/* broom's tidy() of an htest: estimate (or estimate1..k, and for the t
 * test estimate = estimate1 - estimate2), statistic, p_value, parameter,
 * conf_low, conf_high, method, alternative. */
static json_t *tidy_row(const peil_test_result *r) {
  json_t *o = json_object();
  if (r->nestimate == 1) json_object_set_new(o, "estimate", cli_json_real(r->estimate[0]));
  else if (r->nestimate > 1) {
    if (r->statistic_name && !strcmp(r->statistic_name, "t"))
      json_object_set_new(o, "estimate", cli_json_real(r->estimate[0] - r->estimate[1]));
    for (size_t i = 0; i < r->nestimate; i++) {
      char key[32];
      snprintf(key, sizeof key, "estimate%zu", i + 1);
      json_object_set_new(o, key, cli_json_real(r->estimate[i]));
    }
  }
  if (r->statistic_name) json_object_set_new(o, "statistic", cli_json_real(r->statistic));
  json_object_set_new(o, "p_value", cli_json_real(r->p_value));
  if (r->parameter_name) json_object_set_new(o, "parameter", cli_json_real(r->parameter));
  if (!isnan(r->conf_level)) {
    json_object_set_new(o, "conf_low", cli_json_real(r->conf_low));
    json_object_set_new(o, "conf_high", cli_json_real(r->conf_high));
  }
  json_object_set_new(o, "method", json_string(r->method));
  if (r->has_alternative) json_object_set_new(o, "alternative", json_string(peil_alternative_name(r->alternative)));
  return o;
}

/* Counts as integers when they are whole (they usually are). */
static json_t *count(double v) {
  return isfinite(v) && v == nearbyint(v) && fabs(v) < 9e15 ? json_integer((json_int_t)v) : cli_json_real(v);
}

static json_t *reals(const double *v, size_t n, int counts) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(a, counts ? count(v[i]) : cli_json_real(v[i]));
  return a;
}

static json_t *matrix(const double *v, size_t nr, size_t nc, int counts) {
  json_t *a = json_array();
  for (size_t i = 0; i < nr; i++) json_array_append_new(a, reals(v + i * nc, nc, counts));
  return a;
}

static json_t *inputs_json(const test_report *t) {
  const peil_stats_data_options *o = t->dopt;
  const peil_test_options *to = t->topt;
  json_t *in = json_object();
  json_object_set_new(in, "test", json_string(t->kind));
  json_object_set_new(in, "data", str_or_null(t->data));
  if (t->data) {
    json_object_set_new(in, "table", str_or_null(t->table));
    json_object_set_new(in, "value", str_or_null(o->value));
    json_object_set_new(in, "group", str_or_null(o->group));
    json_object_set_new(in, "levels", o->levels ? cli_json_strings((char *const *)o->levels, o->nlevels) : json_null());
    json_object_set_new(in, "rows", str_or_null(o->rows));
    json_object_set_new(in, "cols", str_or_null(o->cols));
    json_object_set_new(in, "where", str_or_null(o->where));
  } else {
    json_object_set_new(in, t->summary ? "summaries" : "numbers", cli_json_strings((char *const *)t->args, t->nargs));
  }
  /* The options the test has in R. */
  const char *k = t->kind;
  int chisq = !strcmp(k, "chisq"), prop = !strcmp(k, "prop") || !strcmp(k, "binom");
  int loc = !strcmp(k, "t") || !strcmp(k, "wilcox");
  if (!chisq) json_object_set_new(in, "alternative", json_string(peil_alternative_name(to->alternative)));
  if (!chisq && strcmp(k, "wilcox")) json_object_set_new(in, "conf_level", json_real(to->conf_level));
  if (chisq || !strcmp(k, "prop") || !strcmp(k, "wilcox")) json_object_set_new(in, "correct", json_boolean(to->correct));
  if (prop) json_object_set_new(in, "p", to->p ? reals(to->p, to->np, 0) : json_null());
  if (loc) json_object_set_new(in, "mu", json_real(to->mu));
  if (!strcmp(k, "t")) json_object_set_new(in, "var_equal", json_boolean(to->var_equal));
  if (!strcmp(k, "wilcox"))
    json_object_set_new(in, "exact", to->exact == PEIL_EXACT_AUTO ? json_string("auto") : json_boolean(to->exact));
  if (!strcmp(k, "fisher")) {
    json_object_set_new(in, "odds_ratio", cli_json_real(to->odds_ratio));
    json_object_set_new(in, "precise", json_boolean(to->precise));
  }
  return in;
}

static json_t *rows_json(const peil_stats_data *d) {
  json_t *rows = json_object(), *by = json_object();
  json_object_set_new(rows, "read", json_integer(d->n_read));
  json_object_set_new(rows, "filtered", json_integer(d->n_filtered));
  json_object_set_new(rows, "missing", json_integer(d->n_missing));
  for (size_t i = 0; i < d->nmissing_by; i++) json_object_set_new(by, d->missing_by[i], json_integer(d->missing_count[i]));
  json_object_set_new(rows, "missing_by", by);
  json_object_set_new(rows, "other_levels", json_integer(d->n_other));
  json_object_set_new(rows, "used", json_integer(d->n_used));
  return rows;
}

static json_t *table_json(const test_report *t) {
  const peil_test_result *r = t->r;
  json_t *tb = json_object();
  if (t->d) {
    json_object_set_new(tb, "rows", cli_json_strings(t->d->row_level, t->d->nrow));
    json_object_set_new(tb, "cols", cli_json_strings(t->d->col_level, t->d->ncol));
  }
  json_object_set_new(tb, "observed", matrix(r->observed, r->nrow, r->ncol, 1));
  if (r->expected) {
    json_object_set_new(tb, "expected", matrix(r->expected, r->nrow, r->ncol, 0));
    json_object_set_new(tb, "residuals", matrix(r->residuals, r->nrow, r->ncol, 0));
    json_object_set_new(tb, "stdres", matrix(r->stdres, r->nrow, r->ncol, 0));
  }
  return tb;
}

int test_report_json(FILE *fp, const test_report *t) {
  const peil_test_result *r = t->r;
  json_t *doc = json_object();
  char cmd[32];
  snprintf(cmd, sizeof cmd, "test %s", t->kind);
  json_object_set_new(doc, "peil_version", json_string(peil_version()));
  json_object_set_new(doc, "command", json_string(cmd));
  json_object_set_new(doc, "inputs", inputs_json(t));
  if (t->d) json_object_set_new(doc, "rows", rows_json(t->d));
  json_t *tidy = json_array();
  json_array_append_new(tidy, tidy_row(r));
  json_object_set_new(doc, "tidy", tidy);
  json_object_set_new(doc, "statistic_name", str_or_null(r->statistic_name));
  json_object_set_new(doc, "parameter_name", str_or_null(r->parameter_name));
  if (!isnan(r->z)) json_object_set_new(doc, "z", cli_json_real(r->z));
  json_t *est = json_array();
  for (size_t i = 0; i < r->nestimate; i++) {
    json_t *e = json_object();
    json_object_set_new(e, "term", json_string(r->estimate_name[i]));
    json_object_set_new(e, "estimate", cli_json_real(r->estimate[i]));
    json_array_append_new(est, e);
  }
  json_object_set_new(doc, "estimates", est);
  if (!isnan(r->difference)) json_object_set_new(doc, "difference", cli_json_real(r->difference));
  if (!isnan(r->std_error)) json_object_set_new(doc, "std_error", cli_json_real(r->std_error));
  if (r->nnull) {
    json_object_set_new(doc, "null_name", json_string(r->null_name));
    json_object_set_new(doc, "null_value", reals(r->null_value, r->nnull, 0));
  }
  json_object_set_new(doc, "conf_level", cli_json_real(r->conf_level));
  json_object_set_new(doc, "n", count(r->n_total));
  json_t *groups = json_array();
  for (size_t g = 0; g < r->ngroups; g++) {
    char lab[256];
    group_label(t, g, lab, sizeof lab);
    json_t *o = json_object();
    json_object_set_new(o, "group", json_string(lab));
    json_object_set_new(o, "n", count(r->n[g]));
    if (!isnan(r->x[g])) json_object_set_new(o, "x", count(r->x[g]));
    json_array_append_new(groups, o);
  }
  json_object_set_new(doc, "groups", groups);
  if (r->observed) json_object_set_new(doc, "table", table_json(t));
  json_object_set_new(doc, "warnings", cli_json_strings(r->warnings, r->nwarnings));
  return cli_json_write(fp, doc);
}

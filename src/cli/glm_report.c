/* A fitted GLM as text (R-like summary) or JSON (broom's column names). */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "cli.h"
#include "glm_report.h"

static const char *model_title(const peil_glm *g) {
  const peil_family *f = g->family;
  if (f->family == PEIL_BINOMIAL && f->link == PEIL_LOGIT) return "Logistic regression";
  if (f->family == PEIL_BINOMIAL && f->link == PEIL_PROBIT) return "Probit regression";
  if (f->family == PEIL_GAUSSIAN && f->link == PEIL_IDENTITY) return "Linear regression";
  if (f->family == PEIL_POISSON) return "Poisson regression";
  return "Generalised linear model";
}

/* The covariance as a short name (JSON, table headings) or in words. */
static const char *vcov_label(const peil_glm *g, int words) {
  static const char *const names[][2] = {{"model", "model-based"},
                                         {"HC0", "robust (HC0)"},
                                         {"HC1", "robust (HC1)"},
                                         {"HC3", "robust (HC3)"}};
  if (g->nclusters) return words ? "cluster-robust (CR1)" : "CR1";
  return names[g->vcov][words];
}


static void num(double v, char *buf, size_t n) {
  if (isnan(v)) snprintf(buf, n, "NA");
  else snprintf(buf, n, "%.6g", v);
}

static void pval(double v, char *buf, size_t n) {
  if (isnan(v)) snprintf(buf, n, "NA");
  else if (v < 2.2e-16) snprintf(buf, n, "<2e-16");
  else snprintf(buf, n, "%.3g", v);
}

/* A table of result rows with aligned columns. */
static void print_rows(FILE *fp, const char *first, const peil_glm_row *r, size_t nr, int expo,
                       int with_test, int with_n) {
  size_t tw = strlen(first);
  for (size_t i = 0; i < nr; i++)
    if (strlen(r[i].term) > tw) tw = strlen(r[i].term);
  fprintf(fp, "%-*s %12s %12s", (int)tw, first, expo ? "exp(est.)" : "estimate", "std_error");
  if (with_test) fprintf(fp, " %10s %10s", "statistic", "p_value");
  fprintf(fp, " %12s %12s", "conf_low", "conf_high");
  if (with_n) fprintf(fp, " %12s", "n");
  fputc('\n', fp);
  for (size_t i = 0; i < nr; i++) {
    char e[32], s[32], t[32], p[32], lo[32], hi[32];
    double est = r[i].estimate, cl = r[i].conf_low, ch = r[i].conf_high;
    if (expo) est = exp(est), cl = exp(cl), ch = exp(ch);
    num(est, e, sizeof e), num(r[i].std_error, s, sizeof s), num(r[i].statistic, t, sizeof t);
    pval(r[i].p_value, p, sizeof p), num(cl, lo, sizeof lo), num(ch, hi, sizeof hi);
    fprintf(fp, "%-*s %12s %12s", (int)tw, r[i].term, e, s);
    if (with_test) fprintf(fp, " %10s %10s", t, p);
    fprintf(fp, " %12s %12s", lo, hi);
    if (with_n) {
      char nb[32];
      fprintf(fp, " %12s", cli_count(r[i].n, nb));
    }
    if (r[i].aliased) fputs("  (aliased)", fp);
    if (r[i].separated) fputs("  (separated)", fp);
    fputc('\n', fp);
  }
}

int glm_report_text(FILE *fp, const peil_glm *g, const glm_report_options *o) {
  char a[32], b[32], c[32];
  const peil_family *f = g->family;
  fprintf(fp, "%s (%s family, %s link)\n", model_title(g), f->family_name, f->link_name);
  fprintf(fp, "Data:     %s", o->data);
  if (o->table) fprintf(fp, ", table %s", o->table);
  fputc('\n', fp);
  fprintf(fp, "Formula:  %s\n", g->formula);
  if (g->where) fprintf(fp, "Where:    %s\n", g->where);
  if (g->weights)
    fprintf(fp, "Weights:  %s (%s)\n", g->weights,
            g->weight_type == PEIL_WEIGHTS_SAMPLING ? "sampling" : "frequency");
  fprintf(fp, "Rows:     %s read", cli_count(g->n_read, a));
  if (g->where) fprintf(fp, ", %s filtered out", cli_count(g->n_filtered, a));
  fprintf(fp, ", %s with missing values", cli_count(g->n_missing, b));
  if (g->nmissing_by) {
    fputs(" (", fp);
    for (size_t i = 0; i < g->nmissing_by; i++)
      fprintf(fp, "%s%s: %s", i ? ", " : "", g->missing_by[i], cli_count(g->missing_count[i], a));
    fputc(')', fp);
  }
  if (g->n_zero_weight) fprintf(fp, ", %s with weight 0", cli_count(g->n_zero_weight, a));
  fprintf(fp, ", %s used\n", cli_count(g->n_used, c));
  fprintf(fp, "Std. errors: %s", vcov_label(g, 1));
  if (g->nclusters) fprintf(fp, " on %s, %s clusters", g->cluster, cli_count(g->nclusters, a));
  fprintf(fp, "; %s tests\n\n", g->t_stat ? "t" : "z");
  print_rows(fp, "term", g->coef, g->ncoef, o->exponentiate, 1, 0);
  fputc('\n', fp);
  if (g->family->has_dispersion) fprintf(fp, "Dispersion %.6g; ", g->dispersion);
  fprintf(fp, "deviance %.8g on %.0f degrees of freedom (null: %.8g on %.0f)\n", g->deviance,
          g->df_residual, g->null_deviance, g->df_null);
  if (!isnan(g->aic)) fprintf(fp, "Log-likelihood %.8g, AIC %.8g\n", g->loglik, g->aic);
  fprintf(fp, "%s in %d iterations", g->converged ? "Converged" : "Did NOT converge", g->iterations);
  if (g->extra_steps) fprintf(fp, " and %d step%s to the optimum", g->extra_steps, g->extra_steps > 1 ? "s" : "");
  fprintf(fp, " (relative deviance change %.3g, tolerance %g; %s solver)\n", g->last_change,
          o->epsilon, g->solver);
  if (g->nmargins) {
    fprintf(fp, "\nAdjusted %s by %s (marginal standardisation, %s SEs)\n",
            f->family == PEIL_BINOMIAL ? "shares" : "means", g->margins, vcov_label(g, 0));
    print_rows(fp, g->margins, g->margin, g->nmargins, 0, 0, 1);
    fprintf(fp, "\nDifferences to %s\n", g->margins_ref);
    print_rows(fp, g->margins, g->diff, g->ndiffs, 0, 1, 0);
  }
  if (g->n_ame) {
    fprintf(fp, "\nAverage marginal effects (%s SEs)\n", vcov_label(g, 0));
    print_rows(fp, "term", g->ame, g->n_ame, 0, 1, 0);
  }
  if (g->nwarnings) {
    fputs("\nWarnings:\n", fp);
    for (size_t i = 0; i < g->nwarnings; i++) fprintf(fp, "  %s\n", g->warnings[i]);
  }
  return ferror(fp) ? peil_error(PEIL_EIO, "writing the report failed") : PEIL_OK;
}

static json_t *rows_json(const peil_glm_row *r, size_t n, int expo, int with_n) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++) {
    json_t *o = json_object();
    double est = r[i].estimate, cl = r[i].conf_low, ch = r[i].conf_high;
    if (expo) est = exp(est), cl = exp(cl), ch = exp(ch);
    json_object_set_new(o, "term", json_string(r[i].term));
    json_object_set_new(o, "estimate", cli_json_real(est));
    json_object_set_new(o, "std_error", cli_json_real(r[i].std_error));
    json_object_set_new(o, "statistic", cli_json_real(r[i].statistic));
    json_object_set_new(o, "p_value", cli_json_real(r[i].p_value));
    json_object_set_new(o, "conf_low", cli_json_real(cl));
    json_object_set_new(o, "conf_high", cli_json_real(ch));
    if (r[i].aliased) json_object_set_new(o, "aliased", json_true());
    if (r[i].separated) json_object_set_new(o, "separated", json_true());
    if (with_n) json_object_set_new(o, "n", json_integer(r[i].n));
    json_array_append_new(a, o);
  }
  return a;
}

static json_t *string_or_null(const char *s) { return s ? json_string(s) : json_null(); }

int glm_report_json(FILE *fp, const peil_glm *g, const glm_report_options *o) {
  json_t *doc = json_object();
  json_object_set_new(doc, "peil_version", json_string(peil_version()));
  json_object_set_new(doc, "command", json_string(o->command));
  json_t *in = json_object();
  json_object_set_new(in, "data", json_string(o->data));
  json_object_set_new(in, "table", string_or_null(o->table));
  json_object_set_new(in, "formula", json_string(g->formula));
  json_object_set_new(in, "family", json_string(g->family->family_name));
  json_object_set_new(in, "link", json_string(g->family->link_name));
  json_object_set_new(in, "where", string_or_null(g->where));
  json_object_set_new(in, "weights", string_or_null(g->weights));
  json_object_set_new(in, "weight_type", g->weights ? json_string(g->weight_type == PEIL_WEIGHTS_SAMPLING ? "sampling" : "frequency") : json_null());
  json_object_set_new(in, "vcov", json_string(vcov_label(g, 0)));
  json_object_set_new(in, "cluster", string_or_null(g->cluster));
  json_object_set_new(in, "conf_level", json_real(o->conf_level));
  json_object_set_new(in, "exponentiate", json_boolean(o->exponentiate));
  json_object_set_new(doc, "inputs", in);
  json_t *rows = json_object();
  json_object_set_new(rows, "read", json_integer(g->n_read));
  json_object_set_new(rows, "filtered", json_integer(g->n_filtered));
  json_object_set_new(rows, "missing", json_integer(g->n_missing));
  json_object_set_new(rows, "zero_weight", json_integer(g->n_zero_weight));
  json_object_set_new(rows, "used", json_integer(g->n_used));
  json_t *mb = json_object();
  for (size_t i = 0; i < g->nmissing_by; i++) json_object_set_new(mb, g->missing_by[i], json_integer(g->missing_count[i]));
  json_object_set_new(rows, "missing_by", mb);
  json_object_set_new(doc, "rows", rows);
  json_t *m = json_object();
  json_object_set_new(m, "nobs", json_real(g->nobs));
  json_object_set_new(m, "rank", json_integer(g->rank));
  json_object_set_new(m, "df_residual", json_real(g->df_residual));
  json_object_set_new(m, "df_null", json_real(g->df_null));
  json_object_set_new(m, "deviance", cli_json_real(g->deviance));
  json_object_set_new(m, "null_deviance", cli_json_real(g->null_deviance));
  json_object_set_new(m, "loglik", cli_json_real(g->loglik));
  json_object_set_new(m, "aic", cli_json_real(g->aic));
  json_object_set_new(m, "dispersion", cli_json_real(g->dispersion));
  json_object_set_new(m, "statistic", json_string(g->t_stat ? "t" : "z"));
  json_object_set_new(m, "iterations", json_integer(g->iterations));
  json_object_set_new(m, "extra_steps", json_integer(g->extra_steps));
  json_object_set_new(m, "converged", json_boolean(g->converged));
  json_object_set_new(m, "last_change", cli_json_real(g->last_change));
  json_object_set_new(m, "epsilon", json_real(o->epsilon));
  json_object_set_new(m, "solver", json_string(g->solver));
  if (g->nclusters) json_object_set_new(m, "n_clusters", json_integer(g->nclusters));
  json_object_set_new(doc, "model", m);
  json_object_set_new(doc, "coefficients", rows_json(g->coef, g->ncoef, o->exponentiate, 0));
  json_t *terms = json_array(), *mat = json_array();
  for (size_t i = 0; i < g->ncoef; i++) {
    json_array_append_new(terms, json_string(g->coef[i].term));
    json_t *row = json_array();
    for (size_t j = 0; j < g->ncoef; j++) json_array_append_new(row, cli_json_real(g->vcov_matrix[i + j * g->ncoef]));
    json_array_append_new(mat, row);
  }
  json_t *vc = json_object();
  json_object_set_new(vc, "terms", terms);
  json_object_set_new(vc, "matrix", mat);
  json_object_set_new(doc, "vcov", vc);
  if (g->nmargins) {
    json_t *mg = json_object();
    json_object_set_new(mg, "column", json_string(g->margins));
    json_object_set_new(mg, "reference", json_string(g->margins_ref));
    json_object_set_new(mg, "levels", rows_json(g->margin, g->nmargins, 0, 1));
    json_object_set_new(mg, "differences", rows_json(g->diff, g->ndiffs, 0, 0));
    json_object_set_new(doc, "margins", mg);
  }
  if (g->n_ame) json_object_set_new(doc, "ame", rows_json(g->ame, g->n_ame, 0, 0));
  json_t *tm = json_object();
  json_object_set_new(tm, "read", json_real(g->seconds_read));
  json_object_set_new(tm, "fit", json_real(g->seconds_fit));
  json_object_set_new(tm, "vcov", json_real(g->seconds_vcov));
  json_object_set_new(tm, "effects", json_real(g->seconds_effects));
  json_object_set_new(doc, "seconds", tm);
  json_object_set_new(doc, "warnings", cli_json_strings(g->warnings, g->nwarnings));
  return cli_json_write(fp, doc);
}

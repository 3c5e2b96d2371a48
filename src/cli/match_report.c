/* peil match's report: what was matched and how, the sample sizes, the
 * balance table, the effects before and after matching, the trajectory;
 * as text or as JSON (broom's names for estimates). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "match_report.h"

static const char *method_text(const peil_match_options *o) {
  switch (o->method) {
  case PEIL_MATCH_NEAREST: return "nearest neighbour";
  case PEIL_MATCH_EXACT: return o->exact_ratio ? "exact, random draws within strata" : "exact";
  case PEIL_MATCH_CEM: return o->exact_ratio ? "coarsened exact, random draws within strata" : "coarsened exact";
  default: return "subclassification";
  }
}

static const char *method_key(peil_match_method m) {
  return m == PEIL_MATCH_NEAREST ? "nearest" : m == PEIL_MATCH_EXACT ? "exact" : m == PEIL_MATCH_CEM ? "cem" : "subclass";
}

static const char *estimand_name(peil_estimand e) {
  return e == PEIL_ATT ? "ATT" : e == PEIL_ATC ? "ATC" : "ATE";
}

static const char *distance_text(const peil_match_options *o) {
  switch (o->distance) {
  case PEIL_DISTANCE_GLM: return strcmp(o->link ? o->link : "logit", "probit") ? "logit propensity score" : "probit propensity score";
  case PEIL_DISTANCE_GLM_LINEAR: return strcmp(o->link ? o->link : "logit", "probit") ? "linear predictor of the logit score" : "linear predictor of the probit score";
  case PEIL_DISTANCE_USER: return "given score";
  default: return "Mahalanobis distance";
  }
}

static const char *order_name(peil_match_order o) {
  return o == PEIL_MATCH_LARGEST ? "largest" : o == PEIL_MATCH_SMALLEST ? "smallest" : o == PEIL_MATCH_RANDOM ? "random" : "data";
}

static const char *discard_name(peil_discard d) {
  return d == PEIL_DISCARD_BOTH ? "both" : d == PEIL_DISCARD_TREATED ? "treated" : d == PEIL_DISCARD_CONTROL ? "control" : "none";
}

const char *match_report_estimator_name(peil_effect_estimator e) {
  switch (e) {
  case PEIL_EFFECT_DIFF_MEANS: return "diff_means";
  case PEIL_EFFECT_LM_ADJUSTED: return "lm_adjusted";
  case PEIL_EFFECT_GCOMP: return "gcomp";
  case PEIL_EFFECT_IPW: return "ipw";
  default: return "aipw";
  }
}

const char *match_report_se_name(peil_se_kind k) {
  switch (k) {
  case PEIL_SE_CLUSTER: return "CR1";
  case PEIL_SE_HC1: return "HC1";
  case PEIL_SE_HC3: return "HC3";
  case PEIL_SE_ABADIE_IMBENS: return "AI";
  case PEIL_SE_BOOTSTRAP: return "bootstrap";
  case PEIL_SE_HC0: return "HC0";
  case PEIL_SE_MEST: return "M-estimation";
  case PEIL_SE_INFLUENCE: return "influence";
  default: return "none";
  }
}

int match_report_compute(match_report *m) {
  const peil_match_data *d = m->d;
  int rc = peil_match_balance_compute(d, m->r, m->effect_options->threads, &m->balance);
  if (rc || !d->nout) return rc;
  if ((rc = peil_match_effects_compute(d, m->r, m->effect_options, &m->effects))) return rc;
  /* The same estimators on all units with weight 1: the naive difference
   * and the regression-adjusted one, before matching. */
  peil_match_result all = {0};
  all.n = d->n;
  all.method = PEIL_MATCH_EXACT;
  all.estimand = m->r->estimand;
  all.caliper = all.sd_distance = NAN;
  all.weight = peil_alloc_large(d->n, sizeof *all.weight);
  all.subclass = peil_alloc_large(d->n, sizeof *all.subclass);
  all.discarded = calloc(d->n, 1);
  if (!all.weight || !all.subclass || !all.discarded) rc = peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < d->n; i++) all.weight[i] = 1, all.subclass[i] = -1;
  peil_effect_options eo = *m->effect_options;
  eo.bootstrap = 0;
  if (!rc) rc = peil_match_effects_compute(d, &all, &eo, &m->before);
  free(all.weight), free(all.subclass), free(all.discarded);
  if (!rc) rc = peil_match_trajectory(d, m->r, &m->traj, &m->ntraj);
  if (!rc && m->weighting)
    rc = peil_match_weighting(d, m->ps, m->r->estimand, m->effect_options, &m->weighted);
  return rc;
}

void match_report_free(match_report *m) {
  peil_match_balance_free(m->balance);
  peil_match_effects_free(m->effects);
  peil_match_effects_free(m->before);
  peil_match_effects_free(m->weighted);
  free(m->traj);
}

/* ---- Text. */

static void num(double v, char *buf, size_t n) {
  if (!isfinite(v)) snprintf(buf, n, "%s", isnan(v) ? "NA" : v > 0 ? "Inf" : "-Inf");
  else if (v != 0 && (fabs(v) >= 1e6 || fabs(v) < 1e-4)) snprintf(buf, n, "%.4g", v);
  else snprintf(buf, n, "%.4f", v);
}

static void pval(double p, char *buf, size_t n) {
  if (!isfinite(p)) snprintf(buf, n, "NA");
  else if (p < 1e-4) snprintf(buf, n, "<1e-4");
  else snprintf(buf, n, "%.4f", p);
}

static void print_header(FILE *fp, const match_report *m) {
  const peil_match_options *o = m->options;
  const peil_match_result *r = m->r;
  const peil_match_data *d = m->d;
  char a[32], b[32], c[32], e[32], f[32];
  fprintf(fp, "Matching: %s", method_text(o));
  if (o->method == PEIL_MATCH_NEAREST) {
    fprintf(fp, " 1:%zu on the %s", r->ratio, distance_text(o));
    if (o->distance == PEIL_DISTANCE_USER && m->load->distance_column) fprintf(fp, " '%s'", m->load->distance_column);
    fprintf(fp, ", %s replacement", o->nn.replace ? "with" : "without");
    if (isfinite(r->caliper)) {
      if (isfinite(o->caliper_sd)) fprintf(fp, ", caliper %g SD (%.6g)", o->caliper_sd, r->caliper);
      else fprintf(fp, ", caliper %.6g", r->caliper);
    }
    if (!o->nn.replace) fprintf(fp, ", %s first", order_name(o->nn.order));
  } else if (o->method == PEIL_MATCH_SUBCLASS) {
    fprintf(fp, " into %zu subclasses of the %s", o->subclasses, distance_text(o));
    if (o->distance == PEIL_DISTANCE_USER && m->load->distance_column) fprintf(fp, " '%s'", m->load->distance_column);
  } else if (o->exact_ratio) {
    fprintf(fp, " (1:%zu, seed %llu)", o->exact_ratio, (unsigned long long)o->nn.seed);
  }
  fprintf(fp, "; estimand %s\n", estimand_name(r->estimand));
  fprintf(fp, "Formula:  %s\n", m->load->formula);
  if (m->load->nexact) {
    fprintf(fp, "Exact on: ");
    for (size_t k = 0; k < m->load->nexact; k++) fprintf(fp, "%s%s", k ? ", " : "", m->load->exact[k]);
    fprintf(fp, " (%zu strata)\n", d->nstrata);
  }
  if (o->discard) fprintf(fp, "Common support: discard %s\n", discard_name(o->discard));
  fprintf(fp, "Data:     %s%s%s\n", m->data, m->table ? ", table " : "", m->table ? m->table : "");
  fprintf(fp, "Rows:     %s read", cli_count(d->n_read, a));
  if (d->n_filtered) fprintf(fp, ", %s filtered out", cli_count(d->n_filtered, b));
  fprintf(fp, ", %s with a missing value, %s used (%s treated, %s controls)\n",
          cli_count(d->n_missing, b), cli_count((int64_t)d->n, c), cli_count((int64_t)d->n_treated, e),
          cli_count((int64_t)d->n_control, f));
  for (size_t k = 0; k < d->nmissing_by; k++)
    if (d->missing_count[k]) fprintf(fp, "          %s rows dropped: %s missing\n", cli_count(d->missing_count[k], a), d->missing_by[k]);
  if (m->fit)
    fprintf(fp, "Score:    %s model, %zu coefficients, %d iterations%s\n", m->fit->family->link_name,
            m->fit->ncoef, m->fit->iterations, m->fit->converged ? "" : " (not converged)");
}

static void print_sizes(FILE *fp, const peil_match_sizes *s) {
  fprintf(fp, "\nSample sizes\n%-16s %12s %12s\n", "", "Control", "Treated");
  const struct {
    const char *name;
    const double *v;
    int frac;
  } rows[] = {{"All", s->all, 0},           {"Matched (ESS)", s->matched_ess, 1},
              {"Matched", s->matched, 0},   {"Unmatched", s->unmatched, 0},
              {"Discarded", s->discarded, 0}};
  for (size_t i = 0; i < 5; i++) {
    if (rows[i].frac) fprintf(fp, "%-16s %12.2f %12.2f\n", rows[i].name, rows[i].v[0], rows[i].v[1]);
    else fprintf(fp, "%-16s %12.0f %12.0f\n", rows[i].name, rows[i].v[0], rows[i].v[1]);
  }
}

static void print_balance(FILE *fp, const match_report *m) {
  const peil_match_balance *b = m->balance;
  size_t w = 12;
  for (size_t j = 0; j < b->nrows; j++)
    if (strlen(b->rows[j].term) > w) w = strlen(b->rows[j].term);
  const char *sd = b->estimand == PEIL_ATT ? "SD of the treated" : b->estimand == PEIL_ATC ? "SD of the controls" : "pooled SD";
  fprintf(fp, "\nBalance (standardised mean differences: %s; * |SMD| > 0.1 after matching)\n", sd);
  fprintf(fp, "%-*s %11s %11s %11s %11s %11s %11s  %11s %11s\n", (int)w, "", "Mean T", "Mean C", "SMD all",
          "Mean T adj", "Mean C adj", "SMD adj", "Var ratio", "eCDF max");
  for (size_t j = 0; j < b->nrows; j++) {
    const peil_balance_row *row = &b->rows[j];
    char v[8][32];
    num(row->all.mean_treated, v[0], 32);
    num(row->all.mean_control, v[1], 32);
    num(row->all.std_mean_diff, v[2], 32);
    num(row->matched.mean_treated, v[3], 32);
    num(row->matched.mean_control, v[4], 32);
    num(row->matched.std_mean_diff, v[5], 32);
    num(row->matched.var_ratio, v[6], 32);
    num(row->matched.ecdf_max, v[7], 32);
    int flag = row->var >= 0 && fabs(row->matched.std_mean_diff) > 0.1;
    fprintf(fp, "%-*s %11s %11s %11s %11s %11s %11s%s %11s %11s\n", (int)w, row->term, v[0], v[1], v[2],
            v[3], v[4], v[5], flag ? "*" : " ", v[6], v[7]);
  }
  fprintf(fp, "%zu of %zu covariate columns with |SMD| > 0.1 after matching\n", b->n_imbalanced,
          b->nrows - (b->nrows && b->rows[0].var < 0));
}

static void print_effects(FILE *fp, const char *title, const peil_match_effects *e, double level) {
  if (!e || !e->nrows) return;
  size_t w = 8;
  for (size_t j = 0; j < e->nrows; j++)
    if (strlen(e->rows[j].outcome) > w) w = strlen(e->rows[j].outcome);
  fprintf(fp, "\n%s\n%-*s %-12s %-12s %11s %11s %11s %11s %8s %9s %9s\n", title, (int)w, "outcome",
          "estimator", "std. error", "estimate", "std_error", "conf_low", "conf_high", "p", "n_treat", "n_contr");
  (void)level;
  for (size_t j = 0; j < e->nrows; j++) {
    const peil_effect_row *r = &e->rows[j];
    char v[5][32], p[16];
    num(r->estimate, v[0], 32);
    num(r->std_error, v[1], 32);
    num(r->conf_low, v[2], 32);
    num(r->conf_high, v[3], 32);
    pval(r->p_value, p, sizeof p);
    const char *est = match_report_estimator_name(r->estimator);
    char label[40];
    if (r->quantity && strcmp(r->quantity, "effect")) snprintf(label, sizeof label, "%s %s", est, r->quantity);
    else snprintf(label, sizeof label, "%s", est);
    fprintf(fp, "%-*s %-12s %-12s %11s %11s %11s %11s %8s %9lld %9lld\n", (int)w, r->outcome, label,
            match_report_se_name(r->se), v[0], v[1], v[2], v[3], p, (long long)r->n_treated, (long long)r->n_control);
  }
}

static void print_trajectory(FILE *fp, const match_report *m) {
  if (m->ntraj < 2) return;
  const char *f = m->r->estimand == PEIL_ATC ? "controls" : "treated";
  fprintf(fp, "\nTrajectory (matched sample)\n%-20s %8s %12s %12s %12s\n", "outcome", "horizon", f,
          "comparison", "difference");
  for (size_t k = 0; k < m->ntraj; k++) {
    const peil_trajectory_point *p = &m->traj[k];
    fprintf(fp, "%-20s %8g %12.4f %12.4f %+12.4f\n", p->outcome, p->horizon, p->mean_focal, p->mean_other,
            p->mean_focal - p->mean_other);
  }
}

int match_report_text(FILE *fp, const match_report *m) {
  print_header(fp, m);
  print_sizes(fp, &m->balance->sizes);
  print_balance(fp, m);
  double level = m->effect_options->conf_level;
  char title[128];
  snprintf(title, sizeof title, "Effects on the matched sample (%s; %.0f%% intervals)",
           estimand_name(m->r->estimand), 100 * level);
  print_effects(fp, title, m->effects, level);
  print_effects(fp, "Before matching, all units unweighted (naive and regression-adjusted)", m->before, level);
  print_effects(fp, "Weighting on the propensity score (IPW, augmented IPW)", m->weighted, level);
  print_trajectory(fp, m);
  size_t nfit = m->fit ? m->fit->nwarnings : 0;
  if (m->r->nwarnings || nfit) {
    fprintf(fp, "\nNotes\n");
    for (size_t k = 0; k < nfit; k++) fprintf(fp, "  score model: %s\n", m->fit->warnings[k]);
    for (size_t k = 0; k < m->r->nwarnings; k++) fprintf(fp, "  %s\n", m->r->warnings[k]);
  }
  return ferror(fp) ? peil_error(PEIL_EIO, "writing the report failed") : PEIL_OK;
}

void match_report_warnings(const match_report *m) {
  const peil_match_effects *e[3] = {m->effects, m->before, m->weighted};
  for (int k = 0; k < 3; k++)
    for (size_t j = 0; e[k] && j < e[k]->nwarnings; j++) cli_note("warning: %s", e[k]->warnings[j]);
}

/* ---- JSON. */

static json_t *stats_json(const peil_balance_stats *s) {
  json_t *o = json_object();
  json_object_set_new(o, "mean_treated", cli_json_real(s->mean_treated));
  json_object_set_new(o, "mean_control", cli_json_real(s->mean_control));
  json_object_set_new(o, "std_mean_diff", cli_json_real(s->std_mean_diff));
  json_object_set_new(o, "var_ratio", cli_json_real(s->var_ratio));
  json_object_set_new(o, "ecdf_mean", cli_json_real(s->ecdf_mean));
  json_object_set_new(o, "ecdf_max", cli_json_real(s->ecdf_max));
  json_object_set_new(o, "std_pair_dist", cli_json_real(s->std_pair_dist));
  return o;
}

static json_t *effects_json(const peil_match_effects *e) {
  json_t *a = json_array();
  for (size_t j = 0; e && j < e->nrows; j++) {
    const peil_effect_row *r = &e->rows[j];
    json_t *o = json_object();
    json_object_set_new(o, "outcome", json_string(r->outcome));
    json_object_set_new(o, "term", json_string(r->quantity ? r->quantity : "effect"));
    json_object_set_new(o, "estimator", json_string(match_report_estimator_name(r->estimator)));
    json_object_set_new(o, "vcov", json_string(match_report_se_name(r->se)));
    json_object_set_new(o, "estimate", cli_json_real(r->estimate));
    json_object_set_new(o, "std_error", cli_json_real(r->std_error));
    json_object_set_new(o, "statistic", cli_json_real(r->statistic));
    json_object_set_new(o, "p_value", cli_json_real(r->p_value));
    json_object_set_new(o, "conf_low", cli_json_real(r->conf_low));
    json_object_set_new(o, "conf_high", cli_json_real(r->conf_high));
    json_object_set_new(o, "n_treated", json_integer(r->n_treated));
    json_object_set_new(o, "n_control", json_integer(r->n_control));
    json_object_set_new(o, "n_control_eff", cli_json_real(r->n_control_eff));
    if (r->n_clusters) json_object_set_new(o, "n_clusters", json_integer(r->n_clusters));
    json_array_append_new(a, o);
  }
  return a;
}

/* Controls and treated: unit counts as integers, effective sizes as reals. */
static json_t *pair_json(const double *v, int count) {
  json_t *o = json_object();
  json_object_set_new(o, "control", count ? json_integer((json_int_t)v[0]) : json_real(v[0]));
  json_object_set_new(o, "treated", count ? json_integer((json_int_t)v[1]) : json_real(v[1]));
  return o;
}

int match_report_json(FILE *fp, const match_report *m) {
  const peil_match_options *o = m->options;
  const peil_match_result *r = m->r;
  const peil_match_data *d = m->d;
  json_t *doc = json_object();
  json_object_set_new(doc, "peil_version", json_string(peil_version()));
  json_object_set_new(doc, "command", json_string(m->command));
  json_t *in = json_object();
  json_object_set_new(in, "data", json_string(m->data));
  json_object_set_new(in, "table", m->table ? json_string(m->table) : json_null());
  json_object_set_new(in, "formula", json_string(m->load->formula));
  json_object_set_new(in, "where", m->load->where ? json_string(m->load->where) : json_null());
  json_object_set_new(in, "method", json_string(method_key(o->method)));
  json_object_set_new(in, "distance", json_string(o->distance == PEIL_DISTANCE_GLM ? "glm"
                                                  : o->distance == PEIL_DISTANCE_GLM_LINEAR ? "linear"
                                                  : o->distance == PEIL_DISTANCE_USER ? m->load->distance_column
                                                                                      : "mahalanobis"));
  json_object_set_new(in, "link", json_string(o->link ? o->link : "logit"));
  json_object_set_new(in, "estimand", json_string(estimand_name(r->estimand)));
  json_object_set_new(in, "ratio", json_integer((json_int_t)(r->ratio ? r->ratio : 0)));
  json_object_set_new(in, "replace", json_boolean(o->nn.replace));
  json_object_set_new(in, "caliper_sd", cli_json_real(o->caliper_sd));
  json_object_set_new(in, "caliper", cli_json_real(r->caliper));
  json_object_set_new(in, "order", json_string(order_name(o->nn.order)));
  json_object_set_new(in, "seed", json_integer((json_int_t)o->nn.seed));
  json_t *ex = json_array();
  for (size_t k = 0; k < m->load->nexact; k++) json_array_append_new(ex, json_string(m->load->exact[k]));
  json_object_set_new(in, "exact", ex);
  json_object_set_new(in, "discard", json_string(discard_name(o->discard)));
  if (o->method == PEIL_MATCH_SUBCLASS) json_object_set_new(in, "subclasses", json_integer((json_int_t)o->subclasses));
  json_t *outs = json_array();
  for (size_t k = 0; k < d->nout; k++) json_array_append_new(outs, json_string(d->outcome_name[k]));
  json_object_set_new(in, "outcomes", outs);
  json_object_set_new(in, "conf_level", json_real(m->effect_options->conf_level));
  json_object_set_new(in, "bootstrap", json_integer((json_int_t)m->effect_options->bootstrap));
  json_object_set_new(doc, "inputs", in);

  json_t *rows = json_object();
  json_object_set_new(rows, "read", json_integer(d->n_read));
  json_object_set_new(rows, "filtered", json_integer(d->n_filtered));
  json_object_set_new(rows, "missing", json_integer(d->n_missing));
  json_t *mb = json_object();
  for (size_t k = 0; k < d->nmissing_by; k++) json_object_set_new(mb, d->missing_by[k], json_integer(d->missing_count[k]));
  json_object_set_new(rows, "missing_by", mb);
  json_object_set_new(rows, "used", json_integer((json_int_t)d->n));
  json_object_set_new(rows, "treated", json_integer((json_int_t)d->n_treated));
  json_object_set_new(rows, "control", json_integer((json_int_t)d->n_control));
  json_object_set_new(doc, "rows", rows);
  if (d->nstrata) json_object_set_new(doc, "strata", json_integer((json_int_t)d->nstrata));
  if (r->nbounds) {
    json_t *qb = json_array();
    for (size_t k = 0; k < r->nbounds; k++) json_array_append_new(qb, json_real(r->bounds[k]));
    json_object_set_new(doc, "subclass_bounds", qb);
  }
  if (m->fit) {
    json_t *coef = json_array();
    for (size_t j = 0; j < m->fit->ncoef; j++) {
      const peil_glm_row *c = &m->fit->coef[j];
      json_t *co = json_object();
      json_object_set_new(co, "term", json_string(c->term));
      json_object_set_new(co, "estimate", cli_json_real(c->estimate));
      json_object_set_new(co, "std_error", cli_json_real(c->std_error));
      json_object_set_new(co, "statistic", cli_json_real(c->statistic));
      json_object_set_new(co, "p_value", cli_json_real(c->p_value));
      json_array_append_new(coef, co);
    }
    json_object_set_new(doc, "score_model", coef);
  }
  const peil_match_sizes *s = &m->balance->sizes;
  json_t *sz = json_object();
  json_object_set_new(sz, "all", pair_json(s->all, 1));
  json_object_set_new(sz, "all_ess", pair_json(s->all_ess, 0));
  json_object_set_new(sz, "matched", pair_json(s->matched, 1));
  json_object_set_new(sz, "matched_ess", pair_json(s->matched_ess, 0));
  json_object_set_new(sz, "unmatched", pair_json(s->unmatched, 1));
  json_object_set_new(sz, "discarded", pair_json(s->discarded, 1));
  json_object_set_new(doc, "sizes", sz);
  json_t *bal = json_array();
  for (size_t j = 0; j < m->balance->nrows; j++) {
    const peil_balance_row *row = &m->balance->rows[j];
    json_t *bo = json_object();
    json_object_set_new(bo, "term", json_string(row->term));
    json_object_set_new(bo, "variable", json_string(row->var < 0 ? "distance" : d->vars[row->var].name));
    json_object_set_new(bo, "level", row->level >= 0 ? json_string(d->vars[row->var].levels[row->level]) : json_null());
    json_object_set_new(bo, "binary", json_boolean(row->binary));
    json_object_set_new(bo, "all", stats_json(&row->all));
    json_object_set_new(bo, "matched", stats_json(&row->matched));
    json_array_append_new(bal, bo);
  }
  json_object_set_new(doc, "balance", bal);
  json_object_set_new(doc, "n_imbalanced", json_integer((json_int_t)m->balance->n_imbalanced));
  json_object_set_new(doc, "effects", effects_json(m->effects));
  json_object_set_new(doc, "before_matching", effects_json(m->before));
  if (m->weighted) json_object_set_new(doc, "weighting", effects_json(m->weighted));
  json_t *tr = json_array();
  for (size_t k = 0; k < m->ntraj; k++) {
    json_t *to = json_object();
    json_object_set_new(to, "outcome", json_string(m->traj[k].outcome));
    json_object_set_new(to, "horizon", json_real(m->traj[k].horizon));
    json_object_set_new(to, "mean_focal", cli_json_real(m->traj[k].mean_focal));
    json_object_set_new(to, "mean_other", cli_json_real(m->traj[k].mean_other));
    json_object_set_new(to, "n_focal", json_integer(m->traj[k].n_focal));
    json_object_set_new(to, "n_other", json_integer(m->traj[k].n_other));
    json_array_append_new(tr, to);
  }
  json_object_set_new(doc, "trajectory", tr);
  json_t *warn = json_array();
  for (size_t k = 0; m->fit && k < m->fit->nwarnings; k++) {
    char buf[2048];
    snprintf(buf, sizeof buf, "score model: %s", m->fit->warnings[k]);
    json_array_append_new(warn, json_string(buf));
  }
  for (size_t k = 0; k < r->nwarnings; k++) json_array_append_new(warn, json_string(r->warnings[k]));
  const peil_match_effects *e[3] = {m->effects, m->before, m->weighted};
  for (int k = 0; k < 3; k++)
    for (size_t j = 0; e[k] && j < e[k]->nwarnings; j++) json_array_append_new(warn, json_string(e[k]->warnings[j]));
  json_object_set_new(doc, "warnings", warn);
  int rc = json_dumpf(doc, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
  fputc('\n', fp);
  json_decref(doc);
  return rc || ferror(fp) ? peil_error(PEIL_EIO, "writing the report failed") : PEIL_OK;
}

/* ---- The matched sample and the plots. */

static int write_units(peil_store *s, const match_report *m) {
  const peil_match_data *d = m->d;
  const peil_match_result *r = m->r;
  size_t nc = 6 + d->nvars + d->nout, n = d->n;
  peil_column_def *defs = calloc(nc, sizeof *defs);
  const void **cols = calloc(nc, sizeof *cols);
  void **own = calloc(nc, sizeof *own);
  int rc = defs && cols && own ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
  size_t j = 0;
  if (!rc) {
    int8_t *treat = malloc(n), *disc = malloc(n);
    int64_t *sub = peil_alloc_large(n, sizeof *sub);
    double *dist = peil_alloc_large(n, sizeof *dist);
    if (!treat || !disc || !sub || !dist) rc = peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
      treat[i] = d->treat[i], disc[i] = (int8_t)r->discarded[i];
      sub[i] = r->subclass[i] < 0 ? PEIL_NA_INT64 : r->subclass[i] + 1;
      dist[i] = r->distance ? r->distance[i] : NAN;
    }
    defs[j] = (peil_column_def){"row", PEIL_INT64, 0, NULL}, cols[j++] = d->row;
    defs[j] = (peil_column_def){"treat", PEIL_BOOL, 0, NULL}, cols[j] = treat, own[j++] = treat;
    own[j] = dist;
    if (r->distance) defs[j] = (peil_column_def){"distance", PEIL_FLOAT64, 0, NULL}, cols[j++] = dist;
    else free(dist), own[j] = NULL; /* exact and CEM have no distance */
    defs[j] = (peil_column_def){"discarded", PEIL_BOOL, 0, NULL}, cols[j] = disc, own[j++] = disc;
    defs[j] = (peil_column_def){"weight", PEIL_FLOAT64, 0, NULL}, cols[j++] = r->weight;
    defs[j] = (peil_column_def){"subclass", PEIL_INT64, 0, NULL}, cols[j] = sub, own[j++] = sub;
  }
  /* The formula's variables (a factor as a categorical column with its
   * levels) and the outcomes, under their labels. */
  for (size_t v = 0; !rc && v < d->nvars; v++) {
    const peil_match_var *mv = &d->vars[v];
    if (mv->is_factor) defs[j] = (peil_column_def){mv->name, PEIL_ENUM, mv->nlevels, (const char *const *)mv->levels}, cols[j++] = mv->code;
    else defs[j] = (peil_column_def){mv->name, PEIL_FLOAT64, 0, NULL}, cols[j++] = mv->x;
  }
  for (size_t k = 0; !rc && k < d->nout; k++)
    defs[j] = (peil_column_def){d->outcome_name[k], PEIL_FLOAT64, 0, NULL}, cols[j++] = d->outcome[k];
  /* A label that is no valid column name (log(x), a:b) or repeats one
   * is left out, with a note. */
  size_t kept = 0;
  for (size_t a = 0; !rc && a < j; a++) {
    int dup = !peil_store_valid_name(defs[a].name) || strchr(defs[a].name, '(') != NULL;
    for (size_t b = 0; b < kept && !dup; b++) dup = strcmp(defs[b].name, defs[a].name) == 0;
    if (dup) {
      cli_note("note: column '%s' is not written to the matched sample (not a plain column name, or twice)", defs[a].name);
      continue;
    }
    defs[kept] = defs[a], cols[kept++] = cols[a];
  }
  if (!rc) rc = peil_table_write(s, "matched", defs, kept, cols, n);
  for (size_t a = 0; own && a < nc; a++) free(own[a]);
  free(defs), free(cols), free(own);
  return rc;
}

static int write_pairs(peil_store *s, const match_report *m) {
  const peil_match_result *r = m->r;
  size_t n = r->n_treated * r->ratio;
  int64_t *t = peil_alloc_large(n, sizeof *t), *k = peil_alloc_large(n, sizeof *k);
  int64_t *c = peil_alloc_large(n, sizeof *c);
  int rc = t && k && c ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t q = 0; !rc && q < n; q++) {
    t[q] = m->d->row[r->treated_unit[q / r->ratio]];
    k[q] = (int64_t)(q % r->ratio) + 1;
    c[q] = r->pairs[q] < 0 ? PEIL_NA_INT64 : m->d->row[r->pairs[q]];
  }
  peil_column_def defs[3] = {{r->estimand == PEIL_ATC ? "control_row" : "treated_row", PEIL_INT64, 0, NULL},
                             {"k", PEIL_INT64, 0, NULL},
                             {r->estimand == PEIL_ATC ? "treated_row" : "control_row", PEIL_INT64, 0, NULL}};
  const void *data[3] = {t, k, c};
  if (!rc) rc = peil_table_write(s, "pairs", defs, 3, data, n);
  free(t), free(k), free(c);
  return rc;
}

int match_write_sample(const char *path, const match_report *m) {
  peil_store *s = NULL;
  int rc = peil_store_open(path, PEIL_STORE_CREATE, &s);
  if (!rc) rc = write_units(s, m);
  if (!rc && m->r->pairs) rc = write_pairs(s, m);
  if (!rc) rc = peil_store_set_attr_str(s, "matched", "description",
                                        "peil match: every unit with its matching weight, subclass and distance; "
                                        "row is the unit's row in the input table (0-based)");
  if (!rc) rc = peil_store_set_attr_str(s, "matched", "formula", m->load->formula);
  if (!rc) rc = peil_store_commit(s);
  peil_store_close(s);
  return rc;
}

int match_write_svg(const char *path, const match_report *m, int trajectory) {
  peil_atomic_file *f = NULL;
  int rc = peil_atomic_open(path, &f);
  if (rc) return rc;
  FILE *fp = peil_atomic_stream(f);
  if (trajectory) {
    const char *focal = m->r->estimand == PEIL_ATC ? "controls" : "treated";
    const char *other = m->r->estimand == PEIL_ATC ? "matched treated" : "matched controls";
    rc = peil_match_trajectory_svg(m->traj, m->ntraj, fp, "Outcomes of the treated and their matched comparison", focal, other);
  } else {
    rc = peil_match_love_plot(m->balance, fp, "Covariate balance before and after matching");
  }
  if (rc) {
    peil_atomic_abort(f);
    return rc;
  }
  return peil_atomic_commit(f);
}

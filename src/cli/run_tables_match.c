/* peil run: the tables of a [match NAME] section: the sample sizes, the
 * balance before and after matching, the outcomes' means per group (the
 * treated, all controls, the matched controls: the comparison the STiP
 * report draws with its groups VG1 and VG2), and the effects (matched, and
 * the naive and regression-adjusted differences before matching).
 *
 * A balance row of a 0/1 column (a factor's level) is a frequency table in
 * disguise: mean x n is the number of units with the level. Such a row
 * rests on the rarer side of each group (min(k, n - k)) besides the
 * group's size, so a level that 3 treated persons have is suppressed. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "run_exec.h"

/* The sizes show again as the n of balance rows, outcomes and effects (all
 * units before matching, the matched ones after) wherever no unit lacks
 * the value: such a cell is linked to the size it repeats, so that both
 * are suppressed or neither (run_tables_link). The matched treated and
 * controls are one number in 1:1 matching (the pairs): equal matched
 * sizes are linked to each other too. */
static int link_size(run_tables *out, const char *column, int64_t n, const peil_match_sizes *z, int g, int matched) {
  int64_t size = (int64_t)(matched ? z->matched[g] : z->all[g]);
  if (n != size) return PEIL_OK; /* other persons: a number of its own */
  char id[64];
  if (matched) snprintf(id, sizeof id, "size|matched|%lld", (long long)size);
  else snprintf(id, sizeof id, "size|%s|all", g ? "treated" : "control");
  return run_tables_link(out, column, id);
}

static int sizes(const run_section *s, const peil_match_balance *b, run_tables *out) {
  char title[512];
  snprintf(title, sizeof title, "%s: sample sizes", s->name);
  peil_rtable *t = NULL;
  int rc = run_tables_new(out, s, "sizes", title, &t);
  if (!rc) rc = peil_rtable_add_key(t, "group", PEIL_RTABLE_TEXT);
  static const char *const counts[] = {"all", "matched", "unmatched", "discarded"};
  for (size_t k = 0; !rc && k < 4; k++) rc = peil_rtable_add_count(t, counts[k]);
  if (!rc) rc = run_tables_column_sum(out, "all", "matched,unmatched,discarded");
  const peil_match_sizes *z = &b->sizes;
  for (int g = 1; !rc && g >= 0; g--) {
    /* No effective size: for 1:1 matching it is the matched count, which
     * secondary suppression may have hidden (the effects carry n). */
    peil_rtable_value v[5] = {PEIL_RV_TEXT(g ? "treated" : "control"), PEIL_RV_INT((int64_t)z->all[g]),
                              PEIL_RV_INT((int64_t)z->matched[g]), PEIL_RV_INT((int64_t)z->unmatched[g]),
                              PEIL_RV_INT((int64_t)z->discarded[g])};
    rc = peil_rtable_append(t, v, 5);
    if (!rc) rc = link_size(out, "all", (int64_t)z->all[g], z, g, 0);
    if (!rc) rc = link_size(out, "matched", (int64_t)z->matched[g], z, g, 1);
  }
  return rc;
}

/* The rarer side of a 0/1 column in group g: all units, or weighted. */
static int64_t rarer(const peil_match_data *d, const peil_match_result *r, size_t c, int g, int weighted) {
  double k = 0, n = 0;
  for (size_t i = 0; i < d->n; i++) {
    if (d->treat[i] != g) continue;
    double w = weighted ? r->weight[i] : 1;
    n += w, k += w * d->cov[c].x[i];
  }
  return (int64_t)llround(fmin(k, n - k));
}

static int balance(const run_section *s, const match_job *j, run_tables *out) {
  const peil_match_balance *b = j->report.balance;
  char title[512];
  snprintf(title, sizeof title, "%s: balance before and after matching", s->name);
  peil_rtable *t = NULL;
  int rc = run_tables_new(out, s, "balance", title, &t);
  static const char *const ns[] = {"n_treated", "n_control", "n_rarer_treated", "n_rarer_control",
                                   "n_rarer_treated_adj", "n_rarer_control_adj"};
  static const char *const est[] = {"mean_treated", "mean_control", "std_mean_diff", "var_ratio",
                                    "ecdf_max", "mean_treated_adj", "mean_control_adj",
                                    "std_mean_diff_adj", "var_ratio_adj", "ecdf_max_adj"};
  const char *on = "n_treated,n_control,n_rarer_treated,n_rarer_control,n_rarer_treated_adj,n_rarer_control_adj";
  if (!rc) rc = peil_rtable_add_key(t, "term", PEIL_RTABLE_TEXT);
  for (size_t k = 0; !rc && k < 6; k++) rc = peil_rtable_add_n(t, ns[k], k < 2);
  for (size_t k = 0; !rc && k < 10; k++) rc = peil_rtable_add_estimate(t, est[k], on, 4);
  const peil_match_sizes *z = &b->sizes;
  for (size_t i = 0; !rc && i < b->nrows; i++) {
    const peil_balance_row *row = &b->rows[i];
    int64_t nt = (int64_t)z->all[1], nc = (int64_t)z->all[0];
    int64_t rr[4] = {nt, nc, (int64_t)z->matched[1], (int64_t)z->matched[0]};
    if (row->binary && row->var >= 0) {
      /* the balance column of this row: d->cov in order, after the distance */
      size_t c = b->nrows - j->d->ncov <= i ? i - (b->nrows - j->d->ncov) : 0;
      for (int w = 0; w < 2; w++)
        for (int g = 1; g >= 0; g--) rr[2 * w + (1 - g)] = rarer(j->d, j->r, c, g, w);
    }
    const peil_balance_stats *a = &row->all, *m = &row->matched;
    double e[10] = {a->mean_treated, a->mean_control, a->std_mean_diff, a->var_ratio, a->ecdf_max,
                    m->mean_treated, m->mean_control, m->std_mean_diff, m->var_ratio, m->ecdf_max};
    peil_rtable_value v[17] = {PEIL_RV_TEXT(row->term), PEIL_RV_INT(nt), PEIL_RV_INT(nc), PEIL_RV_INT(rr[0]),
                               PEIL_RV_INT(rr[1]), PEIL_RV_INT(rr[2]), PEIL_RV_INT(rr[3])};
    for (size_t k = 0; k < 10; k++) v[7 + k] = run_value_real(e[k]);
    rc = peil_rtable_append(t, v, 17);
    if (!rc) rc = link_size(out, "n_treated", nt, z, 1, 0);
    if (!rc) rc = link_size(out, "n_control", nc, z, 0, 0);
  }
  if (!rc)
    rc = peil_rtable_add_note(t, "n_rarer_*: for a 0/1 column, the units in the group with the rarer value "
                              "(all units; _adj: weighted, matched); for numbers the group's size");
  if (!rc)
    rc = peil_rtable_add_note(t, "%zu of the covariate columns with |std_mean_diff_adj| > 0.1", b->n_imbalanced);
  return rc;
}

/* One row of the outcomes table: group g's units (weighted by w, or all
 * with weight 1 when w is NULL) for outcome k. */
static int outcome_row(run_tables *out, peil_rtable *t, const match_job *j, size_t k, const char *label,
                       int g, const double *w) {
  const peil_match_data *d = j->d;
  double sw = 0, swy = 0;
  int64_t n = 0, ones = 0, zeros = 0, binary = 1;
  for (size_t i = 0; i < d->n; i++) {
    double y = d->outcome[k][i], wi = w ? w[i] : 1;
    if (d->treat[i] != g || wi <= 0 || isnan(y)) continue;
    sw += wi, swy += wi * y, n++;
    if (y == 1) ones++;
    else if (y == 0) zeros++;
    else binary = 0;
  }
  peil_rtable_value v[5] = {PEIL_RV_TEXT(d->outcome_name[k]), PEIL_RV_TEXT(label), PEIL_RV_INT(n),
                            PEIL_RV_INT(binary ? (ones < zeros ? ones : zeros) : n),
                            run_value_real(sw > 0 ? swy / sw : NAN)};
  int rc = peil_rtable_append(t, v, 5);
  return rc ? rc : link_size(out, "n", n, &j->report.balance->sizes, g, w != NULL);
}

/* The outcomes' means: the treated, all controls (before matching) and the
 * matched controls (weighted). A mean of a 0/1 outcome is a count of
 * persons in disguise, so it rests on the rarer value among the group's
 * persons as well as on their number (as a balance row). */
static int outcome_means(const run_section *s, const match_job *j, run_tables *out) {
  const peil_match_data *d = j->d;
  if (!d->nout) return PEIL_OK;
  char title[512];
  snprintf(title, sizeof title, "%s: outcomes of the treated, all controls and the matched controls", s->name);
  peil_rtable *t = NULL;
  int rc = run_tables_new(out, s, "outcomes", title, &t);
  if (!rc) rc = peil_rtable_add_key(t, "outcome", PEIL_RTABLE_TEXT);
  if (!rc) rc = peil_rtable_add_key(t, "group", PEIL_RTABLE_TEXT);
  if (!rc) rc = peil_rtable_add_n(t, "n", 1);
  if (!rc) rc = peil_rtable_add_n(t, "n_rarer", 0);
  if (!rc) rc = peil_rtable_add_estimate(t, "mean", "n,n_rarer", 4);
  int focal = j->r->estimand == PEIL_ATC ? 0 : 1;
  for (size_t k = 0; !rc && k < d->nout; k++) {
    rc = outcome_row(out, t, j, k, focal ? "treated" : "control", focal, NULL);
    if (!rc) rc = outcome_row(out, t, j, k, focal ? "control, all" : "treated, all", 1 - focal, NULL);
    if (!rc) rc = outcome_row(out, t, j, k, focal ? "control, matched" : "treated, matched", 1 - focal, j->r->weight);
  }
  if (!rc)
    rc = peil_rtable_add_note(t, "n: persons with the outcome observed; mean: the share for a 0/1 outcome "
                              "(matched: weighted by the matching weights); n_rarer: for a 0/1 outcome, "
                              "the persons with the rarer value, else n");
  return rc;
}

static int effect_rows(run_tables *out, peil_rtable *t, const match_job *j, const peil_match_effects *e,
                       const char *sample) {
  int rc = PEIL_OK, matched = !strcmp(sample, "matched");
  const peil_match_sizes *z = &j->report.balance->sizes;
  for (size_t i = 0; !rc && e && i < e->nrows; i++) {
    const peil_effect_row *r = &e->rows[i];
    peil_rtable_value v[13] = {PEIL_RV_TEXT(r->outcome), PEIL_RV_TEXT(sample),
                               PEIL_RV_TEXT(match_report_estimator_name(r->estimator)),
                               PEIL_RV_TEXT(r->quantity ? r->quantity : "effect"),
                               PEIL_RV_TEXT(match_report_se_name(r->se)),
                               PEIL_RV_INT(r->n_treated), PEIL_RV_INT(r->n_control)};
    run_values_tidy(v + 7, r->estimate, r->std_error, r->statistic, r->p_value, r->conf_low, r->conf_high);
    rc = peil_rtable_append(t, v, 13);
    if (!rc && (matched || !strcmp(sample, "before matching"))) {
      rc = link_size(out, "n_treated", r->n_treated, z, 1, matched);
      if (!rc) rc = link_size(out, "n_control", r->n_control, z, 0, matched);
    }
  }
  return rc;
}

static int effects(const run_section *s, const match_job *j, run_tables *out) {
  const match_report *m = &j->report;
  if (!m->effects) return PEIL_OK;
  char title[512];
  snprintf(title, sizeof title, "%s: effects (%s)", s->name,
           j->match.estimand == PEIL_ATE ? "ATE" : j->match.estimand == PEIL_ATC ? "ATC" : "ATT");
  peil_rtable *t = NULL;
  int rc = run_tables_new(out, s, "effects", title, &t);
  static const char *const keys[] = {"outcome", "sample", "estimator", "quantity", "std_error_type"};
  for (size_t k = 0; !rc && k < 5; k++) rc = peil_rtable_add_key(t, keys[k], PEIL_RTABLE_TEXT);
  if (!rc) rc = peil_rtable_add_n(t, "n_treated", 1);
  if (!rc) rc = peil_rtable_add_n(t, "n_control", 1);
  if (!rc) rc = run_tables_add_tidy(t, "n_treated,n_control");
  if (!rc) rc = effect_rows(out, t, j, m->effects, "matched");
  if (!rc) rc = effect_rows(out, t, j, m->before, "before matching");
  if (!rc) rc = effect_rows(out, t, j, m->weighted, "weighting");
  return rc;
}

int run_tables_match(const run_section *s, const match_job *j, run_tables *out) {
  out->rows_read = j->d->n_read, out->rows_used = (int64_t)j->d->n;
  int rc = sizes(s, j->report.balance, out);
  if (!rc) rc = balance(s, j, out);
  if (!rc) rc = outcome_means(s, j, out);
  if (!rc) rc = effects(s, j, out);
  return rc;
}

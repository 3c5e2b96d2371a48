/* peil run: the tables of a regression section: coefficients (broom's
 * tidy()), and with margins = COL the adjusted means per level and their
 * differences to the reference level, and with ame the average marginal
 * effects. Every estimate rests on the rows it was computed from. */
#include <math.h>
#include <string.h>

#include "cli.h"
#include "run_exec.h"

/* term, n, and the six estimates resting on n. */
static int effect_table(run_tables *out, const run_section *s, const char *part, const char *title,
                        const peil_glm_row *rows, size_t nrows, int64_t n_all, int exponentiate) {
  peil_rtable *t = NULL;
  int rc = run_tables_new(out, s, part, title, &t);
  if (!rc) rc = peil_rtable_add_key(t, "term", PEIL_RTABLE_TEXT);
  if (!rc) rc = peil_rtable_add_n(t, "n", 0);
  if (!rc) rc = run_tables_add_tidy(t, "n");
  for (size_t i = 0; !rc && i < nrows; i++) {
    const peil_glm_row *r = &rows[i];
    double est = r->estimate, lo = r->conf_low, hi = r->conf_high;
    if (exponentiate) est = exp(est), lo = exp(lo), hi = exp(hi); /* std_error stays: broom */
    peil_rtable_value row[8] = {PEIL_RV_TEXT(r->term), PEIL_RV_INT(r->n > 0 ? r->n : n_all)};
    run_values_tidy(row + 2, est, r->std_error, r->statistic, r->p_value, lo, hi);
    rc = peil_rtable_append(t, row, 8);
  }
  return rc;
}

int run_tables_glm(const run_section *s, const peil_glm *g, run_tables *out) {
  const glm_args *a = &s->glm;
  int expo = a->report.exponentiate;
  char title[512];
  snprintf(title, sizeof title, "%s: %s (%s, %s link)%s", s->name, g->formula, g->family->family_name,
           g->family->link_name, expo ? ", exponentiated" : "");
  out->rows_read = g->n_read, out->rows_used = g->n_used;
  int rc = effect_table(out, s, NULL, title, g->coef, g->ncoef, g->n_used, expo);
  if (!rc) {
    peil_rtable *t = out->v[out->n - 1].table;
    const char *se = g->nclusters ? "cluster-robust (CR1)"
                     : g->vcov == PEIL_VCOV_HC0 ? "HC0" : g->vcov == PEIL_VCOV_HC1 ? "HC1"
                     : g->vcov == PEIL_VCOV_HC3 ? "HC3" : "model-based";
    rc = peil_rtable_add_note(t, "%lld rows used of %lld read; standard errors %s%s%s; %s",
                              (long long)g->n_used, (long long)g->n_read, se,
                              g->nclusters ? ", clusters: " : "", g->nclusters ? g->cluster : "",
                              g->t_stat ? "t statistics" : "z statistics");
    if (!rc && expo)
      rc = peil_rtable_add_note(t, "estimate, conf_low and conf_high exponentiated (odds or rate ratios); "
                                "std_error, statistic and p_value on the model's scale (as broom's tidy())");
    for (size_t i = 0; !rc && i < g->nwarnings; i++) rc = peil_rtable_add_note(t, "warning: %s", g->warnings[i]);
  }
  if (!rc && g->nmargins) {
    snprintf(title, sizeof title, "%s: adjusted means by %s (marginal standardisation)", s->name, g->margins);
    rc = effect_table(out, s, "margins", title, g->margin, g->nmargins, g->n_used, 0);
    if (!rc && g->ndiffs) {
      snprintf(title, sizeof title, "%s: differences to %s = %s", s->name, g->margins, g->margins_ref);
      rc = effect_table(out, s, "margins_diff", title, g->diff, g->ndiffs, g->n_used, 0);
    }
  }
  if (!rc && g->n_ame) {
    snprintf(title, sizeof title, "%s: average marginal effects", s->name);
    rc = effect_table(out, s, "ame", title, g->ame, g->n_ame, g->n_used, 0);
  }
  return rc;
}

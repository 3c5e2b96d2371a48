/* peil run: the tables of a [test NAME] section: the test (statistic,
 * p-value, interval) in NAME, and the groups it compares in NAME_groups.
 * The test rests on its smallest group and, for counts, its smallest cell
 * (successes or failures of a group, a cell of the table): a test that
 * would show a result on 4 persons is suppressed. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "run_exec.h"

int run_tables_test(const run_section *s, const peil_stats_data *data, const peil_test_result *r,
                    run_tables *out) {
  double n_min = INFINITY, cell_min = INFINITY;
  for (size_t g = 0; g < r->ngroups; g++) {
    n_min = fmin(n_min, r->n[g]);
    if (r->x && !isnan(r->x[g])) cell_min = fmin(cell_min, fmin(r->x[g], r->n[g] - r->x[g]));
  }
  for (size_t i = 0; r->observed && i < r->nrow * r->ncol; i++) cell_min = fmin(cell_min, r->observed[i]);
  if (!isfinite(n_min)) n_min = r->n_total;
  if (!isfinite(cell_min)) cell_min = n_min;
  char title[512];
  snprintf(title, sizeof title, "%s: %s", s->name, r->method);
  peil_rtable *t = NULL;
  int rc = run_tables_new(out, s, NULL, title, &t);
  if (!rc) rc = peil_rtable_add_key(t, "method", PEIL_RTABLE_TEXT);
  if (!rc) rc = peil_rtable_add_n(t, "n", 1);
  if (!rc) rc = peil_rtable_add_n(t, "n_smallest_group", 1);
  if (!rc) rc = peil_rtable_add_n(t, "n_smallest_cell", 1);
  const char *on = "n_smallest_group,n_smallest_cell";
  static const char *const est[] = {"statistic", "parameter", "p_value", "estimate", "conf_low", "conf_high"};
  for (size_t k = 0; !rc && k < 6; k++) rc = peil_rtable_add_estimate(t, est[k], on, 4);
  if (!rc) {
    double e = !isnan(r->difference) ? r->difference : r->nestimate ? r->estimate[0] : NAN;
    peil_rtable_value v[10] = {PEIL_RV_TEXT(r->method), PEIL_RV_INT((int64_t)r->n_total),
                               PEIL_RV_INT((int64_t)n_min), PEIL_RV_INT((int64_t)cell_min),
                               run_value_real(r->statistic), run_value_real(r->parameter), run_value_real(r->p_value),
                               run_value_real(e), run_value_real(r->conf_low), run_value_real(r->conf_high)};
    rc = peil_rtable_append(t, v, 10);
  }
  if (!rc && r->statistic_name)
    rc = peil_rtable_add_note(t, "statistic: %s%s%s; estimate: %s", r->statistic_name,
                              r->parameter_name ? "; parameter: " : "", r->parameter_name ? r->parameter_name : "",
                              !isnan(r->difference) ? "the difference of the two groups"
                              : r->nestimate ? r->estimate_name[0] : "none");
  for (size_t i = 0; !rc && i < r->nwarnings; i++) rc = peil_rtable_add_note(t, "warning: %s", r->warnings[i]);
  if (!rc && !isnan(r->conf_level))
    rc = peil_rtable_add_note(t, "%.0f%% confidence interval", 100 * r->conf_level);
  if (rc || !r->ngroups || r->observed) return rc;
  /* The groups: their sizes, successes and shares, or means. */
  snprintf(title, sizeof title, "%s: groups", s->name);
  rc = run_tables_new(out, s, "groups", title, &t);
  int counts = r->x && !isnan(r->x[0]);
  if (!rc) rc = peil_rtable_add_key(t, "group", PEIL_RTABLE_TEXT);
  if (!rc) rc = peil_rtable_add_count(t, "n");
  if (!rc && counts) rc = peil_rtable_add_count(t, "successes");
  if (!rc && counts) rc = peil_rtable_add_share(t, "pct", "successes", "n", 100, 1);
  if (!rc && !counts) rc = peil_rtable_add_estimate(t, "estimate", "n", 4);
  for (size_t g = 0; !rc && g < r->ngroups; g++) {
    char lab[64];
    snprintf(lab, sizeof lab, "%zu", g + 1);
    const char *name = data && g < data->ngroups ? data->level[g] : lab;
    peil_rtable_value v[4] = {PEIL_RV_TEXT(name), PEIL_RV_INT((int64_t)r->n[g])};
    if (counts) v[2] = PEIL_RV_INT((int64_t)r->x[g]), v[3] = PEIL_RV_NA;
    else v[2] = g < r->nestimate ? run_value_real(r->estimate[g]) : PEIL_RV_NA;
    rc = peil_rtable_append(t, v, counts ? 4 : 3);
  }
  return rc;
}

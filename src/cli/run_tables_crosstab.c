/* peil run: the table of a [table NAME] section, in long form: one row per
 * cell and margin ("Total"), the count, its share of the row's total (of
 * the whole table for a one-way table), and with value = ... the mean per
 * cell. The counts add up over both dimensions, which is the structure
 * secondary suppression protects. A row's total repeats on every cell of
 * the row as the share's denominator (n_row, n_total), and n_value is the
 * cell's count when no value is missing: such cells are linked to the
 * count they repeat, and suppressed with it (run_tables_link). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "run_exec.h"

#define TOTAL "Total"

int run_tables_crosstab(const run_section *s, const peil_crosstab *x, run_tables *out) {
  int twoway = x->cols_name != NULL, value = x->value_text != NULL;
  char title[512];
  if (s->title) snprintf(title, sizeof title, "%s", s->title);
  else if (twoway) snprintf(title, sizeof title, "%s by %s and %s", value ? x->value_text : "Counts", x->rows_name, x->cols_name);
  else snprintf(title, sizeof title, "%s by %s", value ? x->value_text : "Counts", x->rows_name);
  peil_rtable *t = NULL;
  int rc = run_tables_new(out, s, NULL, title, &t);
  if (rc) return rc;
  rc = run_tables_dimension(out, x->rows_name);
  if (!rc && twoway) rc = run_tables_dimension(out, x->cols_name);
  const char *denom = twoway ? "n_row" : "n_total";
  if (!rc) rc = peil_rtable_add_key(t, x->rows_name, PEIL_RTABLE_TEXT);
  if (!rc && twoway) rc = peil_rtable_add_key(t, x->cols_name, PEIL_RTABLE_TEXT);
  if (!rc) rc = peil_rtable_add_count(t, "n");
  if (!rc) rc = peil_rtable_add_n(t, denom, 1);
  if (!rc) rc = peil_rtable_add_share(t, "pct", "n", denom, 100, 1);
  /* A 0/1 value's mean is a share: its sum is a count of persons, as
   * small as any other cell (4 in work of 70 must not be published). */
  int share = value && x->binary;
  /* persons with a value per cell: a count (it adds up like n) */
  if (!rc && value) rc = peil_rtable_add_count(t, "n_value");
  if (!rc && share) rc = peil_rtable_add_count(t, "with_value");
  /* the persons without it are a cell too (27 of 29 tells 2) */
  if (!rc && share) rc = peil_rtable_add_count(t, "without_value");
  if (!rc && share) rc = run_tables_column_sum(out, "n_value", "with_value,without_value");
  if (!rc && share) rc = peil_rtable_add_share(t, "pct_value", "with_value", "n_value", 100, 1);
  if (!rc && value && !share) rc = peil_rtable_add_estimate(t, "mean", "n_value", 4);
  size_t nc = twoway ? x->ncols : 0;
  for (size_t r = 0; !rc && r <= x->nrows; r++)
    for (size_t c = 0; !rc && c <= nc; c++) {
      size_t col = twoway ? c : 0; /* one-way: the count is in column 0 */
      size_t k = peil_crosstab_cell(x, r, col);
      peil_rtable_value v[9];
      size_t m = 0;
      v[m++] = PEIL_RV_TEXT(r < x->nrows ? x->row_labels[r] : TOTAL);
      if (twoway) v[m++] = PEIL_RV_TEXT(c < x->ncols ? x->col_labels[c] : TOTAL);
      v[m++] = PEIL_RV_INT(x->n[k]);
      v[m++] = PEIL_RV_INT(twoway ? x->n[peil_crosstab_cell(x, r, x->ncols)]
                                  : x->n[peil_crosstab_cell(x, x->nrows, 0)]);
      v[m++] = PEIL_RV_NA; /* the share: computed from the unrounded counts */
      if (value) v[m++] = PEIL_RV_INT(x->n_value[k]);
      if (share) {
        v[m++] = PEIL_RV_INT((int64_t)x->sum[k]);
        v[m++] = PEIL_RV_INT(x->n_value[k] - (int64_t)x->sum[k]);
        v[m++] = PEIL_RV_NA;
      } else if (value) {
        v[m++] = run_value_real(peil_crosstab_mean(x, r, col));
      }
      rc = peil_rtable_append(t, v, m);
      /* the ids: "n|ROW|COL" by label, "Total" for a margin */
      const char *rl = r < x->nrows ? x->row_labels[r] : TOTAL;
      const char *cl = twoway ? (c < x->ncols ? x->col_labels[c] : TOTAL) : TOTAL;
      char id[1024];
      snprintf(id, sizeof id, "n|%s|%s", rl, cl);
      if (!rc) rc = run_tables_link(out, "n", id);
      if (!rc && value) {
        if (x->n_value[k] != x->n[k]) snprintf(id, sizeof id, "n_value|%s|%s", rl, cl);
        rc = run_tables_link(out, "n_value", id);
      }
      snprintf(id, sizeof id, "n|%s|%s", twoway ? rl : TOTAL, TOTAL);
      if (!rc) rc = run_tables_link(out, denom, id);
    }
  if (!rc)
    rc = peil_rtable_add_note(t, "%lld rows read, %lld filtered out, %lld with a missing %s%s%s",
                              (long long)x->n_read, (long long)x->n_filtered, (long long)x->n_missing,
                              x->rows_name, twoway ? " or " : "", twoway ? x->cols_name : "");
  if (!rc && share)
    rc = peil_rtable_add_note(t, "with_value: rows where %s is 1, of the n_value where it is not missing; "
                              "the totals are the shares over the margin (the n-weighted shares of its cells)",
                              x->value_text);
  else if (!rc && value)
    rc = peil_rtable_add_note(t, "mean: of %s over the rows where it is not missing (n_value); the totals "
                              "are the means over the margin, the n-weighted means of its cells", x->value_text);
  out->rows_read = x->n_read;
  out->rows_used = x->n[peil_crosstab_cell(x, x->nrows, twoway ? x->ncols : 0)];
  return rc;
}

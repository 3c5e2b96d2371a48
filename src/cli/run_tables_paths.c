/* peil run: a cohort's paths through three moments (state.NAME,
 * transitions = 0, 13, 24): NAME_paths, and NAME_paths_by_S per stratum.
 *
 * A path's count is a part of the matrix between any two of the moments
 * and of the distribution at each moment: paths and matrices are one
 * three-way table (state at each moment, per cell). Published apart, a
 * suppressed path would come back as its matrix cell minus the published
 * paths through it, so this table holds the cube with all its margins and
 * the matrices are not published again (NAME_transitions is written for
 * two moments only).
 *
 * Layout: a row per state at the first and at the second moment ("Total":
 * any state), a count per state at the third moment (n_STATE) and their
 * sum n. Every count is one cell of the cube, so the structure is all
 * declared: the first two moments are dimensions, the third a column sum,
 * a stratum's levels with their Total (the stratum "all") a third
 * dimension and the reference dates with "pooled" a fourth. The shares
 * are of the row's n, in the same row. A share of another row's count (a
 * path's share of the cell's total) would need that total as an n column
 * on every row, and when secondary suppression hides the total as a count
 * (one level's total protecting another's) that column would still
 * publish it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run_exec.h"

#define TOTAL "Total"

/* The paths of cell `all` (stratum "all") at level lv of stratum st as a
 * dense cube v[a][b][c] of S^3 counts; 1 when the cell has a level entry. */
static int cube(const peil_cohort_result *r, const peil_cohort_pop *all, size_t st, size_t lv, int64_t *v) {
  size_t S = r->nstates;
  memset(v, 0, S * S * S * sizeof *v);
  int found = 0;
  for (size_t i = 0; i < r->npop && !found; i++) {
    const peil_cohort_pop *p = &r->pop[i];
    found = p->subset == all->subset && p->date == all->date && p->group == all->group && p->stratum == st &&
            p->level == lv;
  }
  for (size_t i = 0; found && i < r->npaths; i++) {
    const peil_cohort_path *p = &r->paths[i];
    if (p->subset == all->subset && p->date == all->date && p->group == all->group && p->stratum == st &&
        p->level == lv)
      v[(p->state[0] * S + p->state[1]) * S + p->state[2]] += p->n;
  }
  return found;
}

/* The (S + 1)^2 rows of one cube: states a and b at the first two moments
 * (S: Total), the counts at the third and their sum. */
static int rows(peil_rtable *t, const peil_cohort_result *r, const peil_cohort_pop *all, const char *level,
                const int64_t *v, peil_rtable_value *buf) {
  size_t S = r->nstates;
  char day[16];
  run_cohort_date(all->date, day);
  int rc = PEIL_OK;
  for (size_t a = 0; !rc && a <= S; a++)
    for (size_t b = 0; !rc && b <= S; b++) {
      size_t m = 0;
      buf[m++] = PEIL_RV_TEXT(r->subsets[all->subset]);
      buf[m++] = PEIL_RV_TEXT(day);
      buf[m++] = PEIL_RV_TEXT(r->groups[all->group]);
      if (level) buf[m++] = PEIL_RV_TEXT(level);
      buf[m++] = PEIL_RV_TEXT(a < S ? r->states[a] : TOTAL);
      buf[m++] = PEIL_RV_TEXT(b < S ? r->states[b] : TOTAL);
      size_t ncol = m++; /* n, once its parts are known */
      int64_t n = 0;
      for (size_t c = 0; c < S; c++) {
        int64_t x = 0;
        for (size_t i = 0; i < S; i++)
          for (size_t j = 0; j < S; j++)
            if ((a == S || a == i) && (b == S || b == j)) x += v[(i * S + j) * S + c];
        buf[m++] = PEIL_RV_INT(x);
        n += x;
      }
      buf[ncol] = PEIL_RV_INT(n);
      for (size_t c = 0; c < S; c++) buf[m++] = PEIL_RV_NA; /* the shares, from the unrounded counts */
      rc = peil_rtable_append(t, buf, m);
    }
  return rc;
}

/* The columns: keys, n, n_STATE..., pct_STATE...; the structure. */
static int columns(run_tables *out, peil_rtable *t, const peil_cohort_result *r, size_t st) {
  char at[2][32], name[300], *parts = NULL;
  size_t len = 0;
  for (size_t k = 0; k < 2; k++) snprintf(at[k], sizeof at[k], "at_%d", r->moments[k]);
  int rc = run_cohort_keys(t);
  if (!rc && st) rc = peil_rtable_add_key(t, r->strata[st].name, PEIL_RTABLE_TEXT);
  for (size_t k = 0; !rc && k < 2; k++) rc = peil_rtable_add_key(t, at[k], PEIL_RTABLE_TEXT);
  if (!rc) rc = peil_rtable_add_count(t, "n");
  for (size_t c = 0; !rc && c < r->nstates; c++) {
    snprintf(name, sizeof name, "n_%s", r->states[c]);
    rc = peil_rtable_add_count(t, name);
    char *p = rc ? NULL : realloc(parts, len + strlen(name) + 2);
    if (!rc && !p) rc = peil_error(PEIL_ENOMEM, "out of memory");
    if (!rc) len += (size_t)sprintf(p + len, "%s%s", c ? "," : "", name), parts = p;
  }
  for (size_t c = 0; !rc && c < r->nstates; c++) {
    char count[300];
    snprintf(count, sizeof count, "n_%s", r->states[c]);
    snprintf(name, sizeof name, "pct_%s", r->states[c]);
    rc = peil_rtable_add_share(t, name, count, "n", 100, 1);
  }
  if (!rc) rc = run_tables_dimension_total(out, "date", POOLED);
  if (!rc && st) rc = run_tables_dimension(out, r->strata[st].name);
  for (size_t k = 0; !rc && k < 2; k++) rc = run_tables_dimension(out, at[k]);
  if (!rc) rc = run_tables_column_sum(out, "n", parts);
  free(parts);
  return rc;
}

int run_tables_paths(const run_section *s, const peil_cohort_result *r, size_t st, run_tables *out) {
  char part[300], title[512];
  const char *by = r->strata[st].name;
  snprintf(part, sizeof part, st ? "paths_by_%s" : "paths", by);
  snprintf(title, sizeof title, "%s: paths through the states at months %d, %d and %d%s%s", s->name, r->moments[0],
           r->moments[1], r->moments[2], st ? ", by " : "", st ? by : "");
  peil_rtable *t = NULL;
  int rc = run_tables_new(out, s, part, title, &t);
  if (!rc) rc = columns(out, t, r, st);
  size_t S = r->nstates, S3 = S * S * S;
  int64_t *all = malloc(3 * S3 * sizeof *all), *lv = all + S3, *rest = lv + S3;
  peil_rtable_value *buf = malloc((7 + 2 * S) * sizeof *buf);
  if (!rc && (!all || !buf)) rc = peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < r->npop; i++) {
    const peil_cohort_pop *p = &r->pop[i];
    if (p->stratum != 0) continue;
    cube(r, p, 0, 0, all);
    if (!st) {
      rc = rows(t, r, p, NULL, all, buf);
      continue;
    }
    /* The levels, "unknown" for what they leave of the whole (none when
     * every member has a level: "(missing)" is a level), then the Total. */
    memcpy(rest, all, S3 * sizeof *rest);
    for (size_t l = 0; !rc && l < (size_t)r->strata[st].nlevels; l++) {
      if (!cube(r, p, st, l, lv)) continue;
      for (size_t k = 0; k < S3; k++) rest[k] -= lv[k];
      rc = rows(t, r, p, r->strata[st].levels[l], lv, buf);
    }
    int any = 0;
    for (size_t k = 0; k < S3; k++) any |= rest[k] != 0;
    if (!rc && any) rc = rows(t, r, p, "unknown", rest, buf);
    if (!rc) rc = rows(t, r, p, TOTAL, all, buf);
  }
  free(all), free(buf);
  if (!rc)
    rc = peil_rtable_add_note(t, "rows: the state at month %d and at month %d (Total: any); n: the person-dates "
                              "observed at all three moments; n_STATE: of them, in STATE at month %d; pct_STATE: "
                              "its share of the row's n. The matrices between two moments are the rows and "
                              "columns with a Total",
                              r->moments[0], r->moments[1], r->moments[2]);
  return rc;
}

/* peil run: a cohort's co-occurrences (cooccur.NAME): NAME_cooccur.
 *
 * Of the person-dates with level a of the column, n_ab also have level b.
 * n_ab <= n_a, and the n_ab of one a do not add up over b (a person has
 * several provisions): no sums a table could declare. What a reader can
 * compute is n_a - n_ab, the persons with a but without b, and when that
 * is small (97 of 100 with a also have b) publishing n_a and n_ab gives
 * those 3 away. So a row is the 2 x 2 table of one pair {a, b} (a before
 * b in the column's order; the diagonal, a = b, gives n_a), with all of
 * its counts:
 *
 *     n_a = n_ab + n_a_not_b        n_b = n_ab + n_b_not_a
 *
 * declared as two column sums. Primary suppression sees n_a_not_b and
 * n_b_not_a as the counts they are; secondary suppression hides a partner
 * in the row (n_ab when n_a_not_b is small, and then n_b_not_a so that
 * n_b does not give n_ab back); a share is suppressed with its count or
 * denominator. A pair is one row, not two ((a, b) and (b, a)), so n_ab,
 * which both directions share, is published or suppressed once. n_a
 * stands in every row of a pair with a, but only as a total, and a total
 * is a secondary partner only in a group without an unsuppressed part:
 * never here, where the two parts protect each other first. So n_a is
 * suppressed in all its rows or in none (when it is small itself), and
 * the rows are otherwise unrelated; n_a and n_b are linked across the
 * rows all the same (run_tables_link), so that this holds by construction.
 *
 * A breakdown would relate them: by stratum level or reference date the
 * counts add up to the whole, and n_a would become a part that secondary
 * suppression hides in one row and not in another. The table therefore
 * holds the whole population of each subset and group, pooled over the
 * dates (peil cohort --json has the breakdowns, inside the secure
 * environment). Not protected either: the persons with neither a nor b,
 * N - n_a - n_b + n_ab with N from NAME_population (tables are controlled
 * one at a time; docs/disclosure.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run_exec.h"

static int columns(run_tables *out, peil_rtable *t) {
  static const char *const keys[] = {"cooccurrence", "a", "b"};
  static const char *const counts[] = {"n_a", "n_b", "n_ab", "n_a_not_b", "n_b_not_a"};
  int rc = run_cohort_keys(t);
  for (size_t k = 0; !rc && k < 3; k++) rc = peil_rtable_add_key(t, keys[k], PEIL_RTABLE_TEXT);
  for (size_t k = 0; !rc && k < 5; k++) rc = peil_rtable_add_count(t, counts[k]);
  if (!rc) rc = peil_rtable_add_share(t, "pct_of_a", "n_ab", "n_a", 100, 1);
  if (!rc) rc = peil_rtable_add_share(t, "pct_of_b", "n_ab", "n_b", 100, 1);
  if (!rc) rc = run_tables_column_sum(out, "n_a", "n_ab,n_a_not_b");
  if (!rc) rc = run_tables_column_sum(out, "n_b", "n_ab,n_b_not_a");
  return rc;
}

/* The pairs of co-occurrence k in cell p (pooled, stratum "all"); m is a
 * C x C scratch matrix. */
static int pairs(run_tables *out, peil_rtable *t, const peil_cohort_result *r, size_t k, const peil_cohort_pop *p,
                 int64_t *m) {
  const peil_cohort_cooccurrence *co = &r->cooccurrences[k];
  size_t C = co->nlevels;
  memset(m, 0, C * C * sizeof *m);
  for (size_t i = 0; i < r->ncooc_cells; i++) {
    const peil_cohort_cooc_cell *c = &r->cooc_cells[i];
    if (c->cooccurrence == k && c->subset == p->subset && c->date == p->date && c->group == p->group &&
        c->stratum == 0)
      m[c->a * C + c->b] = c->n_ab;
  }
  int rc = PEIL_OK;
  for (size_t a = 0; !rc && a < C; a++)
    for (size_t b = a; !rc && b < C; b++) {
      int64_t na = m[a * C + a], nb = m[b * C + b], nab = m[a * C + b];
      peil_rtable_value v[13] = {PEIL_RV_TEXT(r->subsets[p->subset]), PEIL_RV_TEXT(POOLED),
                                 PEIL_RV_TEXT(r->groups[p->group]), PEIL_RV_TEXT(co->name),
                                 PEIL_RV_TEXT(co->levels[a]), PEIL_RV_TEXT(co->levels[b]), PEIL_RV_INT(na),
                                 PEIL_RV_INT(nb), PEIL_RV_INT(nab), PEIL_RV_INT(na - nab), PEIL_RV_INT(nb - nab),
                                 PEIL_RV_NA, PEIL_RV_NA};
      rc = peil_rtable_append(t, v, 13);
      char id[700];
      for (int side = 0; !rc && side < 2; side++) {
        snprintf(id, sizeof id, "co|%zu|%s|%s|%s", k, r->subsets[p->subset], r->groups[p->group],
                 co->levels[side ? b : a]);
        rc = run_tables_link(out, side ? "n_b" : "n_a", id);
        if (!rc && a == b && side) rc = run_tables_link(out, "n_ab", id); /* the diagonal: n_ab is n_a */
      }
    }
  return rc;
}

int run_tables_cooccur(const run_section *s, const peil_cohort_result *r, run_tables *out) {
  if (!r->ncooccurrences) return PEIL_OK;
  char title[512];
  snprintf(title, sizeof title, "%s: co-occurrence (of those with a, the share with b, and of those with b, with a)",
           s->name);
  peil_rtable *t = NULL;
  int rc = run_tables_new(out, s, "cooccur", title, &t);
  if (!rc) rc = columns(out, t);
  size_t cmax = 1;
  for (size_t k = 0; k < r->ncooccurrences; k++)
    if (r->cooccurrences[k].nlevels > cmax) cmax = r->cooccurrences[k].nlevels;
  int64_t *m = malloc(cmax * cmax * sizeof *m);
  if (!rc && !m) rc = peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t k = 0; !rc && k < r->ncooccurrences; k++)
    for (size_t i = 0; !rc && i < r->npop; i++)
      if (r->pop[i].stratum == 0 && r->pop[i].date == PEIL_NA_DATE) rc = pairs(out, t, r, k, &r->pop[i], m);
  free(m);
  for (size_t k = 0; !rc && k < r->ncooccurrences; k++)
    rc = peil_rtable_add_note(t, "%s: %s", r->cooccurrences[k].name, r->cooccurrences[k].definition);
  if (!rc)
    rc = peil_rtable_add_note(t, "a row is a pair of levels (a = b: those with a); n_a_not_b: with a, without b. "
                              "The whole population of each subset and group, pooled over the dates: by stratum "
                              "or date the rows would add up, which this layout cannot protect");
  return rc;
}

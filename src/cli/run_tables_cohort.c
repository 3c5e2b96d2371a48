/* peil run: the tables of a [cohort NAME] section.
 *
 *   NAME_population[_by_S]  person-dates per subset, date, group (and level
 *                           of stratum S, with its "Total")
 *   NAME_outcomes[_by_S]    0/1 outcomes: the population, observed,
 *                           censored, with and without the outcome, and
 *                           the share (of the observed)
 *   NAME_means[_by_S]       count outcomes (months in a state): the mean
 *   NAME_corrected          adjusted shares and differences to the
 *                           reference group (lpm, logit)
 *   NAME_transitions        state at one moment by state at the next (two
 *                           moments)
 *   NAME_paths[_by_S]       three moments: the paths with every margin
 *                           (run_tables_paths.c)
 *   NAME_cooccur            co-occurrences (run_tables_cooccur.c)
 *
 * A stratum's levels add up to its "Total" (the stratum "all"); persons
 * whose level is unknown are a level "unknown" of their own, so that the
 * counts add up and secondary suppression can protect them. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "run_exec.h"

#define TOTAL "Total"

void run_cohort_date(int32_t d, char buf[16]) {
  if (d == PEIL_NA_DATE) snprintf(buf, 16, POOLED);
  else peil_date_format(d, buf);
}

int run_cohort_keys(peil_rtable *t) {
  int rc = peil_rtable_add_key(t, "subset", PEIL_RTABLE_TEXT);
  if (!rc) rc = peil_rtable_add_key(t, "date", PEIL_RTABLE_TEXT);
  if (!rc) rc = peil_rtable_add_key(t, "group", PEIL_RTABLE_TEXT);
  return rc;
}

static const peil_cohort_pop *find_pop(const peil_cohort_result *r, const peil_cohort_pop *like,
                                       size_t st, size_t lv) {
  for (size_t i = 0; i < r->npop; i++) {
    const peil_cohort_pop *p = &r->pop[i];
    if (p->subset == like->subset && p->date == like->date && p->group == like->group &&
        p->stratum == st && p->level == lv)
      return p;
  }
  return NULL;
}

static const peil_cohort_cell *find_cell(const peil_cohort_result *r, const peil_cohort_cell *like,
                                         size_t st, size_t lv) {
  for (size_t i = 0; i < r->ncells; i++) {
    const peil_cohort_cell *c = &r->cells[i];
    if (c->subset == like->subset && c->date == like->date && c->group == like->group &&
        c->outcome == like->outcome && c->horizon == like->horizon && c->stratum == st && c->level == lv)
      return c;
  }
  return NULL;
}

/* The id of a population count (run_tables_link): the same person-dates in
 * the population tables, as their denominators, and as the population of
 * every outcome row; a stratum's Total is the unstratified count. */
static void pop_id(char *buf, size_t len, const peil_cohort_result *r, size_t subset, size_t group,
                   const char *day, size_t st, const char *level) {
  int whole = !st || !strcmp(level, TOTAL);
  snprintf(buf, len, "pop|%s|%s|%s%s%s%s%s", r->subsets[subset], day, r->groups[group],
           whole ? "" : "|", whole ? "" : r->strata[st].name, whole ? "" : "=", whole ? "" : level);
}

/* The population of stratum st (0: all). */
static int population(const run_section *s, const peil_cohort_result *r, size_t st, run_tables *out) {
  char part[300], title[512];
  snprintf(part, sizeof part, st ? "population_by_%s" : "population", st ? r->strata[st].name : "");
  snprintf(title, sizeof title, "%s: %s%s%s", s->name, r->population, st ? ", by " : "", st ? r->strata[st].name : "");
  peil_rtable *t = NULL;
  int rc = run_tables_new(out, s, part, title, &t);
  if (!rc) rc = run_cohort_keys(t);
  if (!rc && st) rc = peil_rtable_add_key(t, r->strata[st].name, PEIL_RTABLE_TEXT);
  if (!rc) rc = peil_rtable_add_count(t, "n");
  if (!rc && st) rc = peil_rtable_add_n(t, "n_group", 1);
  if (!rc && st) rc = peil_rtable_add_share(t, "pct", "n", "n_group", 100, 1);
  if (!rc && st) rc = run_tables_dimension(out, r->strata[st].name);
  if (!rc) rc = run_tables_dimension_total(out, "date", POOLED); /* by_date: the dates add up */
  for (size_t i = 0; !rc && i < r->npop; i++) {
    const peil_cohort_pop *all = &r->pop[i];
    if (all->stratum != 0) continue;
    char day[16];
    run_cohort_date(all->date, day);
    peil_rtable_value v[7] = {PEIL_RV_TEXT(r->subsets[all->subset]), PEIL_RV_TEXT(day),
                              PEIL_RV_TEXT(r->groups[all->group])};
    char id[600];
    if (!st) {
      v[3] = PEIL_RV_INT(all->n);
      rc = peil_rtable_append(t, v, 4);
      pop_id(id, sizeof id, r, all->subset, all->group, day, 0, TOTAL);
      if (!rc) rc = run_tables_link(out, "n", id);
      continue;
    }
    int64_t sum = 0;
    for (size_t lv = 0; !rc && lv <= (size_t)r->strata[st].nlevels; lv++) {
      const peil_cohort_pop *p = lv < (size_t)r->strata[st].nlevels ? find_pop(r, all, st, lv) : NULL;
      int64_t n = lv < (size_t)r->strata[st].nlevels ? (p ? p->n : 0) : all->n - sum;
      if (lv == (size_t)r->strata[st].nlevels && n == 0) break; /* no unknown level */
      sum += n;
      const char *level = lv < (size_t)r->strata[st].nlevels ? r->strata[st].levels[lv] : "unknown";
      v[3] = PEIL_RV_TEXT(level);
      v[4] = PEIL_RV_INT(n), v[5] = PEIL_RV_INT(all->n), v[6] = PEIL_RV_NA;
      rc = peil_rtable_append(t, v, 7);
      pop_id(id, sizeof id, r, all->subset, all->group, day, st, level);
      if (!rc) rc = run_tables_link(out, "n", id);
      pop_id(id, sizeof id, r, all->subset, all->group, day, 0, TOTAL); /* the group's total, as denominator */
      if (!rc) rc = run_tables_link(out, "n_group", id);
    }
    v[3] = PEIL_RV_TEXT(TOTAL), v[4] = PEIL_RV_INT(all->n), v[5] = PEIL_RV_INT(all->n), v[6] = PEIL_RV_NA;
    if (!rc) rc = peil_rtable_append(t, v, 7);
    pop_id(id, sizeof id, r, all->subset, all->group, day, 0, TOTAL);
    if (!rc) rc = run_tables_link(out, "n", id);
    if (!rc) rc = run_tables_link(out, "n_group", id);
  }
  return rc;
}

/* The outcomes of stratum st: binary ones (counts, shares) or count ones (means). */
static int outcomes(const run_section *s, const peil_cohort_result *r, size_t st, int binary, run_tables *out) {
  int any = 0;
  for (size_t o = 0; o < r->noutcomes; o++) any |= r->outcomes[o].binary == binary;
  if (!any) return PEIL_OK;
  char part[300], title[512];
  const char *what = binary ? "outcomes" : "means";
  snprintf(part, sizeof part, "%s%s%s", what, st ? "_by_" : "", st ? r->strata[st].name : "");
  snprintf(title, sizeof title, "%s: %s%s%s", s->name, binary ? "outcomes (share of the observed)" : "outcomes (means)",
           st ? ", by " : "", st ? r->strata[st].name : "");
  peil_rtable *t = NULL;
  int rc = run_tables_new(out, s, part, title, &t);
  if (!rc) rc = run_cohort_keys(t);
  if (!rc && st) rc = peil_rtable_add_key(t, r->strata[st].name, PEIL_RTABLE_TEXT);
  if (!rc) rc = peil_rtable_add_key(t, "outcome", PEIL_RTABLE_TEXT);
  if (!rc) rc = peil_rtable_add_key(t, "horizon", PEIL_RTABLE_INTEGER);
  /* population = n (observed) + censored: declared, so that neither part
   * can be had from the other and the population published elsewhere */
  if (!rc) rc = peil_rtable_add_count(t, "population");
  if (!rc) rc = peil_rtable_add_count(t, "n");
  if (!rc) rc = peil_rtable_add_count(t, "censored");
  if (!rc) rc = run_tables_column_sum(out, "population", "n,censored");
  /* with and without the outcome are the two cells of a frequency table:
   * 27 of 29 in work tells that 2 are not, as small a cell as any */
  if (!rc && binary) rc = peil_rtable_add_count(t, "with_outcome");
  if (!rc && binary) rc = peil_rtable_add_count(t, "without_outcome");
  if (!rc && binary) rc = run_tables_column_sum(out, "n", "with_outcome,without_outcome");
  if (!rc && binary) rc = peil_rtable_add_share(t, "pct", "with_outcome", "n", 100, 1);
  if (!rc && !binary) rc = peil_rtable_add_estimate(t, "mean", "n", 2);
  if (!rc && st) rc = run_tables_dimension(out, r->strata[st].name);
  if (!rc) rc = run_tables_dimension_total(out, "date", POOLED);
  size_t nl = st ? (size_t)r->strata[st].nlevels : 0;
  for (size_t i = 0; !rc && i < r->ncells; i++) {
    const peil_cohort_cell *all = &r->cells[i];
    if (all->stratum != 0 || r->outcomes[all->outcome].binary != binary) continue;
    char day[16];
    run_cohort_date(all->date, day);
    int64_t sn = 0, sc = 0;
    double ss = 0;
    /* Without a stratum one row; with one, a row per level, "unknown" for
     * what the levels leave of the total, then the Total (the stratum
     * "all"). */
    for (size_t lv = 0; !rc && lv <= (st ? nl + 1 : 0); lv++) {
      int64_t n, cens;
      double sum;
      const char *level = NULL;
      if (!st || lv == nl + 1) {
        n = all->n, cens = all->censored, sum = all->sum;
        level = TOTAL;
      } else if (lv < nl) {
        const peil_cohort_cell *c = find_cell(r, all, st, lv);
        n = c ? c->n : 0, cens = c ? c->censored : 0, sum = c ? c->sum : 0;
        level = r->strata[st].levels[lv];
      } else {
        n = all->n - sn, cens = all->censored - sc, sum = all->sum - ss;
        if (n == 0 && cens == 0) continue;
        level = "unknown";
      }
      sn += n, sc += cens, ss += sum;
      peil_rtable_value v[12];
      size_t m = 0;
      v[m++] = PEIL_RV_TEXT(r->subsets[all->subset]);
      v[m++] = PEIL_RV_TEXT(day);
      v[m++] = PEIL_RV_TEXT(r->groups[all->group]);
      if (st) v[m++] = PEIL_RV_TEXT(level);
      v[m++] = PEIL_RV_TEXT(r->outcomes[all->outcome].name);
      v[m++] = PEIL_RV_INT(all->horizon);
      v[m++] = PEIL_RV_INT(n + cens);
      v[m++] = PEIL_RV_INT(n);
      v[m++] = PEIL_RV_INT(cens);
      if (binary)
        v[m++] = PEIL_RV_INT((int64_t)llround(sum)), v[m++] = PEIL_RV_INT(n - (int64_t)llround(sum)),
        v[m++] = PEIL_RV_NA;
      else v[m++] = n ? PEIL_RV_REAL(sum / (double)n) : PEIL_RV_NA;
      rc = peil_rtable_append(t, v, m);
      char id[600];
      pop_id(id, sizeof id, r, all->subset, all->group, day, st, level);
      if (!rc) rc = run_tables_link(out, "population", id);
    }
  }
  return rc;
}

/* Adjusted shares and differences (the correction). */
static int corrected(const run_section *s, const peil_cohort_result *r, run_tables *out) {
  if (!r->nadjusted) return PEIL_OK;
  char title[512];
  snprintf(title, sizeof title, "%s: corrected for population mix (marginal standardisation)", s->name);
  peil_rtable *t = NULL;
  static const char *const keys[] = {"subset", "stratum", "level", "outcome", "model", "group", "quantity"};
  int rc = run_tables_new(out, s, "corrected", title, &t);
  for (size_t k = 0; !rc && k < 7; k++) rc = peil_rtable_add_key(t, keys[k], PEIL_RTABLE_TEXT);
  if (!rc) rc = peil_rtable_add_key(t, "horizon", PEIL_RTABLE_INTEGER);
  if (!rc) rc = peil_rtable_add_n(t, "n", 0);
  if (!rc) rc = run_tables_add_tidy(t, "n");
  for (size_t i = 0; !rc && i < r->nadjusted; i++) {
    const peil_cohort_adjusted *a = &r->adjusted[i];
    char q[300];
    snprintf(q, sizeof q, a->is_diff ? "difference to %s" : "adjusted mean", r->groups[r->reference_group]);
    peil_rtable_value v[15] = {
        PEIL_RV_TEXT(r->subsets[a->subset]), PEIL_RV_TEXT(r->strata[a->stratum].name),
        PEIL_RV_TEXT(r->strata[a->stratum].levels[a->level]), PEIL_RV_TEXT(r->outcomes[a->outcome].name),
        PEIL_RV_TEXT(a->model), PEIL_RV_TEXT(r->groups[a->group]), PEIL_RV_TEXT(q),
        PEIL_RV_INT(a->horizon), PEIL_RV_INT(a->n)};
    run_values_tidy(v + 9, a->estimate, a->std_error, a->statistic, a->p_value, a->conf_low, a->conf_high);
    rc = peil_rtable_append(t, v, 15);
  }
  if (!rc)
    rc = peil_rtable_add_note(t, "covariates: %zu; SEs clustered on the person (delta method)", r->ncovariates);
  return rc;
}

/* The entry of transitions for (like's subset, date, group, step, from,
 * to) at stratum st, level lv; NULL when there is none. */
static const peil_cohort_transition *find_transition(const peil_cohort_result *r,
                                                     const peil_cohort_transition *like, size_t to,
                                                     size_t st, size_t lv) {
  for (size_t i = 0; i < r->ntransitions; i++) {
    const peil_cohort_transition *x = &r->transitions[i];
    if (x->subset == like->subset && x->date == like->date && x->group == like->group && x->step == like->step &&
        x->from == like->from && x->to == to && x->stratum == st && x->level == lv)
      return x;
  }
  return NULL;
}

/* Transitions between two moments, for stratum st (0: all): every
 * from-state with a "Total" row over the to-states; by a stratum, its
 * levels, "unknown" for what they leave, and their Total (the stratum
 * "all"), declared, so that a level's small cell cannot be had from the
 * others and the Total. The row total repeats on every row as the share's
 * denominator (n_from) and is linked to it. With three moments the
 * matrices are margins of the paths and published with them
 * (run_tables_paths.c), not again here. */
static int transitions(const run_section *s, const peil_cohort_result *r, size_t st, run_tables *out) {
  if (!r->ntransitions || r->nmoments == 3) return PEIL_OK;
  char part[300], title[512];
  snprintf(part, sizeof part, "transitions%s%s", st ? "_by_" : "", st ? r->strata[st].name : "");
  snprintf(title, sizeof title, "%s: transitions between states%s%s", s->name, st ? ", by " : "",
           st ? r->strata[st].name : "");
  peil_rtable *t = NULL;
  int rc = run_tables_new(out, s, part, title, &t);
  if (!rc) rc = run_cohort_keys(t);
  if (!rc && st) rc = peil_rtable_add_key(t, r->strata[st].name, PEIL_RTABLE_TEXT);
  static const char *const keys[] = {"moments", "from", "to"};
  for (size_t k = 0; !rc && k < 3; k++) rc = peil_rtable_add_key(t, keys[k], PEIL_RTABLE_TEXT);
  if (!rc) rc = peil_rtable_add_count(t, "n");
  if (!rc) rc = peil_rtable_add_n(t, "n_from", 1);
  if (!rc) rc = peil_rtable_add_share(t, "pct", "n", "n_from", 100, 1);
  if (!rc) rc = run_tables_dimension(out, "to");
  if (!rc && st) rc = run_tables_dimension(out, r->strata[st].name);
  if (!rc) rc = run_tables_dimension_total(out, "date", POOLED);
  size_t ns = r->nstates, nl = st ? (size_t)r->strata[st].nlevels : 0;
  int64_t *n = calloc(ns + 1, sizeof *n), *sum = calloc(ns + 1, sizeof *sum);
  if (!rc && (!n || !sum)) rc = peil_error(PEIL_ENOMEM, "out of memory");
  /* Entries come as full matrices: a run of nstates for each from-state. */
  for (size_t i = 0; !rc && i < r->ntransitions; i += ns) {
    const peil_cohort_transition *x = &r->transitions[i];
    if (x->stratum != 0) continue;
    char day[16], mom[64];
    run_cohort_date(x->date, day);
    snprintf(mom, sizeof mom, "%d -> %d", r->moments[x->step], r->moments[x->step + 1]);
    memset(sum, 0, (ns + 1) * sizeof *sum);
    for (size_t lv = 0; !rc && lv <= (st ? nl + 1 : 0); lv++) {
      const char *level = TOTAL;
      for (size_t j = 0; j < ns; j++) {
        const peil_cohort_transition *y = !st || lv > nl ? (i + j < r->ntransitions ? &r->transitions[i + j] : NULL)
                                          : lv < nl ? find_transition(r, x, j, st, lv) : NULL;
        int64_t all = i + j < r->ntransitions ? r->transitions[i + j].n : 0;
        n[j] = st && lv == nl ? all - sum[j] : y ? y->n : 0;
      }
      n[ns] = 0;
      for (size_t j = 0; j < ns; j++) n[ns] += n[j];
      if (st && lv < nl) level = r->strata[st].levels[lv];
      if (st && lv == nl) {
        if (n[ns] == 0) continue; /* no unknown level */
        level = "unknown";
      }
      for (size_t j = 0; j <= ns; j++) sum[j] += n[j];
      char id[700];
      snprintf(id, sizeof id, "tr|%s|%s|%s|%s|%s|%s", r->subsets[x->subset], day, r->groups[x->group], mom,
               r->states[x->from], st && lv <= nl ? level : TOTAL);
      if (st && lv <= nl) snprintf(id + strlen(id), sizeof id - strlen(id), "|%s", r->strata[st].name);
      for (size_t j = 0; !rc && j <= ns; j++) {
        peil_rtable_value v[10];
        size_t m = 0;
        v[m++] = PEIL_RV_TEXT(r->subsets[x->subset]);
        v[m++] = PEIL_RV_TEXT(day);
        v[m++] = PEIL_RV_TEXT(r->groups[x->group]);
        if (st) v[m++] = PEIL_RV_TEXT(level);
        v[m++] = PEIL_RV_TEXT(mom);
        v[m++] = PEIL_RV_TEXT(r->states[x->from]);
        v[m++] = PEIL_RV_TEXT(j < ns ? r->states[j] : TOTAL);
        v[m++] = PEIL_RV_INT(n[j]);
        v[m++] = PEIL_RV_INT(n[ns]);
        v[m++] = PEIL_RV_NA;
        rc = peil_rtable_append(t, v, m);
        if (!rc) rc = run_tables_link(out, "n_from", id);
        if (!rc && j == ns) rc = run_tables_link(out, "n", id);
      }
    }
  }
  free(n), free(sum);
  return rc;
}

int run_tables_cohort(const run_section *s, const peil_cohort_result *r, run_tables *out) {
  out->rows_read = r->n_persons, out->rows_used = r->n_rows;
  int rc = PEIL_OK;
  for (size_t st = 0; !rc && st < r->nstrata; st++) rc = population(s, r, st, out);
  for (size_t st = 0; !rc && st < r->nstrata; st++) rc = outcomes(s, r, st, 1, out);
  for (size_t st = 0; !rc && st < r->nstrata; st++) rc = outcomes(s, r, st, 0, out);
  if (!rc) rc = corrected(s, r, out);
  for (size_t st = 0; !rc && st < r->nstrata; st++) rc = transitions(s, r, st, out);
  for (size_t st = 0; !rc && r->nmoments == 3 && st < r->nstrata; st++) rc = run_tables_paths(s, r, st, out);
  if (!rc) rc = run_tables_cooccur(s, r, out);
  if (!rc && out->n)
    for (size_t i = 0; !rc && i < r->nwarnings; i++) rc = peil_rtable_add_note(out->v[0].table, "warning: %s", r->warnings[i]);
  return rc;
}

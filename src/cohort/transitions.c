/* Transitions between states at two or three moments (the ESF report's
 * position at the start, at the end and a year later; DOMAIN.md section 3).
 *
 * A member's state at a moment (months after the clock date) is the first
 * of the spec's states whose status covers that day, or the rest
 * (state_other). Members are counted per cell by their whole path through
 * the moments (nstates^moments counters per cell, at most 16^3), and the
 * matrices of consecutive moments are sums over the paths, so one counter
 * serves both tables. A member with a moment outside the data (after its
 * end, or before its start) is censored: counted apart, never as a state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cohort_internal.h"

#define MAX_STATES 16 /* the spec's states and the rest */

int cohort_transitions_setup(cohort_engine *E) {
  const peil_cohort_spec *s = E->spec;
  peil_cohort_result *R = E->res;
  if (!s->nstates) return PEIL_OK;
  if (s->nstates + 1 > MAX_STATES)
    return cohort_spec_error(s, s->states[MAX_STATES - 1].line, PEIL_EINVAL,
                             "at most %d states (the rest is one more)", MAX_STATES - 1);
  E->nstates = s->nstates + 1;
  E->state_table = calloc(s->nstates, sizeof *E->state_table);
  E->state_bit = calloc(s->nstates, sizeof *E->state_bit);
  R->states = calloc(E->nstates, sizeof *R->states);
  if (!E->state_table || !E->state_bit || !R->states) return peil_error(PEIL_ENOMEM, "out of memory");
  R->nstates = E->nstates;
  int rc = PEIL_OK;
  for (size_t i = 0; !rc && i < s->nstates; i++) {
    rc = cohort_use_status(E, &s->states[i].st, s->states[i].line, &E->state_table[i], &E->state_bit[i]);
    if (!rc && !(R->states[i] = strdup(s->states[i].name))) rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  if (!rc && !(R->states[s->nstates] = strdup(s->state_other))) rc = peil_error(PEIL_ENOMEM, "out of memory");
  R->nmoments = s->transitions.n;
  for (size_t k = 0; k < R->nmoments; k++) R->moments[k] = s->transitions.v[k];
  E->npaths = 1;
  for (size_t k = 0; k < R->nmoments; k++) E->npaths *= E->nstates;
  return rc;
}

/* Called once the cells are known (after the strata are resolved). */
int cohort_transitions_start(cohort_engine *E) {
  if (!E->nstates) return PEIL_OK;
  size_t ncells = cohort_ncells(E);
  E->trans = calloc(ncells * E->npaths, sizeof *E->trans);
  return E->trans ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
}

void cohort_transitions_count(cohort_engine *E, const cohort_member *m, const size_t *cells, size_t nc) {
  const peil_cohort_result *R = E->res;
  size_t path = 0;
  /* censored when a moment lies outside the data: they are increasing, so
   * the first and the last are enough */
  int sides = cohort_censored(E, cohort_plus_months(E, m, R->moments[0]),
                              cohort_plus_months(E, m, R->moments[R->nmoments - 1]));
  if (sides) {
    E->trans_censored++;
    E->trans_censored_sides |= sides;
    return;
  }
  for (size_t k = 0; k < R->nmoments; k++) {
    int32_t day = cohort_plus_months(E, m, R->moments[k]);
    size_t st = 0;
    while (st + 1 < E->nstates &&
           spells_covering(&E->tables[E->state_table[st]], day, E->state_bit[st], -1) < 0)
      st++;
    path = path * E->nstates + st;
  }
  E->trans_observed++;
  for (size_t i = 0; i < nc; i++) E->trans[cells[i] * E->npaths + path]++;
}

/* The result's entries for one cell: the matrices, then the paths. */
static int build_cell(cohort_engine *E, const int64_t *paths, const peil_cohort_pop *p,
                      size_t *cap) {
  peil_cohort_result *R = E->res;
  size_t S = E->nstates, M = R->nmoments;
  int64_t total = 0;
  for (size_t q = 0; q < E->npaths; q++) total += paths[q];
  for (size_t step = 0; step + 1 < M; step++) {
    int64_t m[MAX_STATES][MAX_STATES] = {{0}};
    for (size_t q = 0; q < E->npaths; q++) {
      size_t st[3], r = q;
      for (size_t k = M; k-- > 0; r /= S) st[k] = r % S;
      m[st[step]][st[step + 1]] += paths[q];
    }
    for (size_t a = 0; a < S; a++) {
      int64_t row = 0;
      for (size_t b = 0; b < S; b++) row += m[a][b];
      for (size_t b = 0; b < S; b++) {
        peil_cohort_transition *t = &R->transitions[R->ntransitions++];
        *t = (peil_cohort_transition){p->subset, p->date, p->group, p->stratum, p->level,
                                      step, a, b, m[a][b], row ? (double)m[a][b] / (double)row : 0.0 / 0.0};
      }
    }
  }
  if (M == 3)
    for (size_t q = 0; q < E->npaths; q++) {
      if (!paths[q]) continue;
      if (R->npaths == *cap) {
        *cap = *cap ? 2 * *cap : 256;
        peil_cohort_path *v = realloc(R->paths, *cap * sizeof *v);
        if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
        R->paths = v;
      }
      peil_cohort_path *pa = &R->paths[R->npaths++];
      *pa = (peil_cohort_path){p->subset, p->date, p->group, p->stratum, p->level, {q / (S * S), q / S % S, q % S},
                               paths[q], (double)paths[q] / (double)total};
    }
  return PEIL_OK;
}

int cohort_transitions_build(cohort_engine *E) {
  peil_cohort_result *R = E->res;
  if (!E->nstates) return PEIL_OK;
  size_t S = E->nstates, M = R->nmoments;
  R->transitions = calloc(R->npop * (M - 1) * S * S + 1, sizeof *R->transitions);
  if (!R->transitions) return peil_error(PEIL_ENOMEM, "out of memory");
  size_t cap = 0;
  for (size_t i = 0; i < R->npop; i++) {
    int rc = build_cell(E, &E->trans[cohort_pop_cell(E, &R->pop[i]) * E->npaths], &R->pop[i], &cap);
    if (rc) return rc;
  }
  if (E->trans_censored) {
    char first[32], last[32], why[200];
    snprintf(first, sizeof first, "month %d lies", R->moments[0]);
    snprintf(last, sizeof last, "month %d lies", R->moments[M - 1]);
    cohort_censored_why(E, E->trans_censored_sides, first, last, why, sizeof why);
    return cohort_result_add_warning(R,
                                     "transitions: %lld of %lld person-dates censored (%s); the "
                                     "matrices are of the %lld observed",
                                     (long long)E->trans_censored,
                                     (long long)(E->trans_censored + E->trans_observed), why,
                                     (long long)E->trans_observed);
  }
  return PEIL_OK;
}

void cohort_transitions_free(cohort_engine *E) {
  free(E->state_table);
  free(E->state_bit);
  free(E->trans);
}

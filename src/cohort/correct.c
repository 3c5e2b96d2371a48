/* Correction for population mix: per subset, stratum level, 0/1 outcome and
 * horizon, a linear probability model (as the G4 report) and/or a logit of
 * the outcome on the group and the covariates, fitted on the row table with
 * peil_glm_fit; adjusted shares per group by marginal standardisation over
 * the cell's population, differences to the reference group, SEs clustered
 * on the person (people recur across reference dates). */
#define _GNU_SOURCE /* asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cohort_internal.h"
#include "peil/model.h"

/* A quoted string for the expression language. */
static void put_quoted(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

static int add_adjusted(peil_cohort_result *R, const peil_cohort_adjusted *a) {
  peil_cohort_adjusted *v = realloc(R->adjusted, (R->nadjusted + 1) * sizeof *v);
  if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
  R->adjusted = v;
  v[R->nadjusted++] = *a;
  return PEIL_OK;
}

/* The observed n of group g in the pooled cell (subset, stratum level, slot). */
static int64_t cell_n(const cohort_engine *E, size_t su, size_t g, size_t flat, size_t k) {
  size_t D = E->spec->ndates + 1, G = E->res->ngroups, L = E->nlevels_flat, K = E->nslots;
  size_t cell = ((su * D + D - 1) * G + g) * L + flat;
  return (int64_t)E->counts[(cell * K + k) * 3];
}

static int fit_one(cohort_engine *E, peil_store *st, const peil_cohort_options *o, size_t su,
                   size_t stratum, size_t level, size_t k, int logit) {
  peil_cohort_result *R = E->res;
  const outcome_slot *sl = &E->slots[k];
  const char *gcol = R->group_column ? R->group_column : "group";
  size_t svar = stratum ? E->stratum_var[stratum] : SIZE_MAX;
  /* The formula, the filter of the cell, the reference level and the
   * weight column, written with stdio into memory. */
  char *f = NULL, *w = NULL, *ref = NULL, *wcol = NULL;
  size_t len;
  FILE *ff = open_memstream(&f, &len), *wf = open_memstream(&w, &len);
  int bad = !ff || !wf || asprintf(&ref, "%s=%s", gcol, R->groups[R->reference_group]) < 0 ||
            asprintf(&wcol, "%s_n", sl->column) < 0;
  if (ff) {
    fprintf(ff, "`%s` ~ `%s`", sl->column, gcol);
    for (size_t c = 0; c < E->ncov; c++)
      if (E->covariate_var[c] != svar) fprintf(ff, " + `%s`", E->vars[E->covariate_var[c]].name);
    bad |= fclose(ff) != 0;
  }
  if (wf) {
    if (su) fprintf(wf, "`in_%s` == 1", R->subsets[su]);
    if (stratum) {
      fprintf(wf, "%s`%s` == ", su ? " & " : "", E->vars[svar].name);
      put_quoted(wf, E->vars[svar].levels[level]);
    }
    bad |= fclose(wf) != 0;
  }
  int rc = bad ? peil_error(PEIL_ENOMEM, "out of memory") : PEIL_OK;
  peil_glm *g = NULL;
  if (!rc) {
    peil_glm_options go;
    peil_glm_options_init(&go);
    go.formula = f;
    go.weights = wcol; /* the number of person-dates a collapsed row stands for */
    go.weight_type = PEIL_WEIGHTS_FREQUENCY;
    go.family = logit ? "binomial" : "gaussian";
    go.where = w && *w ? w : NULL;
    const char *refs[1] = {ref};
    go.refs = refs;
    go.nrefs = 1;
    go.margins = gcol;
    go.cluster = "rin";
    go.threads = o->threads;
    rc = peil_glm_fit(st, "cells", &go, &g);
  }
  const char *where = stratum ? R->strata[stratum].levels[level] : "all";
  if (rc && rc != PEIL_ENOMEM && rc != PEIL_EIO && rc != PEIL_EHDF5 && rc != PEIL_EINTERNAL) {
    /* A model that cannot be fitted in one cell (a group without rows, an
     * outcome that is the same for everybody, separation) is reported,
     * not fatal: the other cells stand. */
    rc = cohort_result_add_warning(R, "no %s correction for %s, subset %s, %s %s: %s",
                                   logit ? "logit" : "lpm", sl->column, R->subsets[su],
                                   R->strata[stratum].name, where, peil_errmsg());
    peil_error_clear();
  } else if (!rc) {
    for (size_t i = 0; !rc && i < g->nmargins + g->ndiffs; i++) {
      const peil_glm_row *row = i < g->nmargins ? &g->margin[i] : &g->diff[i - g->nmargins];
      size_t grp = 0;
      while (grp < R->ngroups && strcmp(R->groups[grp], row->term)) grp++;
      if (grp == R->ngroups) continue;
      peil_cohort_adjusted a = {su, stratum, level, sl->outcome, sl->horizon,
                                logit ? "logit" : "lpm", grp, i >= g->nmargins,
                                row->estimate, row->std_error, row->statistic, row->p_value,
                                row->conf_low, row->conf_high,
                                cell_n(E, su, grp, E->level_base[stratum] + level, k)};
      rc = add_adjusted(R, &a);
    }
    for (size_t i = 0; !rc && i < g->nwarnings; i++)
      rc = cohort_result_add_warning(R, "%s correction for %s, subset %s, %s %s: %s",
                                     logit ? "logit" : "lpm", sl->column, R->subsets[su],
                                     R->strata[stratum].name, where, g->warnings[i]);
  }
  peil_glm_free(g);
  free(f);
  free(w);
  free(ref);
  free(wcol);
  return rc;
}

/* Is the slot's outcome corrected? Every 0/1 outcome unless correct_outcomes
 * names some (a "first" outcome by its name: all its categories). */
static int corrected(const cohort_engine *E, const outcome_slot *sl) {
  const peil_cohort_spec *s = E->spec;
  if (!E->res->outcomes[sl->outcome].binary) return 0;
  if (!s->correct_outcomes.n) return 1;
  for (size_t i = 0; i < s->correct_outcomes.n; i++)
    if (!strcmp(s->correct_outcomes.v[i], s->outcomes[sl->def].name)) return 1;
  return 0;
}

int cohort_correct(cohort_engine *E, peil_store *st, const peil_cohort_options *o) {
  const peil_cohort_spec *s = E->spec;
  peil_cohort_result *R = E->res;
  if (R->ngroups < 2) {
    return cohort_result_add_warning(R, "no correction: there is only one group to compare");
  }
  int rc = PEIL_OK;
  for (size_t su = 0; !rc && su < R->nsubsets; su++) {
    /* the whole subset, then each level of each stratum in correct_within */
    for (size_t st_i = 0; !rc && st_i < R->nstrata; st_i++) {
      int within = st_i == 0;
      for (size_t c = 0; !within && c < s->correct_within.n; c++)
        within = strcmp(s->correct_within.v[c], R->strata[st_i].name) == 0;
      if (!within) continue;
      size_t nl = st_i ? (size_t)R->strata[st_i].nlevels - 1 : 1; /* not "(missing)" */
      for (size_t lv = 0; !rc && lv < nl; lv++)
        for (size_t k = 0; !rc && k < E->nslots; k++) {
          if (!corrected(E, &E->slots[k])) continue;
          if (s->correct_lpm) rc = fit_one(E, st, o, su, st_i, lv, k, 0);
          if (!rc && s->correct_logit) rc = fit_one(E, st, o, su, st_i, lv, k, 1);
        }
    }
  }
  return rc;
}

/* Strata and covariates: categorical variables of a person-date, from
 * built-in classes (benefit duration, age band, months since an exit) or
 * from categorical columns of the population's spell table or of the
 * person table. Opens the person table's scan with the columns they need. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cohort_internal.h"

/* Class labels for cut points in months (duration, since) or years (age):
 * "< 1 year", "1-2 years", ">= 2 years"; "< 6 months", "6-12 months"; "< 27",
 * "27-34", ">= 55". Class k holds [cut[k-1], cut[k]). */
static int class_labels(cat_var *v, const char *unit) {
  size_t n = v->ncuts + 1;
  v->nlevels = n + 1;
  if (!(v->levels = calloc(v->nlevels, sizeof *v->levels))) return PEIL_ENOMEM;
  int years = strcmp(unit, "months") == 0;
  for (size_t i = 0; i < v->ncuts && years; i++) years = v->cuts[i] % 12 == 0;
  char buf[64];
  for (size_t k = 0; k < n; k++) {
    int lo = k ? v->cuts[k - 1] : 0, hi = k < v->ncuts ? v->cuts[k] : 0;
    if (!strcmp(unit, "age")) {
      if (k == 0) snprintf(buf, sizeof buf, "< %d", hi);
      else if (k == v->ncuts) snprintf(buf, sizeof buf, ">= %d", lo);
      else snprintf(buf, sizeof buf, "%d-%d", lo, hi - 1);
    } else if (years) {
      int a = lo / 12, b = hi / 12;
      if (k == 0) snprintf(buf, sizeof buf, "< %d year%s", b, b == 1 ? "" : "s");
      else if (k == v->ncuts) snprintf(buf, sizeof buf, ">= %d year%s", a, a == 1 ? "" : "s");
      else snprintf(buf, sizeof buf, "%d-%d years", a, b);
    } else {
      if (k == 0) snprintf(buf, sizeof buf, "< %d months", hi);
      else if (k == v->ncuts) snprintf(buf, sizeof buf, ">= %d months", lo);
      else snprintf(buf, sizeof buf, "%d-%d months", lo, hi);
    }
    if (!(v->levels[k] = strdup(buf))) return PEIL_ENOMEM;
  }
  if (!(v->levels[n] = strdup("(missing)"))) return PEIL_ENOMEM;
  return PEIL_OK;
}

static int copy_levels(cat_var *v, const peil_column_info *c) {
  v->nlevels = c->nlevels + 1;
  if (!(v->levels = calloc(v->nlevels, sizeof *v->levels))) return PEIL_ENOMEM;
  for (size_t k = 0; k < c->nlevels; k++)
    if (!(v->levels[k] = strdup(c->levels[k]))) return PEIL_ENOMEM;
  return (v->levels[c->nlevels] = strdup("(missing)")) ? PEIL_OK : PEIL_ENOMEM;
}

static size_t find_var(const cohort_engine *E, const char *name) {
  for (size_t i = 0; i < E->nvars; i++)
    if (strcmp(E->vars[i].name, name) == 0) return i;
  return SIZE_MAX;
}

/* Adds the variable `name` (if new); *idx receives its index. Person
 * columns are collected in pcols (the person scan's columns). */
static int add_var(cohort_engine *E, const char *name, int line, const peil_table_info *persons,
                   const char **pcols, size_t *npcols, size_t *idx) {
  const peil_cohort_spec *s = E->spec;
  if ((*idx = find_var(E, name)) != SIZE_MAX) return PEIL_OK;
  cat_var *vv = realloc(E->vars, (E->nvars + 1) * sizeof *vv);
  if (!vv) return peil_error(PEIL_ENOMEM, "out of memory");
  E->vars = vv;
  cat_var *v = &vv[E->nvars];
  memset(v, 0, sizeof *v);
  if (!(v->name = strdup(name))) return peil_error(PEIL_ENOMEM, "out of memory");
  *idx = E->nvars++;
  const spell_table *pop = &E->tables[0];
  int k;
  int rc;
  if (!strcmp(name, "duration")) {
    v->source = VAR_DURATION;
    v->cuts = s->duration_cuts.v;
    v->ncuts = s->duration_cuts.n;
    rc = class_labels(v, "months");
  } else if (!strcmp(name, "age_band")) {
    v->source = VAR_AGE;
    v->cuts = s->age_cuts.v;
    v->ncuts = s->age_cuts.n;
    E->need_birth = 1;
    rc = class_labels(v, "age");
  } else if (!strcmp(name, "since") && s->pop == POP_EXIT) {
    v->source = VAR_SINCE;
    v->cuts = s->since_cuts.v;
    v->ncuts = s->since_cuts.n;
    rc = class_labels(v, "months");
  } else if ((k = peil_table_info_find(pop->info, name)) >= 0 &&
             strcmp(name, "rin") && strcmp(name, "start") && strcmp(name, "end")) {
    if (pop->info->cols[k].type != PEIL_ENUM)
      return cohort_spec_error(s, line, PEIL_ETYPE, "'%s' (table %s) is %s, not categorical", name,
                               pop->name, peil_type_name(pop->info->cols[k].type));
    v->source = VAR_SPELL;
    rc = copy_levels(v, &pop->info->cols[k]);
  } else if ((k = peil_table_info_find(persons, name)) >= 0 && strcmp(name, "rin")) {
    if (persons->cols[k].type != PEIL_ENUM)
      return cohort_spec_error(s, line, PEIL_ETYPE, "'%s' (table %s) is %s, not categorical", name,
                               persons->name, peil_type_name(persons->cols[k].type));
    v->source = VAR_PERSON;
    pcols[*npcols] = persons->cols[k].name;
    v->index = (*npcols)++;
    rc = copy_levels(v, &persons->cols[k]);
  } else {
    return cohort_spec_error(s, line, PEIL_ENOTFOUND,
                             "'%s' is not duration, age_band%s, or a categorical column of table "
                             "'%s' or '%s'",
                             name, s->pop == POP_EXIT ? ", since" : "", pop->name, persons->name);
  }
  return rc ? peil_error(PEIL_ENOMEM, "out of memory") : PEIL_OK;
}

int cohort_vars_resolve(cohort_engine *E) {
  const peil_cohort_spec *s = E->spec;
  peil_cohort_result *R = E->res;
  if (!peil_store_has_table(E->store, s->persons))
    return cohort_spec_error(s, 0, PEIL_ENOTFOUND, "the store %s has no person table '%s'",
                             peil_store_path(E->store), s->persons);
  peil_table_info *persons;
  int rc = peil_store_table_info(E->store, s->persons, &persons);
  if (rc) return rc;
  size_t cap = persons->ncols + 2, np = 2;
  const char **pcols = calloc(cap, sizeof *pcols);
  if (!pcols) {
    peil_table_info_free(persons);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  pcols[0] = "rin";
  pcols[1] = s->birth_date;

  /* Strata: "all" first, then the spec's, each its own breakdown. */
  R->nstrata = 1 + s->strata.n;
  E->stratum_var = calloc(R->nstrata, sizeof *E->stratum_var);
  E->level_base = calloc(R->nstrata, sizeof *E->level_base);
  if (!E->stratum_var || !E->level_base) rc = peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc) E->stratum_var[0] = SIZE_MAX;
  for (size_t i = 0; !rc && i < s->strata.n; i++)
    rc = add_var(E, s->strata.v[i], s->strata.line, persons, pcols, &np, &E->stratum_var[i + 1]);

  /* Covariates of the correction; by default those of the usual G4
   * correction that this store has. Given without a correction they are
   * still columns of the rows (--rows; peil run's from = NAME): the
   * variables a matching or a model of the rows adjusts for. */
  int correcting = s->correct_lpm || s->correct_logit;
  if (!rc && correcting && !s->covariates_set) {
    static const char *def[] = {"age_band", "sex", "migration", "duration"};
    E->covariate_var = calloc(4, sizeof *E->covariate_var);
    if (!E->covariate_var) rc = peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < 4; i++) {
      int present = i == 0 || i == 3 || peil_table_info_find(persons, def[i]) >= 0;
      if (present) rc = add_var(E, def[i], s->line, persons, pcols, &np, &E->covariate_var[E->ncov++]);
    }
  } else if (!rc && s->covariates_set) {
    E->covariate_var = calloc(s->covariates.n + 1, sizeof *E->covariate_var);
    if (!E->covariate_var) rc = peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < s->covariates.n; i++)
      rc = add_var(E, s->covariates.v[i], s->covariates.line, persons, pcols, &np,
                   &E->covariate_var[E->ncov++]);
  }

  /* The result's strata with their levels, and the flat level axis. */
  if (!rc && !(R->strata = calloc(R->nstrata, sizeof *R->strata)))
    rc = peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < R->nstrata; i++) {
    peil_cohort_stratum *st = &R->strata[i];
    E->level_base[i] = E->nlevels_flat;
    const cat_var *v = i ? &E->vars[E->stratum_var[i]] : NULL;
    st->nlevels = v ? (int64_t)v->nlevels : 1;
    E->nlevels_flat += (size_t)st->nlevels;
    st->name = strdup(v ? v->name : "all");
    st->levels = calloc((size_t)st->nlevels, sizeof *st->levels);
    if (!st->name || !st->levels) rc = peil_error(PEIL_ENOMEM, "out of memory");
    for (int64_t k = 0; !rc && k < st->nlevels; k++)
      if (!(st->levels[k] = strdup(v ? v->levels[k] : "all"))) rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  if (!rc && (R->ncovariates = E->ncov)) {
    if (!(R->covariates = calloc(E->ncov, sizeof *R->covariates))) rc = peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < E->ncov; i++)
      if (!(R->covariates[i] = strdup(E->vars[E->covariate_var[i]].name)))
        rc = peil_error(PEIL_ENOMEM, "out of memory");
  }

  /* The person scan: rin, the birth date if an age is needed, the columns. */
  if (!rc) {
    int kr = peil_table_info_find(persons, "rin");
    int kb = peil_table_info_find(persons, s->birth_date);
    if (kr < 0 || (persons->cols[kr].type != PEIL_INT64 && persons->cols[kr].type != PEIL_INT32))
      rc = cohort_spec_error(s, 0, PEIL_ENOTFOUND, "person table '%s' needs an integer column rin",
                             s->persons);
    else if (E->need_birth && (kb < 0 || persons->cols[kb].type != PEIL_DATE))
      rc = cohort_spec_error(s, s->age_cuts.line, PEIL_ENOTFOUND,
                             "age_band needs a date column '%s' in table '%s' (set birth_date)",
                             s->birth_date, s->persons);
  }
  if (!rc) {
    const char **cols = pcols + (E->need_birth ? 0 : 1);
    size_t ncols = np - (E->need_birth ? 0 : 1);
    if (!E->need_birth) cols[0] = "rin";
    rc = peil_scan_open(E->store, s->persons, cols, ncols, 0, &E->persons);
    if (!rc) {
      E->slot_rin = 0;
      E->slot_birth = 1;
      E->persons_rin64 = peil_scan_column(E->persons, 0)->type == PEIL_INT64;
      /* person columns were numbered from 2; without a birth date they sit one lower */
      for (size_t i = 0; i < E->nvars; i++)
        if (E->vars[i].source == VAR_PERSON && !E->need_birth) E->vars[i].index--;
    }
  }
  /* Spell attributes of the population table (VAR_SPELL) are read with it. */
  for (size_t i = 0; !rc && i < E->nvars; i++)
    if (E->vars[i].source == VAR_SPELL)
      rc = spell_table_add_attr(&E->tables[0], E->vars[i].name, s, 0, &E->vars[i].index);
  free(pcols);
  peil_table_info_free(persons);
  return rc;
}

static size_t cut_class(const int *cuts, size_t n, int x) {
  size_t k = 0;
  while (k < n && x >= cuts[k]) k++;
  return k;
}

size_t cohort_var_level(const cohort_engine *E, const cat_var *v, const peil_block *person,
                        size_t prow, int32_t duration_months, const cohort_day *ref_day,
                        int32_t since_months, const int32_t *spell_attrs) {
  size_t missing = v->nlevels - 1;
  switch (v->source) {
  case VAR_DURATION:
    return duration_months < 0 ? missing : cut_class(v->cuts, v->ncuts, duration_months);
  case VAR_SINCE:
    return since_months < 0 ? missing : cut_class(v->cuts, v->ncuts, since_months);
  case VAR_AGE: {
    int32_t birth = ((const int32_t *)person->cols[E->slot_birth])[prow];
    if (birth == PEIL_NA_DATE || birth > ref_day->day) return missing;
    int age = cohort_months_until(birth, ref_day) / 12;
    return cut_class(v->cuts, v->ncuts, age);
  }
  case VAR_PERSON: {
    int32_t c = ((const int32_t *)person->cols[v->index])[prow];
    return c < 0 || (size_t)c >= missing ? missing : (size_t)c;
  }
  case VAR_SPELL: {
    int32_t c = spell_attrs ? spell_attrs[v->index] : -1;
    return c < 0 || (size_t)c >= missing ? missing : (size_t)c;
  }
  }
  return missing;
}

void cohort_vars_free(cohort_engine *E) {
  for (size_t i = 0; i < E->nvars; i++) {
    free(E->vars[i].name);
    for (size_t k = 0; k < E->vars[i].nlevels; k++) free(E->vars[i].levels[k]);
    free(E->vars[i].levels);
  }
  free(E->vars);
  free(E->stratum_var);
  free(E->level_base);
  free(E->covariate_var);
  if (E->persons) peil_scan_close(E->persons);
}

/* Cohort results: text tables laid out as the reports lay them out (groups
 * down, horizons across, uncorrected next to corrected), or JSON with every
 * table as an array of row objects. */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "cli.h"
#include "cohort_report.h"


static const peil_cohort_cell *find_cell(const peil_cohort_result *r, size_t su, size_t g,
                                         size_t st, size_t lv, size_t o, int h) {
  for (size_t i = 0; i < r->ncells; i++) {
    const peil_cohort_cell *c = &r->cells[i];
    if (c->date == PEIL_NA_DATE && c->subset == su && c->group == g && c->stratum == st &&
        c->level == lv && c->outcome == o && c->horizon == h)
      return c;
  }
  return NULL;
}

const peil_cohort_pop *cohort_report_find_pop(const peil_cohort_result *r, size_t su, size_t g,
                                              size_t st, size_t lv) {
  for (size_t i = 0; i < r->npop; i++) {
    const peil_cohort_pop *p = &r->pop[i];
    if (p->date == PEIL_NA_DATE && p->subset == su && p->group == g && p->stratum == st &&
        p->level == lv)
      return p;
  }
  return NULL;
}

int cohort_report_level_shown(const peil_cohort_result *r, size_t su, size_t st, size_t lv) {
  for (size_t g = 0; g < r->ngroups; g++)
    if (cohort_report_find_pop(r, su, g, st, lv)) return 1;
  return 0;
}

void cohort_report_level_heading(FILE *fp, const peil_cohort_result *r, size_t st, size_t lv) {
  if (st == 0) fprintf(fp, "  all\n");
  else fprintf(fp, "  %s %s\n", r->strata[st].name, r->strata[st].levels[lv]);
}

static const peil_cohort_adjusted *find_adj(const peil_cohort_result *r, size_t su, size_t st,
                                            size_t lv, size_t o, int h, const char *model,
                                            size_t g, int diff) {
  for (size_t i = 0; i < r->nadjusted; i++) {
    const peil_cohort_adjusted *a = &r->adjusted[i];
    if (a->subset == su && a->stratum == st && a->level == lv && a->outcome == o &&
        a->horizon == h && a->group == g && a->is_diff == diff && !strcmp(a->model, model))
      return a;
  }
  return NULL;
}

/* The horizons an outcome is reported at. */
static size_t outcome_horizons(const peil_cohort_result *r, size_t o, int *h) {
  if (r->outcomes[o].window) {
    for (size_t i = 0; i < r->ncells; i++)
      if (r->cells[i].outcome == o) {
        h[0] = r->cells[i].horizon;
        return 1;
      }
    return 0;
  }
  for (size_t k = 0; k < r->nhorizons; k++) h[k] = r->horizons[k];
  return r->nhorizons;
}

static size_t group_width(const peil_cohort_result *r) {
  size_t w = 12;
  for (size_t g = 0; g < r->ngroups; g++)
    if (strlen(r->groups[g]) + 4 > w) w = strlen(r->groups[g]) + 4;
  return w;
}

void cohort_report_value(FILE *fp, double v, int binary, int width) {
  if (isnan(v)) fprintf(fp, " %*s", width, "NA");
  else if (binary) fprintf(fp, " %*.1f", width, 100 * v);
  else fprintf(fp, " %*.2f", width, v);
}

static void print_population(FILE *fp, const peil_cohort_result *r, size_t su) {
  char buf[32];
  int gw = (int)group_width(r);
  for (size_t st = 1; st < r->nstrata; st++) {
    const peil_cohort_stratum *S = &r->strata[st];
    fprintf(fp, "\npopulation by %s (%% of the group's person-dates)\n", S->name);
    fprintf(fp, "  %-*s %10s", gw, r->group_column ? r->group_column : "group", "n");
    for (int64_t lv = 0; lv < S->nlevels; lv++) {
      if (cohort_report_level_shown(r, su, st, (size_t)lv)) fprintf(fp, " %12s", S->levels[lv]);
    }
    fprintf(fp, "\n");
    for (size_t g = 0; g < r->ngroups; g++) {
      const peil_cohort_pop *all = cohort_report_find_pop(r, su, g, 0, 0);
      fprintf(fp, "  %-*s %10s", gw, r->groups[g], cli_count(all ? all->n : 0, buf));
      for (int64_t lv = 0; lv < S->nlevels; lv++) {
        if (!cohort_report_level_shown(r, su, st, (size_t)lv)) continue;
        const peil_cohort_pop *p = cohort_report_find_pop(r, su, g, st, (size_t)lv);
        cohort_report_value(fp, p ? p->share : NAN, 1, 12);
      }
      fprintf(fp, "\n");
    }
  }
}

static const char *models[] = {"lpm", "logit"};

static void print_outcome(FILE *fp, const peil_cohort_result *r, size_t su, size_t o) {
  const peil_cohort_outcome *O = &r->outcomes[o];
  int h[256];
  size_t nh = outcome_horizons(r, o, h);
  if (!nh) return;
  int gw = (int)group_width(r);
  char buf[32];
  int has_model[2] = {0, 0};
  for (size_t i = 0; i < r->nadjusted; i++)
    if (r->adjusted[i].subset == su && r->adjusted[i].outcome == o)
      has_model[strcmp(r->adjusted[i].model, "lpm") != 0] = 1;
  fprintf(fp, "\noutcome %s: %s (%s)\n", O->name, O->definition,
          O->binary ? "% of the observed" : "mean");
  fprintf(fp, "  %-*s %10s", gw, "", "n");
  /* a window outcome has one column, headed by its window (-24..0) */
  for (size_t k = 0; k < nh; k++) {
    char lab[32];
    if (O->window) snprintf(lab, sizeof lab, "%d..%d", O->window_from, O->window_to);
    else snprintf(lab, sizeof lab, "+%d", h[k]);
    fprintf(fp, " %7s", lab);
  }
  for (int m = 0; m < 2; m++)
    if (has_model[m]) {
      fprintf(fp, " |");
      for (size_t k = 0; k < nh; k++) {
        char lab[32];
        if (O->window) snprintf(lab, sizeof lab, "%s", models[m]);
        else snprintf(lab, sizeof lab, "%s+%d", models[m], h[k]);
        fprintf(fp, " %9s", lab);
      }
    }
  fprintf(fp, "\n");
  for (size_t st = 0; st < r->nstrata; st++)
    for (int64_t lv = 0; lv < r->strata[st].nlevels; lv++) {
      if (!cohort_report_level_shown(r, su, st, (size_t)lv)) continue;
      cohort_report_level_heading(fp, r, st, (size_t)lv);
      for (size_t g = 0; g < r->ngroups; g++) {
        const peil_cohort_pop *p = cohort_report_find_pop(r, su, g, st, (size_t)lv);
        fprintf(fp, "    %-*s %10s", gw - 2, r->groups[g], cli_count(p ? p->n : 0, buf));
        for (size_t k = 0; k < nh; k++) {
          const peil_cohort_cell *c = find_cell(r, su, g, st, (size_t)lv, o, h[k]);
          cohort_report_value(fp, c ? c->mean : NAN, O->binary, 7);
        }
        for (int m = 0; m < 2; m++)
          if (has_model[m]) {
            fprintf(fp, " |");
            for (size_t k = 0; k < nh; k++) {
              const peil_cohort_adjusted *a =
                  find_adj(r, su, st, (size_t)lv, o, h[k], models[m], g, 0);
              cohort_report_value(fp, a ? a->estimate : NAN, 1, 9);
            }
          }
        fprintf(fp, "\n");
      }
    }
  /* Differences to the reference group, corrected, with their p-values. */
  for (int m = 0; m < 2; m++) {
    if (!has_model[m] || r->ngroups < 2) continue;
    fprintf(fp, "  corrected difference to %s (%s, points; p-value)\n",
            r->groups[r->reference_group], models[m]);
    for (size_t st = 0; st < r->nstrata; st++)
      for (int64_t lv = 0; lv < r->strata[st].nlevels; lv++)
        for (size_t g = 0; g < r->ngroups; g++) {
          if (g == r->reference_group) continue;
          const peil_cohort_adjusted *first = NULL;
          for (size_t k = 0; k < nh && !first; k++)
            first = find_adj(r, su, st, (size_t)lv, o, h[k], models[m], g, 1);
          if (!first) continue;
          char lab[160];
          snprintf(lab, sizeof lab, "%s%s%s", st ? r->strata[st].levels[lv] : "",
                   st ? ": " : "", r->groups[g]);
          fprintf(fp, "    %-*s", gw + 14, lab);
          for (size_t k = 0; k < nh; k++) {
            const peil_cohort_adjusted *a = find_adj(r, su, st, (size_t)lv, o, h[k], models[m], g, 1);
            if (!a) fprintf(fp, " %18s", "NA");
            else fprintf(fp, "  %+6.1f (p %-7.2g)", 100 * a->estimate, a->p_value);
          }
          fprintf(fp, "\n");
        }
  }
}

/* The categories of a "first" outcome (outcomes o .. o + n - 1) in one
 * table: the distribution over the categories per group, uncorrected. */
static void print_family(FILE *fp, const peil_cohort_result *r, size_t su, size_t o, size_t n) {
  int h[1];
  if (!outcome_horizons(r, o, h)) return;
  int gw = (int)group_width(r);
  char buf[32];
  /* a column as wide as its category's name, at least 7 */
#define CW(k) (strlen(r->outcomes[o + (k)].category) > 7 ? (int)strlen(r->outcomes[o + (k)].category) : 7)
  const char *def = r->outcomes[o].definition, *colon = strrchr(def, ':');
  fprintf(fp, "\noutcome %s: %.*s (%% of the observed in each category)\n", r->outcomes[o].family,
          colon ? (int)(colon - def) : (int)strlen(def), def);
  fprintf(fp, "  %-*s %10s", gw, "", "n");
  for (size_t k = 0; k < n; k++) fprintf(fp, " %*s", CW(k), r->outcomes[o + k].category);
  fprintf(fp, "\n");
  for (size_t st = 0; st < r->nstrata; st++)
    for (int64_t lv = 0; lv < r->strata[st].nlevels; lv++) {
      if (!cohort_report_level_shown(r, su, st, (size_t)lv)) continue;
      cohort_report_level_heading(fp, r, st, (size_t)lv);
      for (size_t g = 0; g < r->ngroups; g++) {
        const peil_cohort_cell *c0 = find_cell(r, su, g, st, (size_t)lv, o, h[0]);
        fprintf(fp, "    %-*s %10s", gw - 2, r->groups[g], cli_count(c0 ? c0->n : 0, buf));
        for (size_t k = 0; k < n; k++) {
          const peil_cohort_cell *c = find_cell(r, su, g, st, (size_t)lv, o + k, h[0]);
          cohort_report_value(fp, c ? c->mean : NAN, 1, CW(k));
        }
        fprintf(fp, "\n");
      }
    }
#undef CW
}

static void print_outcomes(FILE *fp, const peil_cohort_result *r, size_t su) {
  for (size_t oc = 0; oc < r->noutcomes;) {
    const char *fam = r->outcomes[oc].family;
    size_t n = 1;
    while (fam && oc + n < r->noutcomes && r->outcomes[oc + n].family &&
           !strcmp(r->outcomes[oc + n].family, fam))
      n++;
    if (fam) print_family(fp, r, su, oc, n);
    for (size_t k = oc; k < oc + n; k++) {
      int corrected = 0;
      for (size_t i = 0; i < r->nadjusted && !corrected; i++)
        corrected = r->adjusted[i].subset == su && r->adjusted[i].outcome == k;
      if (!fam || corrected) print_outcome(fp, r, su, k); /* a category with its corrected shares */
    }
    oc += n;
  }
}

int cohort_report_text(FILE *fp, const peil_cohort_result *const *rs, size_t n,
                       const cohort_report_options *o) {
  (void)o;
  char buf[32], a[12], b[12];
  for (size_t i = 0; i < n; i++) {
    const peil_cohort_result *r = rs[i];
    if (i) fprintf(fp, "\n");
    fprintf(fp, "cohort %s: %s\n", r->name, r->population);
    peil_date_format(r->dates[0], a);
    peil_date_format(r->dates[r->ndates - 1], b);
    fprintf(fp, "  %zu reference date%s %s .. %s, pooled; clock: %s", r->ndates,
            r->ndates == 1 ? "" : "s", a, b, r->clock);
    peil_date_format(r->data_start, a);
    peil_date_format(r->data_end, b);
    fprintf(fp, "; data %s .. %s\n", a, b);
    fprintf(fp, "  %s persons read, ", cli_count(r->n_persons, buf));
    fprintf(fp, "%s in the population, ", cli_count(r->n_persons_in, buf));
    fprintf(fp, "%s person-dates\n", cli_count(r->n_rows, buf));
    if (r->nadjusted) {
      fprintf(fp, "  corrected for");
      for (size_t c = 0; c < r->ncovariates; c++) fprintf(fp, "%s %s", c ? "," : "", r->covariates[c]);
      fprintf(fp, " by marginal standardisation; SEs clustered on rin\n");
    }
    for (size_t su = 0; su < r->nsubsets; su++) {
      const peil_cohort_pop *p = NULL;
      int64_t tot = 0;
      for (size_t g = 0; g < r->ngroups; g++)
        if ((p = cohort_report_find_pop(r, su, g, 0, 0))) tot += p->n;
      fprintf(fp, "\n== subset %s (%s): %s person-dates\n", r->subsets[su],
              r->subset_definitions[su], cli_count(tot, buf));
      print_population(fp, r, su);
      print_outcomes(fp, r, su);
      cohort_report_transitions_text(fp, r, su);
      cohort_report_cooccur_text(fp, r, su);
    }
  }
  return ferror(fp) ? peil_error(PEIL_EIO, "writing the report failed") : PEIL_OK;
}

/* ---- JSON */

static json_t *date_or_pooled(int32_t d) {
  if (d == PEIL_NA_DATE) return json_string("pooled");
  char buf[12];
  peil_date_format(d, buf);
  return json_string(buf);
}

static json_t *strings(char *const *v, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(v[i]));
  return a;
}

json_t *cohort_report_cell_keys(const peil_cohort_result *r, size_t subset, int32_t date,
                                size_t group, size_t stratum, size_t level) {
  json_t *o = json_object();
  json_object_set_new(o, "subset", json_string(r->subsets[subset]));
  json_object_set_new(o, "date", date_or_pooled(date));
  json_object_set_new(o, "group", json_string(r->groups[group]));
  json_object_set_new(o, "stratum", json_string(r->strata[stratum].name));
  json_object_set_new(o, "level", json_string(r->strata[stratum].levels[level]));
  return o;
}

static json_t *cohort_json(const peil_cohort_result *r) {
  json_t *c = json_object();
  char buf[12];
  json_object_set_new(c, "name", json_string(r->name));
  json_object_set_new(c, "population", json_string(r->population));
  json_object_set_new(c, "clock", json_string(r->clock));
  json_t *dates = json_array();
  for (size_t i = 0; i < r->ndates; i++) json_array_append_new(dates, date_or_pooled(r->dates[i]));
  json_object_set_new(c, "dates", dates);
  peil_date_format(r->data_start, buf);
  json_object_set_new(c, "data_start", json_string(buf));
  peil_date_format(r->data_end, buf);
  json_object_set_new(c, "data_end", json_string(buf));
  json_t *subsets = json_array();
  for (size_t i = 0; i < r->nsubsets; i++)
    json_array_append_new(subsets, json_pack("{s:s,s:s}", "name", r->subsets[i], "definition",
                                             r->subset_definitions[i]));
  json_object_set_new(c, "subsets", subsets);
  json_object_set_new(c, "group_column", r->group_column ? json_string(r->group_column) : json_null());
  json_object_set_new(c, "groups", strings(r->groups, r->ngroups));
  json_object_set_new(c, "reference_group", json_string(r->groups[r->reference_group]));
  json_t *strata = json_array();
  for (size_t i = 0; i < r->nstrata; i++)
    json_array_append_new(strata, json_pack("{s:s,s:o}", "name", r->strata[i].name, "levels",
                                            strings(r->strata[i].levels, (size_t)r->strata[i].nlevels)));
  json_object_set_new(c, "strata", strata);
  json_t *outcomes = json_array();
  for (size_t i = 0; i < r->noutcomes; i++) {
    const peil_cohort_outcome *O = &r->outcomes[i];
    json_t *o = json_pack("{s:s,s:s,s:b,s:b,s:o,s:o}", "name", O->name, "definition", O->definition,
                          "binary", O->binary, "window", O->window,
                          "family", O->family ? json_string(O->family) : json_null(),
                          "category", O->category ? json_string(O->category) : json_null());
    /* the window's months, [A, B] (its horizon in the tables is B) */
    json_object_set_new(o, "window_months",
                        O->window ? json_pack("[i,i]", O->window_from, O->window_to) : json_null());
    json_array_append_new(outcomes, o);
  }
  json_object_set_new(c, "outcomes", outcomes);
  json_t *hz = json_array();
  for (size_t i = 0; i < r->nhorizons; i++) json_array_append_new(hz, json_integer(r->horizons[i]));
  json_object_set_new(c, "horizons", hz);
  json_object_set_new(c, "covariates", strings(r->covariates, r->ncovariates));
  json_object_set_new(c, "rows",
                      json_pack("{s:I,s:I,s:I,s:I}", "persons", (json_int_t)r->n_persons,
                                "persons_in_population", (json_int_t)r->n_persons_in,
                                "person_dates", (json_int_t)r->n_rows, "orphan_spells",
                                (json_int_t)r->n_orphan_spells));

  json_t *pop = json_array();
  for (size_t i = 0; i < r->npop; i++) {
    const peil_cohort_pop *p = &r->pop[i];
    json_t *o = cohort_report_cell_keys(r, p->subset, p->date, p->group, p->stratum, p->level);
    json_object_set_new(o, "n", json_integer(p->n));
    json_object_set_new(o, "share", cli_json_real(p->share));
    json_array_append_new(pop, o);
  }
  json_object_set_new(c, "population_table", pop);
  json_t *cells = json_array();
  for (size_t i = 0; i < r->ncells; i++) {
    const peil_cohort_cell *p = &r->cells[i];
    json_t *o = cohort_report_cell_keys(r, p->subset, p->date, p->group, p->stratum, p->level);
    json_object_set_new(o, "outcome", json_string(r->outcomes[p->outcome].name));
    json_object_set_new(o, "horizon", json_integer(p->horizon));
    json_object_set_new(o, "n", json_integer(p->n));
    json_object_set_new(o, "censored", json_integer(p->censored));
    json_object_set_new(o, "sum", json_real(p->sum));
    json_object_set_new(o, "mean", cli_json_real(p->mean));
    json_array_append_new(cells, o);
  }
  json_object_set_new(c, "outcome_table", cells);
  json_t *adj = json_array();
  for (size_t i = 0; i < r->nadjusted; i++) {
    const peil_cohort_adjusted *p = &r->adjusted[i];
    json_t *o = json_object();
    json_object_set_new(o, "subset", json_string(r->subsets[p->subset]));
    json_object_set_new(o, "stratum", json_string(r->strata[p->stratum].name));
    json_object_set_new(o, "level", json_string(r->strata[p->stratum].levels[p->level]));
    json_object_set_new(o, "outcome", json_string(r->outcomes[p->outcome].name));
    json_object_set_new(o, "horizon", json_integer(p->horizon));
    json_object_set_new(o, "model", json_string(p->model));
    json_object_set_new(o, "group", json_string(r->groups[p->group]));
    json_object_set_new(o, "term", json_string(p->is_diff ? "difference" : "adjusted_share"));
    json_object_set_new(o, "estimate", cli_json_real(p->estimate));
    json_object_set_new(o, "std_error", cli_json_real(p->std_error));
    json_object_set_new(o, "statistic", cli_json_real(p->statistic));
    json_object_set_new(o, "p_value", cli_json_real(p->p_value));
    json_object_set_new(o, "conf_low", cli_json_real(p->conf_low));
    json_object_set_new(o, "conf_high", cli_json_real(p->conf_high));
    json_object_set_new(o, "n", json_integer(p->n));
    json_array_append_new(adj, o);
  }
  json_object_set_new(c, "corrected_table", adj);
  cohort_report_matrix_json(c, r);
  json_object_set_new(c, "warnings", strings(r->warnings, r->nwarnings));
  json_object_set_new(c, "seconds", json_pack("{s:f,s:f}", "scan", r->seconds_scan, "correct",
                                              r->seconds_correct));
  return c;
}

int cohort_report_json(FILE *fp, const peil_cohort_result *const *rs, size_t n,
                       const cohort_report_options *o) {
  json_t *doc = json_object();
  json_object_set_new(doc, "peil_version", json_string(peil_version()));
  json_object_set_new(doc, "command", json_string("cohort"));
  json_object_set_new(doc, "store", json_string(o->store));
  json_object_set_new(doc, "spec", json_string(o->spec));
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(arr, cohort_json(rs[i]));
  json_object_set_new(doc, "cohorts", arr);
  return cli_json_write(fp, doc);
}

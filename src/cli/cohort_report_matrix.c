/* The cohort tables that are matrices: transitions between states (from
 * state down, to state across, % of the row) and co-occurrence of
 * categories (category A down, % of A's person-dates that also have B
 * across), per subset, stratum level and group; as text and as JSON
 * arrays of row objects. */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "cli.h"
#include "cohort_report.h"

static size_t states_width(const peil_cohort_result *r) {
  size_t w = 8;
  for (size_t i = 0; i < r->nstates; i++)
    if (strlen(r->states[i]) + 1 > w) w = strlen(r->states[i]) + 1;
  return w;
}

/* One matrix: the entries of one cell and step, in from-major order. */
static void print_matrix(FILE *fp, const peil_cohort_result *r, const peil_cohort_transition *t) {
  int w = (int)states_width(r);
  char buf[32];
  size_t S = r->nstates;
  char corner[64];
  snprintf(corner, sizeof corner, "%d \\ %d", r->moments[t->step], r->moments[t->step + 1]);
  fprintf(fp, "      %-*s %10s", w, corner, "n");
  for (size_t b = 0; b < S; b++) fprintf(fp, " %*s", w, r->states[b]);
  fprintf(fp, "\n");
  for (size_t a = 0; a < S; a++) {
    int64_t row = 0;
    for (size_t b = 0; b < S; b++) row += t[a * S + b].n;
    fprintf(fp, "      %-*s %10s", w, r->states[a], cli_count(row, buf));
    for (size_t b = 0; b < S; b++) cohort_report_value(fp, t[a * S + b].share, 1, w);
    fprintf(fp, "\n");
  }
}

static int by_n_desc(const void *x, const void *y) {
  const peil_cohort_path *a = *(const peil_cohort_path *const *)x, *b = *(const peil_cohort_path *const *)y;
  if (a->n != b->n) return a->n < b->n ? 1 : -1;
  return a < b ? -1 : a > b; /* stable: the order of the paths */
}

static void print_paths(FILE *fp, const peil_cohort_result *r, size_t su, size_t g, size_t st,
                        size_t lv) {
  const peil_cohort_path **v = malloc((r->npaths + 1) * sizeof *v);
  if (!v) return;
  size_t n = 0;
  for (size_t i = 0; i < r->npaths; i++) {
    const peil_cohort_path *p = &r->paths[i];
    if (p->date == PEIL_NA_DATE && p->subset == su && p->group == g && p->stratum == st && p->level == lv)
      v[n++] = p;
  }
  qsort(v, n, sizeof *v, by_n_desc);
  char buf[32];
  int w = (int)(3 * states_width(r)) + 6;
  char head[64];
  snprintf(head, sizeof head, "paths %d > %d > %d", r->moments[0], r->moments[1], r->moments[2]);
  fprintf(fp, "      %-*s %10s %7s\n", w, head, "n", "%");
  for (size_t i = 0; i < n; i++) {
    char lab[256];
    snprintf(lab, sizeof lab, "%s > %s > %s", r->states[v[i]->state[0]], r->states[v[i]->state[1]],
             r->states[v[i]->state[2]]);
    fprintf(fp, "      %-*s %10s", w, lab, cli_count(v[i]->n, buf));
    cohort_report_value(fp, v[i]->share, 1, 7);
    fprintf(fp, "\n");
  }
  free(v);
}

void cohort_report_transitions_text(FILE *fp, const peil_cohort_result *r, size_t su) {
  if (!r->nstates) return;
  size_t S = r->nstates;
  fprintf(fp, "\ntransitions between states at month");
  for (size_t k = 0; k < r->nmoments; k++) fprintf(fp, "%s %d", k ? (k + 1 == r->nmoments ? " and" : ",") : "", r->moments[k]);
  fprintf(fp, " (%% of the row; person-dates observed at every moment)\n");
  for (size_t st = 0; st < r->nstrata; st++)
    for (int64_t lv = 0; lv < r->strata[st].nlevels; lv++) {
      if (!cohort_report_level_shown(r, su, st, (size_t)lv)) continue;
      cohort_report_level_heading(fp, r, st, (size_t)lv);
      for (size_t g = 0; g < r->ngroups; g++) {
        if (!cohort_report_find_pop(r, su, g, st, (size_t)lv)) continue;
        fprintf(fp, "    %s\n", r->groups[g]);
        for (size_t step = 0; step + 1 < r->nmoments; step++)
          for (size_t i = 0; i < r->ntransitions; i++) {
            const peil_cohort_transition *t = &r->transitions[i];
            if (t->date == PEIL_NA_DATE && t->subset == su && t->group == g && t->stratum == st &&
                t->level == (size_t)lv && t->step == step) {
              print_matrix(fp, r, t); /* the S*S entries of a matrix are consecutive */
              i += S * S - 1;
              break;
            }
          }
        if (r->nmoments == 3) print_paths(fp, r, su, g, st, (size_t)lv);
      }
    }
}

void cohort_report_cooccur_text(FILE *fp, const peil_cohort_result *r, size_t su) {
  char buf[32];
  for (size_t c = 0; c < r->ncooccurrences; c++) {
    const peil_cohort_cooccurrence *C = &r->cooccurrences[c];
    size_t w = 8;
    for (size_t k = 0; k < C->nlevels; k++)
      if (strlen(C->levels[k]) + 6 > w) w = strlen(C->levels[k]) + 6;
    fprintf(fp, "\nco-occurrence %s: %s (of the person-dates with A, %% that also have B)\n", C->name,
            C->definition);
    for (size_t st = 0; st < r->nstrata; st++)
      for (int64_t lv = 0; lv < r->strata[st].nlevels; lv++) {
        if (!cohort_report_level_shown(r, su, st, (size_t)lv)) continue;
        cohort_report_level_heading(fp, r, st, (size_t)lv);
        for (size_t g = 0; g < r->ngroups; g++) {
          if (!cohort_report_find_pop(r, su, g, st, (size_t)lv)) continue;
          /* the entries of this cell: a-major, for the levels present */
          size_t first = r->ncooc_cells, n = 0;
          for (size_t i = 0; i < r->ncooc_cells; i++) {
            const peil_cohort_cooc_cell *e = &r->cooc_cells[i];
            if (e->cooccurrence == c && e->date == PEIL_NA_DATE && e->subset == su &&
                e->group == g && e->stratum == st && e->level == (size_t)lv) {
              if (first == r->ncooc_cells) first = i;
              n++;
            }
          }
          if (!n) {
            fprintf(fp, "    %s: nobody has any\n", r->groups[g]);
            continue;
          }
          size_t m = (size_t)sqrt((double)n); /* levels present: the entries are m x m */
          const peil_cohort_cooc_cell *e = &r->cooc_cells[first];
          fprintf(fp, "    %-*s %10s", (int)w, r->groups[g], "n");
          for (size_t b = 0; b < m; b++) {
            char lab[24];
            snprintf(lab, sizeof lab, "[%zu]", b + 1);
            fprintf(fp, " %8s", lab);
          }
          fprintf(fp, "\n");
          for (size_t a = 0; a < m; a++) {
            char lab[256];
            snprintf(lab, sizeof lab, "[%zu] %s", a + 1, C->levels[e[a * m].a]);
            fprintf(fp, "    %-*s %10s", (int)w, lab, cli_count(e[a * m].n_a, buf));
            for (size_t b = 0; b < m; b++) cohort_report_value(fp, e[a * m + b].share, 1, 8);
            fprintf(fp, "\n");
          }
        }
      }
  }
}

/* ---- JSON */

void cohort_report_matrix_json(json_t *c, const peil_cohort_result *r) {
  if (r->nstates) {
    json_t *st = json_array(), *mo = json_array(), *tr = json_array();
    for (size_t i = 0; i < r->nstates; i++) json_array_append_new(st, json_string(r->states[i]));
    for (size_t i = 0; i < r->nmoments; i++) json_array_append_new(mo, json_integer(r->moments[i]));
    for (size_t i = 0; i < r->ntransitions; i++) {
      const peil_cohort_transition *t = &r->transitions[i];
      json_t *o = cohort_report_cell_keys(r, t->subset, t->date, t->group, t->stratum, t->level);
      json_object_set_new(o, "from_month", json_integer(r->moments[t->step]));
      json_object_set_new(o, "to_month", json_integer(r->moments[t->step + 1]));
      json_object_set_new(o, "from", json_string(r->states[t->from]));
      json_object_set_new(o, "to", json_string(r->states[t->to]));
      json_object_set_new(o, "n", json_integer(t->n));
      json_object_set_new(o, "share", cli_json_real(t->share));
      json_array_append_new(tr, o);
    }
    json_object_set_new(c, "states", st);
    json_object_set_new(c, "transition_months", mo);
    json_object_set_new(c, "transition_table", tr);
    if (r->nmoments == 3) {
      json_t *pa = json_array();
      for (size_t i = 0; i < r->npaths; i++) {
        const peil_cohort_path *p = &r->paths[i];
        json_t *o = cohort_report_cell_keys(r, p->subset, p->date, p->group, p->stratum, p->level);
        json_t *path = json_array();
        for (int k = 0; k < 3; k++) json_array_append_new(path, json_string(r->states[p->state[k]]));
        json_object_set_new(o, "path", path);
        json_object_set_new(o, "n", json_integer(p->n));
        json_object_set_new(o, "share", cli_json_real(p->share));
        json_array_append_new(pa, o);
      }
      json_object_set_new(c, "path_table", pa);
    }
  }
  if (r->ncooccurrences) {
    json_t *defs = json_array(), *tab = json_array();
    for (size_t i = 0; i < r->ncooccurrences; i++) {
      const peil_cohort_cooccurrence *C = &r->cooccurrences[i];
      json_t *lv = json_array();
      for (size_t k = 0; k < C->nlevels; k++) json_array_append_new(lv, json_string(C->levels[k]));
      json_array_append_new(defs, json_pack("{s:s,s:s,s:o}", "name", C->name, "definition",
                                            C->definition, "levels", lv));
    }
    for (size_t i = 0; i < r->ncooc_cells; i++) {
      const peil_cohort_cooc_cell *e = &r->cooc_cells[i];
      const peil_cohort_cooccurrence *C = &r->cooccurrences[e->cooccurrence];
      json_t *o = cohort_report_cell_keys(r, e->subset, e->date, e->group, e->stratum, e->level);
      json_object_set_new(o, "cooccurrence", json_string(C->name));
      json_object_set_new(o, "a", json_string(C->levels[e->a]));
      json_object_set_new(o, "b", json_string(C->levels[e->b]));
      json_object_set_new(o, "n_a", json_integer(e->n_a));
      json_object_set_new(o, "n_ab", json_integer(e->n_ab));
      json_object_set_new(o, "share", cli_json_real(e->share));
      json_array_append_new(tab, o);
    }
    json_object_set_new(c, "cooccurrences", defs);
    json_object_set_new(c, "cooccurrence_table", tab);
  }
}

/* peil_cohort_run: sets up the engine from the spec and the store, makes the
 * pass over the persons (scan.c), turns the counts into tables and runs
 * the correction (correct.c). */
#define _GNU_SOURCE /* vasprintf */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "cohort_internal.h"

void peil_cohort_options_init(peil_cohort_options *o) { memset(o, 0, sizeof *o); }

int cohort_result_add_warning(peil_cohort_result *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = peil_strings_vaddf(&r->warnings, &r->nwarnings, fmt, ap);
  va_end(ap);
  return rc;
}

/* A formatted copy (vasprintf: no length limit), NULL when out of memory. */
char *cohort_dupf(const char *fmt, ...) {
  char *s;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&s, fmt, ap);
  va_end(ap);
  return n < 0 ? NULL : s;
}

/* The index of table `name` among the engine's tables, opening it if new. */
int cohort_use_table(cohort_engine *E, const char *name, int line, int *idx) {
  for (size_t i = 0; i < E->ntables; i++)
    if (strcmp(E->tables[i].name, name) == 0) {
      *idx = (int)i;
      return PEIL_OK;
    }
  spell_table *v = realloc(E->tables, (E->ntables + 1) * sizeof *v);
  if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
  E->tables = v;
  *idx = (int)E->ntables;
  int rc = spell_table_open(&v[E->ntables], E->store, name, NULL, E->spec);
  E->ntables++; /* closed with the others, even half-open */
  if (rc == PEIL_ENOTFOUND && line > 0)
    return cohort_spec_error(E->spec, line, rc, "the store %s has no table '%s'",
                             peil_store_path(E->store), name);
  return rc;
}

int cohort_use_status(cohort_engine *E, const status_def *st, int line, int *table, int *bit) {
  int rc = cohort_use_table(E, st->table, line, table);
  *bit = -1;
  if (!rc && st->where) rc = spell_table_add_condition(&E->tables[*table], st->where, E->spec, line, bit);
  return rc;
}

void cohort_store_coverage(peil_store *st, int32_t *start, int32_t *end) {
  static const char *keys[2][2] = {{"data_start", "sim_from"}, {"data_end", "sim_to"}};
  int32_t *dst[2] = {start, end};
  for (int i = 0; i < 2; i++)
    for (int k = 0; k < 2 && *dst[i] == PEIL_NA_DATE; k++) {
      char *v = NULL;
      if (peil_store_get_attr_str(st, NULL, keys[i][k], &v) == PEIL_OK && v) {
        if (peil_date_parse(v, strlen(v), dst[i]))
          *dst[i] = PEIL_NA_DATE;
      }
      free(v);
    }
  peil_error_clear();
}

/* The data's coverage: the spec's data_start/data_end, else the store's
 * (cohort_store_coverage). */
static int coverage(cohort_engine *E) {
  const peil_cohort_spec *s = E->spec;
  E->data_start = s->data_start;
  E->data_end = s->data_end;
  cohort_store_coverage(E->store, &E->data_start, &E->data_end);
  for (int i = 0; i < 2; i++)
    if ((i ? E->data_end : E->data_start) == PEIL_NA_DATE) {
      const char *key = i ? "data_end" : "data_start";
      return cohort_spec_error(s, s->line, PEIL_EINVAL,
                               "the store %s does not say when its data %s (no root attribute %s): "
                               "set %s in the spec",
                               peil_store_path(E->store), i ? "end" : "start", key, key);
    }
  char a[12], b[12], d[12];
  peil_date_format(E->data_start, a);
  peil_date_format(E->data_end, b);
  for (size_t i = 0; i < s->ndates; i++)
    if (s->dates[i] < E->data_start || s->dates[i] > E->data_end) {
      peil_date_format(s->dates[i], d);
      return cohort_spec_error(s, s->dates_line, PEIL_EINVAL,
                               "reference date %s lies outside the data (%s .. %s)", d, a, b);
    }
  return PEIL_OK;
}

static int setup_groups(cohort_engine *E) {
  const peil_cohort_spec *s = E->spec;
  peil_cohort_result *R = E->res;
  spell_table *pop = &E->tables[0];
  if (!pop->has_group) {
    if (s->groups.n)
      return cohort_spec_error(s, s->groups.line, PEIL_EINVAL, "groups needs a group column");
    R->ngroups = 1;
    R->groups = calloc(1, sizeof *R->groups);
    if (!R->groups || !(R->groups[0] = strdup("all"))) return peil_error(PEIL_ENOMEM, "out of memory");
    E->ngroup_codes = 0;
    return PEIL_OK;
  }
  const peil_column_info *c = &pop->info->cols[peil_table_info_find(pop->info, pop->group_col)];
  E->ngroup_codes = c->nlevels;
  E->group_of_code = malloc((c->nlevels + 1) * sizeof *E->group_of_code);
  size_t ng = s->groups.n ? s->groups.n : c->nlevels;
  R->groups = calloc(ng + 1, sizeof *R->groups);
  if (!E->group_of_code || !R->groups || !(R->group_column = strdup(pop->group_col)))
    return peil_error(PEIL_ENOMEM, "out of memory");
  R->ngroups = ng; /* filled below; a failure frees what is there */
  for (size_t k = 0; k < c->nlevels; k++) E->group_of_code[k] = s->groups.n ? -1 : (int32_t)k;
  for (size_t g = 0; g < ng; g++) {
    size_t code = g;
    if (s->groups.n) {
      for (code = 0; code < c->nlevels && strcmp(c->levels[code], s->groups.v[g]); code++) {
      }
      if (code == c->nlevels)
        return cohort_spec_error(s, s->groups.line, PEIL_ENOTFOUND,
                                 "groups: '%s' is not a level of %s.%s", s->groups.v[g], pop->name,
                                 pop->group_col);
      E->group_of_code[code] = (int32_t)g;
    }
    if (!(R->groups[g] = strdup(c->levels[code]))) return peil_error(PEIL_ENOMEM, "out of memory");
  }
  if (s->reference_group) {
    size_t g = 0;
    while (g < ng && strcmp(R->groups[g], s->reference_group)) g++;
    if (g == ng)
      return cohort_spec_error(s, s->reference_line, PEIL_ENOTFOUND,
                               "reference_group: '%s' is not one of the groups", s->reference_group);
    R->reference_group = g;
  }
  return PEIL_OK;
}

static int describe(cohort_engine *E) {
  const peil_cohort_spec *s = E->spec;
  peil_cohort_result *R = E->res;
  const char *t = s->spells;
  char a[12], b[12];
  if (s->pop == POP_STOCK) R->population = cohort_dupf("stock of %s on the reference date", t);
  else if (s->pop == POP_INFLOW) R->population = cohort_dupf("inflow into %s in the %d month%s from the reference date", t, s->period,
                                                           s->period == 1 ? "" : "s");
  else if (s->exit_from != PEIL_NA_DATE) {
    peil_date_format(s->exit_from, a);
    peil_date_format(s->exit_to, b);
    R->population = cohort_dupf("last ended %s spell before the reference date, ended %s .. %s", t, a, b);
  } else
    R->population = cohort_dupf("last ended %s spell before the reference date", t);
  R->name = strdup(s->name);
  R->clock = strdup(s->clock == CLOCK_EVENT ? "event" : "calendar");
  R->dates = malloc(s->ndates * sizeof *R->dates);
  R->horizons = malloc((s->horizons.n + 1) * sizeof *R->horizons);
  R->nsubsets = s->nsubsets + 1;
  R->subsets = calloc(R->nsubsets, sizeof *R->subsets);
  R->subset_definitions = calloc(R->nsubsets, sizeof *R->subset_definitions);
  if (!R->population || !R->name || !R->clock || !R->dates || !R->horizons || !R->subsets ||
      !R->subset_definitions)
    return peil_error(PEIL_ENOMEM, "out of memory");
  memcpy(R->dates, s->dates, s->ndates * sizeof *R->dates);
  R->ndates = s->ndates;
  if (s->horizons.n) memcpy(R->horizons, s->horizons.v, s->horizons.n * sizeof *R->horizons);
  R->nhorizons = s->horizons.n;
  R->data_start = E->data_start;
  R->data_end = E->data_end;
  if (!(R->subsets[0] = strdup("all")) || !(R->subset_definitions[0] = cohort_dupf("the whole population")))
    return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t i = 0; i < s->nsubsets; i++)
    if (!(R->subsets[i + 1] = strdup(s->subsets[i].name)) ||
        !(R->subset_definitions[i + 1] = cohort_dupf("on %s", s->subsets[i].text)))
      return peil_error(PEIL_ENOMEM, "out of memory");
  return PEIL_OK;
}

static int setup(cohort_engine *E) {
  const peil_cohort_spec *s = E->spec;
  int rc;
  if ((rc = coverage(E)) || (rc = describe(E))) return rc;
  /* The population's table first, with its group column. */
  if (!(E->tables = calloc(1, sizeof *E->tables))) return peil_error(PEIL_ENOMEM, "out of memory");
  E->ntables = 1;
  const char *group = s->group;
  if (!group) { /* default: municipality when the table has one */
    peil_table_info *ti = NULL;
    if (peil_store_has_table(E->store, s->spells) && !peil_store_table_info(E->store, s->spells, &ti))
      group = peil_table_info_find(ti, "municipality") >= 0 ? "municipality" : "";
    peil_table_info_free(ti);
    if (!group) group = "";
  }
  if ((rc = spell_table_open(&E->tables[0], E->store, s->spells, group[0] ? group : NULL, s)))
    return rc;
  if ((rc = setup_groups(E))) return rc;
  if (!(E->subset_table = calloc(s->nsubsets + 1, sizeof *E->subset_table)) ||
      !(E->subset_bit = calloc(s->nsubsets + 1, sizeof *E->subset_bit)))
    return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t i = 0; i < s->nsubsets; i++)
    if ((rc = cohort_use_status(E, &s->subsets[i].st, s->subsets[i].line, &E->subset_table[i],
                         &E->subset_bit[i])))
      return rc;
  if ((rc = cohort_outcomes_setup(E)) || (rc = cohort_transitions_setup(E)) ||
      (rc = cohort_cooccur_setup(E)))
    return rc;
  for (size_t i = 0; i < s->exclusive.n; i++) {
    int t;
    if ((rc = cohort_use_table(E, s->exclusive.v[i], s->exclusive.line, &t))) return rc;
    E->tables[t].exclusive = 1;
  }
  if ((rc = cohort_vars_resolve(E))) return rc;
  for (size_t i = 0; i < E->ntables; i++)
    if ((rc = spell_table_start(&E->tables[i], E->store))) return rc;
  size_t cells = cohort_ncells(E);
  E->counts = calloc(cells * E->nslots * 3, sizeof *E->counts);
  E->popcount = calloc(cells, sizeof *E->popcount);
  if (!E->counts || !E->popcount) return peil_error(PEIL_ENOMEM, "out of memory");
  if ((rc = cohort_transitions_start(E)) || (rc = cohort_cooccur_start(E))) return rc;
  return PEIL_OK;
}

/* ---- From counts to the result's tables. */

static int build_tables(cohort_engine *E) {
  const peil_cohort_spec *s = E->spec;
  peil_cohort_result *R = E->res;
  size_t S = R->nsubsets, D = s->ndates + 1, G = R->ngroups, L = E->nlevels_flat, K = E->nslots;
  size_t max = S * D * G * L;
  R->cells = calloc(max * K, sizeof *R->cells);
  R->pop = calloc(max, sizeof *R->pop);
  if (!R->cells || !R->pop) return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t su = 0; su < S; su++)
    for (size_t d = 0; d < D; d++) {
      int pooled = d == D - 1;
      if (!pooled && !s->by_date) continue;
      for (size_t g = 0; g < G; g++)
        for (size_t st = 0; st < R->nstrata; st++)
          for (int64_t lv = 0; lv < R->strata[st].nlevels; lv++) {
            size_t base = ((su * D + d) * G + g) * L;
            size_t cell = base + E->level_base[st] + (size_t)lv;
            int missing_level = st > 0 && lv == R->strata[st].nlevels - 1;
            if (missing_level && E->popcount[cell] == 0) continue;
            peil_cohort_pop *p = &R->pop[R->npop++];
            p->subset = su;
            p->date = pooled ? PEIL_NA_DATE : s->dates[d];
            p->group = g;
            p->stratum = st;
            p->level = (size_t)lv;
            p->n = E->popcount[cell];
            int64_t all = E->popcount[base];
            p->share = all ? (double)p->n / (double)all : 0.0 / 0.0;
            for (size_t k = 0; k < K; k++) {
              const double *c = &E->counts[(cell * K + k) * 3];
              peil_cohort_cell *o = &R->cells[R->ncells++];
              o->subset = su;
              o->date = p->date;
              o->group = g;
              o->stratum = st;
              o->level = (size_t)lv;
              o->outcome = E->slots[k].outcome;
              o->horizon = E->slots[k].horizon;
              o->n = (int64_t)c[0];
              o->censored = (int64_t)c[1];
              o->sum = c[2];
              o->mean = o->n ? c[2] / c[0] : 0.0 / 0.0;
            }
          }
    }
  /* Censoring and empty subsets, said once (pooled, stratum "all"). */
  for (size_t k = 0; k < K; k++) {
    double n = 0, cens = 0;
    for (size_t g = 0; g < G; g++) {
      const double *c = &E->counts[(((D - 1) * G + g) * L * K + k) * 3];
      n += c[0];
      cens += c[1];
    }
    if (cens > 0) {
      char why[160];
      int window = R->outcomes[E->slots[k].outcome].window;
      cohort_censored_why(E, E->slots[k].censored_sides,
                          window ? "the window starts" : "the horizon lies",
                          window ? "the window ends" : "the horizon lies", why, sizeof why);
      int rc = cohort_result_add_warning(
          R, "%s: %.0f of %.0f person-dates censored (%s); shares are of the %.0f observed",
          E->slots[k].column, cens, n + cens, why, n);
      if (rc) return rc;
    }
  }
  for (size_t su = 1; su < S; su++) {
    int64_t n = 0;
    for (size_t g = 0; g < G; g++) n += E->popcount[(((su * D) + D - 1) * G + g) * L];
    if (n == 0) {
      int rc = cohort_result_add_warning(R, "subset %s is empty: nobody in the population is %s",
                                         R->subsets[su], R->subset_definitions[su]);
      if (rc) return rc;
    }
  }
  return PEIL_OK;
}

static void engine_free(cohort_engine *E) {
  for (size_t i = 0; i < E->ntables; i++) spell_table_close(&E->tables[i]);
  free(E->tables);
  free(E->subset_table);
  free(E->subset_bit);
  cohort_vars_free(E);
  free(E->group_of_code);
  for (size_t k = 0; k < E->nslots; k++) {
    free(E->slots[k].column);
    free(E->slots[k].none_tables);
  }
  free(E->slots);
  free(E->counts);
  free(E->popcount);
  free(E->cal);
  free(E->date_parts);
  cohort_transitions_free(E);
  cohort_cooccur_free(E);
  cohort_rows_free(E->rows);
  cohort_rows_free(E->cells);
}

/* ---- Threads: the persons are split into parts of consecutive rows, one
 * engine per part, each with its own scans (restricted to the rows of its
 * rins in every table), counts and row writers. The counts are integers,
 * summed in the order of the parts; the rows of the later parts are
 * appended after the first's: the result is the same for any number of
 * parts. */

#define MIN_PERSONS_PER_PART 50000 /* below this a thread costs more than it saves */
#define MAX_PARTS 16

static void engine_init(cohort_engine *E, peil_store *st, const peil_cohort_spec *spec) {
  memset(E, 0, sizeof *E);
  E->spec = spec;
  E->store = st;
  E->rin_begin = INT64_MIN;
  E->rin_end = INT64_MAX;
}

/* The first row of `t` (sorted by rin) whose rin is >= rin: a binary search
 * over blocks, then within the block. On a table that is not sorted the
 * answer is some row; the parts then find the rows out of place. */
static int rin_lower_bound(peil_store *st, const spell_table *t, int64_t rin, int64_t *row) {
  peil_scan *sc;
  const char *col = "rin";
  int rc = peil_scan_open(st, t->name, &col, 1, 0, &sc);
  if (rc) return rc;
  int64_t n = peil_scan_nrows(sc), lo = 0, hi = n; /* the answer is in [lo, hi] */
  peil_block b;
  while (!rc && hi - lo > 0) {
    int64_t mid = lo + (hi - lo) / 2;
    int64_t bstart = mid - mid % PEIL_BLOCK_ROWS;
    size_t bn = (size_t)(n - bstart < PEIL_BLOCK_ROWS ? n - bstart : PEIL_BLOCK_ROWS);
    if ((rc = peil_scan_read(sc, bstart, bn, &b))) break;
    int64_t first = t->rin64 ? ((const int64_t *)b.cols[0])[0] : ((const int32_t *)b.cols[0])[0];
    int64_t last = t->rin64 ? ((const int64_t *)b.cols[0])[bn - 1] : ((const int32_t *)b.cols[0])[bn - 1];
    if (last < rin) lo = bstart + (int64_t)bn;
    else if (first >= rin) hi = bstart;
    else { /* inside this block */
      size_t i = 0;
      while (i < bn && (t->rin64 ? ((const int64_t *)b.cols[0])[i] : ((const int32_t *)b.cols[0])[i]) < rin) i++;
      lo = hi = bstart + (int64_t)i;
    }
    if (hi < lo) hi = lo;
  }
  peil_scan_close(sc);
  *row = lo;
  return rc;
}

/* How many parts: one per thread, fewer for a small person table. */
static size_t parts_for(const cohort_engine *E, const peil_cohort_options *o) {
  int64_t n = peil_scan_nrows(E->persons);
  int threads = o->threads > 0 ? o->threads : omp_get_num_procs();
  int64_t by_size = n / (o->part_persons > 0 ? o->part_persons : MIN_PERSONS_PER_PART);
  int64_t parts = threads < by_size ? threads : by_size;
  if (parts > MAX_PARTS) parts = MAX_PARTS;
  return parts < 1 ? 1 : (size_t)parts;
}

/* Sets engine k's rows and rins in every table (the engines are set up). */
static int split(cohort_engine *E, size_t nparts) {
  int64_t n = peil_scan_nrows(E[0].persons);
  int64_t rins[MAX_PARTS + 1];
  for (size_t k = 0; k <= nparts; k++) {
    int64_t row = n * (int64_t)k / (int64_t)nparts;
    if (k == 0 || k == nparts) {
      rins[k] = k ? INT64_MAX : INT64_MIN;
      continue;
    }
    peil_block b;
    int rc = peil_scan_read(E[0].persons, row, 1, &b);
    if (rc) return rc;
    rins[k] = E[0].persons_rin64 ? ((const int64_t *)b.cols[E[0].slot_rin])[0]
                                 : ((const int32_t *)b.cols[E[0].slot_rin])[0];
  }
  /* The first row of each part in every table. On a table that is not
   * sorted the binary search may answer anything: the bounds are made
   * increasing, so the parts still cover every row once, and a row whose
   * rin lies outside its part's is found as out of order. */
  int64_t bound[MAX_PARTS + 1];
  for (size_t t = 0; t < E[0].ntables; t++) {
    const spell_table *T = &E[0].tables[t];
    bound[0] = 0;
    bound[nparts] = peil_scan_nrows(T->scan);
    for (size_t k = 1; k < nparts; k++) {
      int rc = rin_lower_bound(E[0].store, T, rins[k], &bound[k]);
      if (rc) return rc;
      if (bound[k] < bound[k - 1]) bound[k] = bound[k - 1];
    }
    for (size_t k = 0; k < nparts; k++) {
      spell_table *P = &E[k].tables[t];
      int rc = peil_scan_restrict(P->scan, bound[k], bound[k + 1]);
      if (rc) return rc;
      P->rin_begin = rins[k];
      P->rin_end = rins[k + 1];
    }
  }
  for (size_t k = 0; k < nparts; k++) {
    cohort_engine *P = &E[k];
    P->person_begin = n * (int64_t)k / (int64_t)nparts;
    P->person_end = n * (int64_t)(k + 1) / (int64_t)nparts;
    P->rin_begin = rins[k];
    P->rin_end = rins[k + 1];
    int rc = peil_scan_restrict(P->persons, P->person_begin, P->person_end);
    if (rc) return rc;
  }
  return PEIL_OK;
}

static void add_counts(int64_t *dst, const int64_t *src, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] += src[i];
}

/* Adds engine P's counts to E's (the first part's). */
static void merge(cohort_engine *E, const cohort_engine *P) {
  size_t ncells = cohort_ncells(E);
  for (size_t i = 0; i < ncells * E->nslots * 3; i++) E->counts[i] += P->counts[i];
  add_counts(E->popcount, P->popcount, ncells);
  if (E->trans) add_counts(E->trans, P->trans, ncells * E->npaths);
  E->trans_censored += P->trans_censored;
  E->trans_censored_sides |= P->trans_censored_sides;
  for (size_t k = 0; k < E->nslots; k++) E->slots[k].censored_sides |= P->slots[k].censored_sides;
  E->trans_observed += P->trans_observed;
  for (size_t i = 0; i < E->ncooc; i++) {
    size_t C = E->cooc[i].nlevels;
    add_counts(E->cooc[i].counts, P->cooc[i].counts, ncells * C * C);
    E->cooc[i].censored += P->cooc[i].censored;
    E->cooc[i].censored_sides |= P->cooc[i].censored_sides;
    E->cooc[i].observed += P->cooc[i].observed;
  }
  for (size_t t = 0; t < E->ntables; t++) E->tables[t].orphans += P->tables[t].orphans;
  E->no_group += P->no_group;
  E->res->n_persons += P->res->n_persons;
  E->res->n_persons_in += P->res->n_persons_in;
  E->res->n_rows += P->res->n_rows;
}

/* The pass over the persons in nparts threads. E[0] writes the rows to
 * rows_store/cells_store; the others to stores in memory, appended after. */
static int scan_parts(cohort_engine *E, size_t nparts, peil_store **part_stores) {
  int rc = split(E, nparts);
  for (size_t k = 1; !rc && k < nparts; k++) {
    if (!E[0].rows && !E[0].cells) break;
    if ((rc = peil_store_open_scratch("cohort-part", &part_stores[k]))) break;
    if (E[0].rows) rc = cohort_rows_open(&E[k], part_stores[k], "rows", 0, &E[k].rows);
    if (!rc && E[0].cells) rc = cohort_rows_open(&E[k], part_stores[k], "cells", 1, &E[k].cells);
  }
  if (rc) return rc;
  int prc[MAX_PARTS] = {0};
  char *msg[MAX_PARTS] = {0};
#pragma omp parallel for schedule(static, 1) num_threads((int)nparts)
  for (int k = 0; k < (int)nparts; k++) {
    peil_store_quiet_thread();
    prc[k] = cohort_scan(&E[k]);
    if (!prc[k] && E[k].rows && k > 0) prc[k] = cohort_rows_finish(&E[k], E[k].rows);
    if (!prc[k] && E[k].cells && k > 0) prc[k] = cohort_rows_finish(&E[k], E[k].cells);
    if (prc[k]) msg[k] = strdup(peil_errmsg()); /* the message is the thread's own */
  }
  for (size_t k = 0; k < nparts; k++)
    if (prc[k] && !rc) rc = peil_error(prc[k], "%s", msg[k] ? msg[k] : "out of memory");
  for (size_t k = 0; k < nparts; k++) free(msg[k]);
  for (size_t k = 1; !rc && k < nparts; k++) {
    merge(&E[0], &E[k]);
    if (E[0].rows) rc = cohort_rows_append(&E[0], E[0].rows, part_stores[k], "rows");
    if (!rc && E[0].cells) rc = cohort_rows_append(&E[0], E[0].cells, part_stores[k], "cells");
  }
  return rc;
}

int peil_cohort_run(peil_store *st, const peil_cohort_spec *spec, const peil_cohort_options *o,
                    peil_cohort_result **out) {
  *out = NULL;
  if (!spec->finished)
    return peil_error(PEIL_EINVAL, "cohort %s: the spec is not finished", spec->name);
  peil_cohort_options defaults;
  if (!o) {
    peil_cohort_options_init(&defaults);
    o = &defaults;
  }
  cohort_engine E[MAX_PARTS];
  peil_store *part_stores[MAX_PARTS] = {0};
  size_t nparts = 1;
  engine_init(&E[0], st, spec);
  if (!(E[0].res = calloc(1, sizeof *E[0].res))) return peil_error(PEIL_ENOMEM, "out of memory");
  double t0 = peil_seconds();
  int rc = setup(&E[0]);
  int correcting = (spec->correct_lpm || spec->correct_logit);
  /* The person-dates go to the user's store (--rows), the correction's
   * collapsed rows to a temporary store that disappears when closed. */
  peil_store *rows_store = NULL, *cells_store = NULL;
  if (!rc && o->rows_path) {
    rc = peil_store_open(o->rows_path, PEIL_STORE_CREATE, &rows_store);
    if (!rc) rc = cohort_rows_open(&E[0], rows_store, "rows", 0, &E[0].rows);
  }
  if (!rc && correcting) {
    rc = peil_store_open_scratch("cohort-cells", &cells_store);
    if (!rc) rc = cohort_rows_open(&E[0], cells_store, "cells", 1, &E[0].cells);
  }
  if (!rc) nparts = parts_for(&E[0], o);
  for (size_t k = 1; k < nparts; k++) { /* the other parts: engines of their own */
    engine_init(&E[k], st, spec);
    if (!(E[k].res = calloc(1, sizeof *E[k].res))) rc = peil_error(PEIL_ENOMEM, "out of memory");
    if (!rc) rc = setup(&E[k]);
    if (rc) {
      nparts = k + 1; /* freed below */
      break;
    }
  }
  if (!rc) rc = nparts > 1 ? scan_parts(E, nparts, part_stores) : cohort_scan(&E[0]);
  if (!rc) rc = cohort_scan_finish(&E[0]);
  if (!rc && E[0].rows) rc = cohort_rows_finish(&E[0], E[0].rows);
  if (!rc && E[0].cells) rc = cohort_rows_finish(&E[0], E[0].cells);
  if (!rc) rc = build_tables(&E[0]);
  if (!rc) rc = cohort_transitions_build(&E[0]);
  if (!rc) rc = cohort_cooccur_build(&E[0]);
  E[0].res->seconds_scan = peil_seconds() - t0;
  double t1 = peil_seconds();
  if (!rc && correcting) rc = cohort_correct(&E[0], cells_store, o);
  E[0].res->seconds_correct = peil_seconds() - t1;
  if (cells_store) peil_store_close(cells_store); /* never committed */
  if (rows_store) {
    /* The rows are kept only if all went well. */
    int rc2 = rc ? PEIL_OK : peil_store_commit(rows_store);
    peil_store_close(rows_store);
    if (!rc) rc = rc2;
  }
  for (size_t k = 1; k < nparts; k++) {
    engine_free(&E[k]);
    peil_cohort_result_free(E[k].res);
    if (part_stores[k]) peil_store_close(part_stores[k]);
  }
  engine_free(&E[0]);
  if (rc) {
    peil_cohort_result_free(E[0].res);
    return rc;
  }
  *out = E[0].res;
  return PEIL_OK;
}

int peil_cohort_check(peil_store *st, const peil_cohort_spec *spec, peil_table_info **rows) {
  *rows = NULL;
  if (!spec->finished)
    return peil_error(PEIL_EINVAL, "cohort %s: the spec is not finished", spec->name);
  cohort_engine E;
  engine_init(&E, st, spec);
  if (!(E.res = calloc(1, sizeof *E.res))) return peil_error(PEIL_ENOMEM, "out of memory");
  /* Everything the run does before its scan, then an empty row table in a
   * scratch store: its columns are exactly those a run writes. */
  peil_store *scratch = NULL;
  int rc = setup(&E);
  if (!rc) rc = peil_store_open_scratch("cohort-check", &scratch);
  if (!rc) rc = cohort_rows_open(&E, scratch, "rows", 0, &E.rows);
  if (!rc) rc = cohort_rows_finish(&E, E.rows);
  if (!rc) rc = peil_store_table_info(scratch, "rows", rows);
  if (scratch) peil_store_close(scratch); /* never committed */
  engine_free(&E);
  peil_cohort_result_free(E.res);
  return rc;
}

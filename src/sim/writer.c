/* The tables of the extract: schemas, the merge of each block's per-person
 * buffers in person order, the known-truth sums and the root attributes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

enum { W_PERSONS = 0, W_BIJSTAND, W_WW, W_JOBS, W_SRG, W_PROG, W_TRUTH, W_NTAB };
#define MAXCOLS 10

static const peil_column_def persons_cols[] = {
    {"rin", PEIL_INT64, 0, NULL},
    {"municipality", PEIL_ENUM, PEIL_SIM_NCITY, peil_sim_city_levels},
    {"birth_date", PEIL_DATE, 0, NULL},
    {"sex", PEIL_ENUM, PEIL_SIM_NSEX, peil_sim_sex_levels},
    {"migration", PEIL_ENUM, PEIL_SIM_NMIG, peil_sim_migration_levels},
    {"education", PEIL_ENUM, PEIL_SIM_NEDU, peil_sim_education_levels},
    {"household", PEIL_ENUM, PEIL_SIM_NHH, peil_sim_household_levels},
};
static const peil_column_def bijstand_cols[] = {
    {"rin", PEIL_INT64, 0, NULL},
    {"start", PEIL_DATE, 0, NULL},
    {"end", PEIL_DATE, 0, NULL},
    {"municipality", PEIL_ENUM, PEIL_SIM_NCITY, peil_sim_city_levels},
};
static const peil_column_def ww_cols[] = {
    {"rin", PEIL_INT64, 0, NULL},
    {"start", PEIL_DATE, 0, NULL},
    {"end", PEIL_DATE, 0, NULL},
};
static const peil_column_def jobs_cols[] = {
    {"rin", PEIL_INT64, 0, NULL},
    {"start", PEIL_DATE, 0, NULL},
    {"end", PEIL_DATE, 0, NULL},
    {"employer", PEIL_INT32, 0, NULL},
    {"contract", PEIL_ENUM, PEIL_SIM_NCONTRACT, peil_sim_contract_levels},
    {"hours", PEIL_INT16, 0, NULL},
    {"sector", PEIL_ENUM, PEIL_SIM_NSECTOR, peil_sim_sector_levels},
};
static const peil_column_def srg_cols[] = {
    {"rin", PEIL_INT64, 0, NULL},
    {"code", PEIL_ENUM, PEIL_SIM_NSRG, peil_sim_srg_levels},
    {"start", PEIL_DATE, 0, NULL},
    {"end", PEIL_DATE, 0, NULL},
};
static const peil_column_def prog_cols[] = {
    {"rin", PEIL_INT64, 0, NULL},
    {"start", PEIL_DATE, 0, NULL},
    {"end", PEIL_DATE, 0, NULL},
    {"exit_reason", PEIL_ENUM, PEIL_SIM_NEXIT, peil_sim_exit_levels},
};
static const peil_column_def truth_cols[] = {
    {"rin", PEIL_INT64, 0, NULL},
    {"start", PEIL_DATE, 0, NULL},
    {"in_work_6_treated", PEIL_BOOL, 0, NULL},
    {"in_work_6_control", PEIL_BOOL, 0, NULL},
    {"in_work_12_treated", PEIL_BOOL, 0, NULL},
    {"in_work_12_control", PEIL_BOOL, 0, NULL},
    {"in_work_18_treated", PEIL_BOOL, 0, NULL},
    {"in_work_18_control", PEIL_BOOL, 0, NULL},
    {"in_work_24_treated", PEIL_BOOL, 0, NULL},
    {"in_work_24_control", PEIL_BOOL, 0, NULL},
};

#define TAB(name, cols, desc) {name, cols, sizeof cols / sizeof cols[0], desc}
static const struct {
  const char *name;
  const peil_column_def *cols;
  size_t ncols;
  const char *description;
} tables[W_NTAB] = {
    TAB("persons", persons_cols,
        "Simulated persons: everyone with G4 bijstand in the window. municipality is where "
        "their first bijstand spell in the window was; household at first entry."),
    TAB("bijstand", bijstand_cols,
        "Simulated bijstand spells overlapping the window, ordered by rin and start; a "
        "person's spells never overlap (a move within the G4 ends one spell the day before "
        "the next starts). end is missing when the spell was still running on the last day "
        "of the window."),
    TAB("ww", ww_cols,
        "Simulated WW spells overlapping the window, by rin and start, never overlapping "
        "each other or bijstand; end missing when still running at the window's end."),
    TAB("jobs", jobs_cols,
        "Simulated Polis-like jobs overlapping the window, by rin and start: one job at a "
        "time (no overlaps), never together with bijstand or WW. hours: contractual hours "
        "per week. end missing when still running at the window's end."),
    TAB("srg", srg_cols,
        "Simulated SRG provisions overlapping the window, by rin and start: one at a time, "
        "always inside a bijstand spell. end missing when still running at the window's end."),
    TAB("programme", prog_cols,
        "Simulated participation in a subsidised-job-style programme (at most one spell per "
        "person, inside a bijstand spell). end and exit_reason missing when still running at "
        "the window's end."),
    TAB("truth", truth_cols,
        "KNOWN TRUTH, NOT DATA: for every programme participant the outcome 'in work K "
        "months after the programme start' with (treated) and without (control) the "
        "programme, simulated with common random numbers; -1 (missing) where the horizon "
        "lies beyond the window. For scoring estimators only: no analysis may use it."),
};

typedef struct {
  peil_table_writer *w;
  void *col[MAXCOLS];
  size_t cap;
  int64_t rows;
} wtab;

struct sim_writer {
  wtab t[W_NTAB];
  int64_t candidates, treated;
  int64_t n[PEIL_SIM_NHORIZON], s1[PEIL_SIM_NHORIZON], s0[PEIL_SIM_NHORIZON];
};

void sim_writer_free(sim_writer *wr) {
  if (!wr) return;
  for (int i = 0; i < W_NTAB; i++) {
    peil_table_writer_free(wr->t[i].w);
    for (int j = 0; j < MAXCOLS; j++) free(wr->t[i].col[j]);
  }
  free(wr);
}

int sim_writer_open(peil_store *s, sim_writer **out) {
  *out = NULL;
  sim_writer *wr = calloc(1, sizeof *wr);
  if (!wr) return peil_error(PEIL_ENOMEM, "out of memory");
  for (int i = 0; i < W_NTAB; i++) {
    int rc = peil_table_create(s, tables[i].name, tables[i].cols, tables[i].ncols, &wr->t[i].w);
    if (!rc) rc = peil_store_set_attr_str(s, tables[i].name, "description", tables[i].description);
    if (rc) {
      sim_writer_free(wr);
      return rc;
    }
  }
  *out = wr;
  return PEIL_OK;
}

/* Room for n rows in every column of table i. */
static int reserve(wtab *t, int i, size_t n) {
  if (n <= t->cap) return 0;
  size_t cap = n + n / 4 + 1024;
  for (size_t j = 0; j < tables[i].ncols; j++) {
    void *v = realloc(t->col[j], cap * peil_type_size(tables[i].cols[j].type));
    if (!v) return peil_error(PEIL_ENOMEM, "out of memory merging table %s", tables[i].name);
    t->col[j] = v;
  }
  t->cap = cap;
  return 0;
}

static int append(wtab *t, size_t n) {
  if (n == 0) return 0;
  t->rows += (int64_t)n;
  return peil_table_append(t->w, (const void *const *)t->col, n);
}

/* Spell table i from the per-person table st. */
static int add_spells(sim_writer *wr, int i, int st, const sim_out *outs, size_t n) {
  wtab *t = &wr->t[i];
  size_t rows = 0;
  for (size_t k = 0; k < n; k++) rows += outs[k].t[st].n;
  int rc = reserve(t, i, rows);
  if (rc) return rc;
  int64_t *rin = t->col[0];
  int32_t *start, *end, *a = NULL, *b = NULL;
  int16_t *hours = NULL;
  if (st == T_SRG) { /* rin, code, start, end */
    a = t->col[1];
    start = t->col[2];
    end = t->col[3];
  } else {
    start = t->col[1];
    end = t->col[2];
    if (st == T_BIJSTAND || st == T_PROG) a = t->col[3];
    if (st == T_JOBS) {
      b = t->col[3]; /* employer */
      a = t->col[4]; /* contract */
      hours = t->col[5];
    }
  }
  int32_t *sector = st == T_JOBS ? t->col[6] : NULL;
  size_t r = 0;
  for (size_t k = 0; k < n; k++) {
    const sim_spells *s = &outs[k].t[st];
    for (size_t j = 0; j < s->n; j++, r++) {
      const sim_spell *x = &s->v[j];
      rin[r] = SIM_RIN_BASE + outs[k].index;
      start[r] = x->start;
      end[r] = x->end;
      if (a) a[r] = (st == T_PROG && x->end == PEIL_NA_DATE) ? PEIL_NA_ENUM : x->k1;
      if (b) b[r] = x->employer;
      if (hours) hours[r] = x->hours;
      if (sector) sector[r] = x->k2;
    }
  }
  return append(t, rows);
}

static int add_persons(sim_writer *wr, const sim_out *outs, size_t n) {
  wtab *t = &wr->t[W_PERSONS];
  int rc = reserve(t, W_PERSONS, n);
  if (rc) return rc;
  int64_t *rin = t->col[0];
  int32_t *city = t->col[1], *birth = t->col[2], *sex = t->col[3], *mig = t->col[4],
          *edu = t->col[5], *hh = t->col[6];
  for (size_t k = 0; k < n; k++) {
    const sim_person *p = &outs[k].person;
    rin[k] = SIM_RIN_BASE + outs[k].index;
    city[k] = p->city;
    birth[k] = p->birth;
    sex[k] = p->female;
    mig[k] = p->mig;
    edu[k] = p->edu;
    hh[k] = p->hh;
    wr->candidates += outs[k].candidates;
  }
  return append(t, n);
}

/* The truth rows, and the sums for the ATT: integer counts, so the result
 * does not depend on any order of floating-point additions. */
static int add_truth(sim_writer *wr, const sim_out *outs, size_t n) {
  wtab *t = &wr->t[W_TRUTH];
  size_t rows = 0;
  for (size_t k = 0; k < n; k++) rows += outs[k].treated != 0;
  int rc = reserve(t, W_TRUTH, rows);
  if (rc) return rc;
  size_t r = 0;
  for (size_t k = 0; k < n; k++) {
    const sim_out *o = &outs[k];
    if (!o->treated) continue;
    ((int64_t *)t->col[0])[r] = SIM_RIN_BASE + o->index;
    ((int32_t *)t->col[1])[r] = o->prog_start;
    for (int h = 0; h < PEIL_SIM_NHORIZON; h++) {
      ((int8_t *)t->col[2 + 2 * h])[r] = o->y1[h] < 0 ? PEIL_NA_BOOL : o->y1[h];
      ((int8_t *)t->col[3 + 2 * h])[r] = o->y0[h] < 0 ? PEIL_NA_BOOL : o->y0[h];
      if (o->y1[h] >= 0) {
        wr->n[h]++;
        wr->s1[h] += o->y1[h];
        wr->s0[h] += o->y0[h];
      }
    }
    r++;
  }
  wr->treated += (int64_t)rows;
  return append(t, rows);
}

int sim_writer_add_block(sim_writer *wr, const sim_out *outs, size_t n) {
  static const int spell_of[W_NTAB] = {-1, T_BIJSTAND, T_WW, T_JOBS, T_SRG, T_PROG, -1};
  int rc = add_persons(wr, outs, n);
  for (int i = W_BIJSTAND; !rc && i <= W_PROG; i++) rc = add_spells(wr, i, spell_of[i], outs, n);
  if (!rc) rc = add_truth(wr, outs, n);
  return rc;
}

int sim_writer_finish(sim_writer *wr, peil_sim_report *rep) {
  int rc = PEIL_OK;
  for (int i = 0; i < W_NTAB; i++) {
    int r = peil_table_finish(wr->t[i].w);
    wr->t[i].w = NULL;
    if (!rc) rc = r;
  }
  memset(rep, 0, sizeof *rep);
  rep->rows_persons = wr->t[W_PERSONS].rows;
  rep->rows_bijstand = wr->t[W_BIJSTAND].rows;
  rep->rows_ww = wr->t[W_WW].rows;
  rep->rows_jobs = wr->t[W_JOBS].rows;
  rep->rows_srg = wr->t[W_SRG].rows;
  rep->rows_programme = wr->t[W_PROG].rows;
  rep->rows_truth = wr->t[W_TRUTH].rows;
  rep->candidates = wr->candidates;
  rep->treated = wr->treated;
  for (int h = 0; h < PEIL_SIM_NHORIZON; h++) {
    rep->att_n[h] = wr->n[h];
    double nn = (double)wr->n[h];
    rep->mean_treated[h] = wr->n[h] ? (double)wr->s1[h] / nn : NAN;
    rep->mean_control[h] = wr->n[h] ? (double)wr->s0[h] / nn : NAN;
    rep->att[h] = wr->n[h] ? (double)(wr->s1[h] - wr->s0[h]) / nn : NAN;
  }
  return rc;
}

int sim_write_attributes(peil_store *s, const peil_sim_params *p, const peil_sim_report *rep) {
  char from[11], to[11], key[64], buf[4096];
  peil_date_format(p->from, from);
  peil_date_format(p->to, to);
  int rc = peil_store_set_attr_str(
      s, NULL, "description",
      "Synthetic G4 register extract simulated by peil (docs/simulation.md): not real data. "
      "The table 'truth' and the true_* attributes are the answer key, not data.");
  snprintf(buf, sizeof buf,
           "peil %s simulate; command: %s; seed %llu; persons %lld; window %s..%s",
           peil_version(), p->command ? p->command : "(library call)",
           (unsigned long long)p->seed, (long long)p->persons, from, to);
  if (!rc) rc = peil_store_set_attr_str(s, NULL, "provenance", buf);
  if (!rc) rc = peil_store_set_attr_i64(s, NULL, "sim_seed", (int64_t)p->seed);
  if (!rc) rc = peil_store_set_attr_i64(s, NULL, "sim_persons", p->persons);
  if (!rc) rc = peil_store_set_attr_str(s, NULL, "sim_from", from);
  if (!rc) rc = peil_store_set_attr_str(s, NULL, "sim_to", to);
  if (!rc) rc = peil_store_set_attr_f64(s, NULL, "sim_effect", p->effect);
  if (!rc) rc = peil_store_set_attr_f64(s, NULL, "sim_hidden_bias", p->hidden_bias);
  if (!rc) {
    char *text = peil_sim_params_text(p);
    if (!text) return peil_error(PEIL_ENOMEM, "out of memory");
    rc = peil_store_set_attr_str(s, NULL, "sim_parameters", text);
    free(text);
  }
  if (!rc)
    rc = peil_store_set_attr_str(
        s, NULL, "true_att_definition",
        "true_att_in_work_K = mean over programme participants whose start + K months lies "
        "in the window of Y(1) - Y(0), Y = has a job (jobs table) on the day start + K "
        "months; Y(0) from the same person's path without the programme (common random "
        "numbers); true_att_n_K = that number of participants. effect = log hazard ratio "
        "of the monthly job-finding intensity while in the programme.");
  for (int h = 0; !rc && h < PEIL_SIM_NHORIZON; h++) {
    int k = peil_sim_horizons[h];
    snprintf(key, sizeof key, "true_att_in_work_%d", k);
    rc = peil_store_set_attr_f64(s, NULL, key, rep->att[h]);
    snprintf(key, sizeof key, "true_att_n_%d", k);
    if (!rc) rc = peil_store_set_attr_i64(s, NULL, key, rep->att_n[h]);
    snprintf(key, sizeof key, "true_mean_treated_%d", k);
    if (!rc) rc = peil_store_set_attr_f64(s, NULL, key, rep->mean_treated[h]);
    snprintf(key, sizeof key, "true_mean_control_%d", k);
    if (!rc) rc = peil_store_set_attr_f64(s, NULL, key, rep->mean_control[h]);
  }
  return rc;
}

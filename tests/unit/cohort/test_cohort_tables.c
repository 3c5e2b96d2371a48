/* Time to the first spell, transitions between states and co-occurrence of
 * categories, on hand-built spells; every expected number is worked out
 * below.
 *
 * Persons 1, 2, 4, 5 are on bijstand on 2020-07-01 (1, 2, 5 in A; 4 in B),
 * data 2020-01-01 .. 2021-12-31; the calendar clock is 2020-07-01, so
 * +3 months = 2020-10-01 and +12 months = 2021-07-01.
 *
 * jobs (contract vast/flex):
 *   rin 1  2020-09-30 .. 2020-10-05 flex, 2020-10-01 .. open vast
 *   rin 2  2020-05-01 .. 2020-07-10 vast, 2020-06-01 .. 2020-08-01 flex
 *   rin 4  2021-07-01 .. open vast
 *   rin 5  2020-10-01 .. 2020-10-31 vast
 * srg (code X/Y):
 *   rin 1  X 2020-06-01 .. 2020-06-30, Y 2020-07-01 .. 2020-07-31
 *   rin 2  X 2020-07-01 .. open
 *   rin 4  X 2020-12-01 .. 2020-12-31, Y 2021-01-01 .. open
 *   rin 5  Y 2020-08-01 .. 2020-08-31, Y 2020-09-01 .. 2020-09-30
 *
 * first jobs 0..12 bins 3 (the window is 2020-07-01 .. 2021-06-30):
 *   rin 1: first day 2020-09-30 (the flex job), before +3 months: 0-3, flex
 *   rin 2: both jobs run on 2020-07-01, the window's first day: 0-3; of the
 *          two, the later start (flex)
 *   rin 5: first day 2020-10-01, exactly +3 months: 3-12, vast
 *   rin 4: the job starts 2021-07-01, after the window: none
 * transitions, states work = jobs, srg = srg (in that order), rest "other",
 * at months 0, 3, 12 (2020-07-01, 2020-10-01, 2021-07-01):
 *   rin 1: srg (Y), work, work
 *   rin 2: work, srg (X), srg (X)
 *   rin 5: other, work, other
 *   rin 4: other, other, work (a job and Y both: work comes first)
 * co-occurrence of srg.code on the entry day (2020-07-01): rin 1 Y, rin 2 X;
 *   in the 12 months 0..12: rin 1 Y; rin 2 X; rin 5 Y (two spells, once);
 *   rin 4 X and Y. */
#include "cohort_fixture.h"

static const char *const CITIES[] = {"A", "B"};
static const char *const CONTRACTS[] = {"vast", "flex"};
static const char *const CODES[] = {"X", "Y"};

static const spell_row BIJSTAND[] = {{1, "2019-06-01", NULL, 0},
                                     {2, "2020-01-15", "2020-07-01", 0},
                                     {4, "2018-03-01", NULL, 1},
                                     {5, "2020-02-01", NULL, 0}};
static const spell_row JOBS[] = {
    {1, "2020-09-30", "2020-10-05", 1}, {1, "2020-10-01", NULL, 0},
    {2, "2020-05-01", "2020-07-10", 0}, {2, "2020-06-01", "2020-08-01", 1},
    {4, "2021-07-01", NULL, 0},         {5, "2020-10-01", "2020-10-31", 0}};
static const spell_row SRG[] = {
    {1, "2020-06-01", "2020-06-30", 0}, {1, "2020-07-01", "2020-07-31", 1},
    {2, "2020-07-01", NULL, 0},         {4, "2020-12-01", "2020-12-31", 0},
    {4, "2021-01-01", NULL, 1},         {5, "2020-08-01", "2020-08-31", 1},
    {5, "2020-09-01", "2020-09-30", 1}};

static const char *make_store(void) {
  const char *path = test_path("tables.h5");
  peil_store *s;
  assert_ok(peil_store_open(path, PEIL_STORE_CREATE, &s));
  peil_column_def pdefs[1] = {{"rin", PEIL_INT64, 0, NULL}};
  peil_table_writer *w;
  assert_ok(peil_table_create(s, "persons", pdefs, 1, &w));
  int64_t rin[5] = {1, 2, 3, 4, 5};
  const void *cols[1] = {rin};
  assert_ok(peil_table_append(w, cols, 5));
  assert_ok(peil_table_finish(w));
  write_spells(s, "bijstand", BIJSTAND, 4, "municipality", CITIES, 2);
  write_spells(s, "jobs", JOBS, 6, "contract", CONTRACTS, 2);
  write_spells(s, "srg", SRG, 7, "code", CODES, 2);
  assert_ok(peil_store_set_attr_str(s, NULL, "data_start", "2020-01-01"));
  assert_ok(peil_store_set_attr_str(s, NULL, "data_end", "2021-12-31"));
  assert_ok(peil_store_commit(s));
  peil_store_close(s);
  return path;
}

static void test_first(void **state) {
  (void)state;
  const char *path = make_store();
  static const char *const kv[] = {"population", "stock", "dates", "2020-07-01",
                                   "outcome.fj", "first jobs 0..12 bins 3",
                                   "outcome.fc", "first jobs 0..12 by contract",
                                   "outcome.late", "first jobs 0..24 bins 3",
                                   "outcome.e3", "ever jobs 0..3",
                                   "correct", "none", NULL};
  peil_cohort_spec *sp = spec(kv);
  peil_cohort_result *r = run(path, sp);
  assert_int_equal(r->n_rows, 4);
  assert_cell(r, "all", "A", "all", "all", "fj_0_3", 12, 3, 0, 2);
  assert_cell(r, "all", "A", "all", "all", "fj_3_12", 12, 3, 0, 1);
  assert_cell(r, "all", "A", "all", "all", "fj_none", 12, 3, 0, 0);
  assert_cell(r, "all", "B", "all", "all", "fj_0_3", 12, 1, 0, 0);
  assert_cell(r, "all", "B", "all", "all", "fj_none", 12, 1, 0, 1);
  assert_cell(r, "all", "A", "all", "all", "fc_vast", 12, 3, 0, 1);
  assert_cell(r, "all", "A", "all", "all", "fc_flex", 12, 3, 0, 2);
  assert_cell(r, "all", "A", "all", "all", "fc_none", 12, 3, 0, 0);
  assert_cell(r, "all", "B", "all", "all", "fc_none", 12, 1, 0, 1);
  /* the first bin is "ever in the first 3 months" */
  assert_cell(r, "all", "A", "all", "all", "e3", 3, 3, 0, 2);
  /* a window that ends after the data (2022-06-30): censored, every category */
  assert_cell(r, "all", "A", "all", "all", "late_0_3", 24, 0, 3, 0);
  assert_cell(r, "all", "A", "all", "all", "late_none", 24, 0, 3, 0);
  /* the categories know their family */
  size_t o = 0;
  while (strcmp(r->outcomes[o].name, "fc_flex")) o++;
  assert_string_equal(r->outcomes[o].family, "fc");
  assert_string_equal(r->outcomes[o].category, "flex");
  peil_cohort_result_free(r);
  peil_cohort_spec_free(sp);
}

/* The entry of a pooled matrix, stratum "all". */
static const peil_cohort_transition *transition(const peil_cohort_result *r, const char *group,
                                                size_t step, const char *from, const char *to) {
  size_t g = index_of(r->groups, r->ngroups, group);
  size_t a = index_of(r->states, r->nstates, from), b = index_of(r->states, r->nstates, to);
  for (size_t i = 0; i < r->ntransitions; i++) {
    const peil_cohort_transition *t = &r->transitions[i];
    if (t->date == PEIL_NA_DATE && t->subset == 0 && t->group == g && t->stratum == 0 &&
        t->step == step && t->from == a && t->to == b)
      return t;
  }
  fail_msg("no transition %s %zu %s -> %s", group, step, from, to);
  return NULL;
}

static void test_transitions(void **state) {
  (void)state;
  const char *path = make_store();
  static const char *const kv[] = {"population", "stock", "dates", "2020-07-01",
                                   "horizons", "0", "outcome.work", "on jobs",
                                   "state.work", "jobs", "state.srg", "srg",
                                   "transitions", "0, 3, 12", "correct", "none", NULL};
  peil_cohort_spec *sp = spec(kv);
  peil_cohort_result *r = run(path, sp);
  assert_int_equal(r->nstates, 3);
  assert_string_equal(r->states[2], "other");
  assert_int_equal(r->nmoments, 3);
  /* A, months 0 -> 3: srg -> work (rin 1), work -> srg (rin 2), other -> work (rin 5) */
  assert_int_equal(transition(r, "A", 0, "srg", "work")->n, 1);
  assert_true(transition(r, "A", 0, "srg", "work")->share == 1.0);
  assert_int_equal(transition(r, "A", 0, "work", "srg")->n, 1);
  assert_int_equal(transition(r, "A", 0, "other", "work")->n, 1);
  assert_int_equal(transition(r, "A", 0, "work", "work")->n, 0);
  assert_true(isnan(transition(r, "A", 0, "srg", "srg")->share) == 0);
  /* months 3 -> 12: work -> work (rin 1), work -> other (rin 5), srg -> srg (rin 2) */
  assert_int_equal(transition(r, "A", 1, "work", "work")->n, 1);
  assert_true(transition(r, "A", 1, "work", "work")->share == 0.5);
  assert_true(transition(r, "A", 1, "work", "other")->share == 0.5);
  assert_true(transition(r, "A", 1, "srg", "srg")->share == 1.0);
  /* a row without anybody has no shares */
  assert_true(isnan(transition(r, "A", 1, "other", "work")->share));
  /* B: other -> other -> work; the state order decides when two states hold */
  assert_int_equal(transition(r, "B", 0, "other", "other")->n, 1);
  assert_int_equal(transition(r, "B", 1, "other", "work")->n, 1);
  assert_int_equal(transition(r, "B", 1, "other", "srg")->n, 0);
  /* paths of A: three, a third each */
  size_t paths = 0;
  for (size_t i = 0; i < r->npaths; i++) {
    const peil_cohort_path *p = &r->paths[i];
    if (p->date != PEIL_NA_DATE || p->subset || p->group || p->stratum) continue;
    assert_int_equal(p->n, 1);
    assert_close(p->share, 1.0 / 3.0, 1e-15);
    paths++;
  }
  assert_int_equal(paths, 3);
  peil_cohort_result_free(r);
  peil_cohort_spec_free(sp);

  /* a moment after the data's end: censored, and said */
  static const char *const late[] = {"population", "stock", "dates", "2020-07-01",
                                     "horizons", "0", "outcome.work", "on jobs",
                                     "state.work", "jobs", "transitions", "0, 18",
                                     "state_other", "rest", "correct", "none", NULL};
  sp = spec(late);
  r = run(path, sp);
  assert_int_equal(transition(r, "A", 0, "work", "rest")->n, 0);
  int said = 0;
  for (size_t i = 0; i < r->nwarnings; i++)
    said |= strstr(r->warnings[i], "transitions: 4 of 4 person-dates censored") != NULL;
  assert_true(said);
  assert_int_equal(r->npaths, 0);
  peil_cohort_result_free(r);
  peil_cohort_spec_free(sp);
}

static const peil_cohort_cooc_cell *cooc(const peil_cohort_result *r, const char *name,
                                         const char *group, const char *a, const char *b) {
  size_t g = index_of(r->groups, r->ngroups, group);
  for (size_t i = 0; i < r->ncooc_cells; i++) {
    const peil_cohort_cooc_cell *e = &r->cooc_cells[i];
    const peil_cohort_cooccurrence *C = &r->cooccurrences[e->cooccurrence];
    if (!strcmp(C->name, name) && e->date == PEIL_NA_DATE && e->subset == 0 && e->group == g &&
        e->stratum == 0 && !strcmp(C->levels[e->a], a) && !strcmp(C->levels[e->b], b))
      return e;
  }
  return NULL;
}

static void test_cooccurrence(void **state) {
  (void)state;
  const char *path = make_store();
  static const char *const kv[] = {"population", "stock", "dates", "2020-07-01",
                                   "horizons", "0", "outcome.work", "on jobs",
                                   "cooccur.now", "srg.code", "cooccur.year", "srg.code 0..12",
                                   "cooccur.y", "srg.code 0..12 where code == \"Y\"",
                                   "cooccur.late", "srg.code 0..24",
                                   "correct", "none", NULL};
  peil_cohort_spec *sp = spec(kv);
  peil_cohort_result *r = run(path, sp);
  /* on the entry day: A has X (rin 2) and Y (rin 1), never together; B nothing */
  assert_int_equal(cooc(r, "now", "A", "X", "X")->n_a, 1);
  assert_int_equal(cooc(r, "now", "A", "Y", "X")->n_ab, 0);
  assert_true(cooc(r, "now", "A", "X", "X")->share == 1.0);
  assert_null(cooc(r, "now", "B", "X", "X"));
  /* in the year: A X 1 (rin 2), Y 2 (rin 1, 5, counted once each); B has both */
  assert_int_equal(cooc(r, "year", "A", "Y", "Y")->n_a, 2);
  assert_int_equal(cooc(r, "year", "A", "Y", "X")->n_ab, 0);
  assert_true(cooc(r, "year", "A", "Y", "X")->share == 0.0);
  assert_int_equal(cooc(r, "year", "B", "X", "Y")->n_ab, 1);
  assert_true(cooc(r, "year", "B", "Y", "X")->share == 1.0);
  /* the condition keeps the Y spells only */
  assert_int_equal(cooc(r, "y", "B", "Y", "Y")->n_a, 1);
  assert_null(cooc(r, "y", "B", "X", "X"));
  /* a window past the data: censored */
  assert_null(cooc(r, "late", "A", "X", "X"));
  int said = 0;
  for (size_t i = 0; i < r->nwarnings; i++)
    said |= strstr(r->warnings[i], "cooccur.late: 4 of 4 person-dates censored") != NULL;
  assert_true(said);
  peil_cohort_result_free(r);
  peil_cohort_spec_free(sp);
}

static void test_bad_specs(void **state) {
  (void)state;
  const char *path = make_store();
  peil_cohort_spec *s;
  assert_ok(peil_cohort_spec_new("t", &s));
  assert_int_equal(peil_cohort_spec_set(s, "outcome.a", "first jobs 0..12", "x.ini", 3), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "x.ini:3: [cohort t] outcome.a: expected 'bins C1, C2'"));
  assert_int_equal(peil_cohort_spec_set(s, "outcome.b", "first jobs 0..12 bins 3, 12", "x.ini", 4),
                   PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "bin limit '12' is not a whole number of months between 0 and 12"));
  assert_int_equal(peil_cohort_spec_set(s, "outcome.c", "first jobs 0..12 by", "x.ini", 5), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "a column name is missing after 'by'"));
  assert_int_equal(peil_cohort_spec_set(s, "cooccur.d", "srg", "x.ini", 6), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "expected 'TABLE.COLUMN [A..B] [where C]'"));
  assert_int_equal(peil_cohort_spec_set(s, "cooccur.e", "srg.code 12..6", "x.ini", 7), PEIL_EINVAL);
  assert_int_equal(peil_cohort_spec_set(s, "transitions", "0", "x.ini", 8), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "give two or three moments"));
  assert_int_equal(peil_cohort_spec_set(s, "transitions", "0, 6, 12, 18", "x.ini", 9), PEIL_EINVAL);
  assert_int_equal(peil_cohort_spec_set(s, "transitions", "6, 0", "x.ini", 10), PEIL_EINVAL);
  peil_cohort_spec_free(s);

  /* states without moments, moments without states, a state named as the rest */
  static const char *const nomoments[] = {"population", "stock", "dates", "2020-07-01",
                                          "horizons", "0", "outcome.w", "on jobs",
                                          "state.work", "jobs", NULL};
  assert_ok(peil_cohort_spec_new("t", &s));
  for (size_t i = 0; nomoments[i]; i += 2) assert_ok(peil_cohort_spec_set(s, nomoments[i], nomoments[i + 1], NULL, 0));
  assert_int_equal(peil_cohort_spec_finish(s), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "states need 'transitions'"));
  assert_ok(peil_cohort_spec_set(s, "state.other", "srg", NULL, 0));
  assert_ok(peil_cohort_spec_set(s, "transitions", "0, 6", NULL, 0));
  assert_int_equal(peil_cohort_spec_finish(s), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "state 'other' has the name of the rest"));
  peil_cohort_spec_free(s);

  /* unknown and non-categorical columns, unknown tables: found at the start */
  static const char *const bycol[] = {"population", "stock", "dates", "2020-07-01",
                                      "outcome.f", "first jobs 0..6 by sector", "correct", "none", NULL};
  peil_cohort_spec *sp = spec(bycol);
  assert_int_equal(run_fails(path, sp), PEIL_ENOTFOUND);
  assert_non_null(strstr(peil_errmsg(), "table 'jobs': no column 'sector'"));
  peil_cohort_spec_free(sp);
  static const char *const notcat[] = {"population", "stock", "dates", "2020-07-01",
                                       "horizons", "0", "outcome.w", "on jobs",
                                       "cooccur.c", "srg.start", "correct", "none", NULL};
  sp = spec(notcat);
  assert_int_equal(run_fails(path, sp), PEIL_ETYPE);
  assert_non_null(strstr(peil_errmsg(), "table 'srg': column 'start' is not categorical"));
  peil_cohort_spec_free(sp);
  static const char *const notable[] = {"population", "stock", "dates", "2020-07-01",
                                        "horizons", "0", "outcome.w", "on jobs",
                                        "state.edu", "education", "transitions", "0, 6",
                                        "correct", "none", NULL};
  sp = spec(notable);
  assert_int_equal(run_fails(path, sp), PEIL_ENOTFOUND);
  assert_non_null(strstr(peil_errmsg(), "has no table 'education'"));
  peil_cohort_spec_free(sp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_first),
      cmocka_unit_test(test_transitions),
      cmocka_unit_test(test_cooccurrence),
      cmocka_unit_test(test_bad_specs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

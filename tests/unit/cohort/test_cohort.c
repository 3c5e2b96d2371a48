/* The cohort engine on hand-built spell tables, every expected number
 * worked out below from the spells (boundaries: a spell ending on the
 * reference date, one starting the day after, open spells, adjacent spells
 * of a move, censoring at the end of the data, orphans).
 *
 * Persons 1..6, data 2020-01-01 .. 2021-12-31. bijstand (municipality A/B):
 *   rin 1  2019-06-01 .. open        A   (on 2020-07-01: 13 months, "1-2 years")
 *   rin 2  2020-01-15 .. 2020-07-01  A   (ends on the reference date: in the stock)
 *   rin 3  2019-01-01 .. 2020-06-30  A, then 2020-07-02 .. open  B (not on 2020-07-01)
 *   rin 4  2018-03-01 .. 2020-03-31  A, then 2020-04-01 .. 2021-03-31  B (a move:
 *          one episode from 2018-03-01, 28 months on 2020-07-01, ">= 2 years")
 *   rin 5  2020-02-01 .. open        A   (5 months)
 *   rin 99 2020-01-01 .. open        A   (not in persons: an orphan)
 * jobs: rin 2 from 2020-07-02 (open), rin 4 from 2021-04-01 (open), rin 6 2020.
 * srg:  rin 1 code X 2020-06-01 .. 2020-08-31; rin 4 code Y 2020-06-01 .. open.
 *
 * Stock on 2020-07-01: rin 1, 2, 5 in A, rin 4 in B.
 *   still (same municipality) +6 = 2021-01-01: 1, 0, 1 (A: 2 of 3); rin 4: 1 (B: 1 of 1)
 *   still +12 = 2021-07-01: 1, 0, 1 (A: 2 of 3); rin 4: 0 (B: 0 of 1)
 *   +18 = 2022-01-01 lies after the data: censored (A 3, B 1)
 *   work +6: rin 2 (A: 1 of 3), B 0 of 1; work +12: rin 2 (A 1 of 3), rin 4 (B 1 of 1) */
#include "cohort_fixture.h"

static const char *const CITIES[] = {"A", "B"};
static const char *const SEXES[] = {"man", "vrouw"};
static const char *const CODES[] = {"X", "Y"};

static const spell_row BIJSTAND[] = {
    {1, "2019-06-01", NULL, 0},         {2, "2020-01-15", "2020-07-01", 0},
    {3, "2019-01-01", "2020-06-30", 0}, {3, "2020-07-02", NULL, 1},
    {4, "2018-03-01", "2020-03-31", 0}, {4, "2020-04-01", "2021-03-31", 1},
    {5, "2020-02-01", NULL, 0},         {99, "2020-01-01", NULL, 0}};
static const spell_row JOBS[] = {
    {2, "2020-07-02", NULL, -1}, {4, "2021-04-01", NULL, -1}, {6, "2020-01-01", "2020-12-31", -1}};
static const spell_row SRG[] = {{1, "2020-06-01", "2020-08-31", 0}, {4, "2020-06-01", NULL, 1}};

/* The store of the header comment; `bijstand` can be replaced to test bad input. */
static const char *make_store(const char *name, const spell_row *bij, size_t nbij) {
  const char *path = test_path(name);
  peil_store *s;
  assert_ok(peil_store_open(path, PEIL_STORE_CREATE, &s));
  peil_column_def pdefs[3] = {{"rin", PEIL_INT64, 0, NULL},
                              {"birth_date", PEIL_DATE, 0, NULL},
                              {"sex", PEIL_ENUM, 2, SEXES}};
  peil_table_writer *w;
  assert_ok(peil_table_create(s, "persons", pdefs, 3, &w));
  int64_t rin[6] = {1, 2, 3, 4, 5, 6};
  /* ages on 2020-07-01: 25, 30, 40, 50 (birthday on the date), 60, 20 */
  int32_t birth[6] = {D("1995-01-01"), D("1990-01-01"), D("1980-01-01"), D("1970-07-01"),
                      D("1960-01-01"), D("2000-01-01")};
  int32_t sex[6] = {0, 1, 0, 1, 0, 1};
  const void *cols[3] = {rin, birth, sex};
  assert_ok(peil_table_append(w, cols, 6));
  assert_ok(peil_table_finish(w));
  write_spells(s, "bijstand", bij ? bij : BIJSTAND, bij ? nbij : 8, "municipality", CITIES, 2);
  write_spells(s, "jobs", JOBS, 3, NULL, NULL, 0);
  write_spells(s, "srg", SRG, 2, "code", CODES, 2);
  assert_ok(peil_store_set_attr_str(s, NULL, "data_start", "2020-01-01"));
  assert_ok(peil_store_set_attr_str(s, NULL, "data_end", "2021-12-31"));
  assert_ok(peil_store_commit(s));
  peil_store_close(s);
  return path;
}

static const char *const STOCK[] = {
    "population", "stock", "dates", "2020-07-01", "horizons", "6, 12, 18",
    "outcome.still", "on bijstand same", "outcome.work", "on jobs",
    "subset.x", "srg where code == \"X\"", "strata", "duration, age_band, sex",
    "correct", "none", NULL};

static void test_stock_boundaries(void **state) {
  (void)state;
  const char *path = make_store("stock.h5", NULL, 0);
  peil_cohort_spec *sp = spec(STOCK);
  peil_cohort_result *r = run(path, sp);
  assert_int_equal(r->n_persons, 6);
  assert_int_equal(r->n_persons_in, 4);
  assert_int_equal(r->n_rows, 4);
  assert_int_equal(r->n_orphan_spells, 1);
  assert_cell(r, "all", "A", "all", "all", "still", 6, 3, 0, 2);
  assert_cell(r, "all", "B", "all", "all", "still", 6, 1, 0, 1);
  assert_cell(r, "all", "A", "all", "all", "still", 12, 3, 0, 2);
  assert_cell(r, "all", "B", "all", "all", "still", 12, 1, 0, 0);
  assert_cell(r, "all", "A", "all", "all", "still", 18, 0, 3, 0);
  assert_cell(r, "all", "B", "all", "all", "still", 18, 0, 1, 0);
  assert_cell(r, "all", "A", "all", "all", "work", 6, 3, 0, 1);
  assert_cell(r, "all", "B", "all", "all", "work", 6, 1, 0, 0);
  assert_cell(r, "all", "A", "all", "all", "work", 12, 3, 0, 1);
  assert_cell(r, "all", "B", "all", "all", "work", 12, 1, 0, 1);
  /* duration: rin 2 and 5 "< 1 year" (both still at +6: 0 and 1), rin 1 "1-2 years" */
  assert_cell(r, "all", "A", "duration", "< 1 year", "still", 6, 2, 0, 1);
  assert_cell(r, "all", "A", "duration", "1-2 years", "still", 6, 1, 0, 1);
  assert_cell(r, "all", "B", "duration", ">= 2 years", "still", 6, 1, 0, 1);
  assert_cell(r, "all", "A", "duration", ">= 2 years", "still", 6, 0, 0, 0);
  /* age on 2020-07-01: 25 (< 27), 30 (27-34), 60 (>= 55) in A; 50 in B (the birthday) */
  assert_cell(r, "all", "A", "age_band", "< 27", "still", 6, 1, 0, 1);
  assert_cell(r, "all", "A", "age_band", "27-34", "still", 6, 1, 0, 0);
  assert_cell(r, "all", "A", "age_band", ">= 55", "still", 6, 1, 0, 1);
  assert_cell(r, "all", "B", "age_band", "45-54", "still", 6, 1, 0, 1);
  assert_cell(r, "all", "A", "sex", "man", "work", 12, 2, 0, 0);
  assert_cell(r, "all", "A", "sex", "vrouw", "work", 12, 1, 0, 1);
  /* subset x: rin 1 only (rin 4's provision has code Y) */
  assert_cell(r, "x", "A", "all", "all", "still", 6, 1, 0, 1);
  assert_cell(r, "x", "B", "all", "all", "still", 6, 0, 0, 0);
  /* the population table: shares of the group */
  for (size_t i = 0; i < r->npop; i++) {
    const peil_cohort_pop *p = &r->pop[i];
    if (p->subset == 0 && p->group == 0 && !strcmp(r->strata[p->stratum].name, "duration") &&
        p->level == 0) {
      assert_int_equal(p->n, 2);
      assert_close(p->share, 2.0 / 3.0, 1e-15);
    }
  }
  /* censoring is said */
  int warned = 0;
  for (size_t i = 0; i < r->nwarnings; i++) warned |= strstr(r->warnings[i], "still_18") != NULL;
  assert_true(warned);
  peil_cohort_result_free(r);
  peil_cohort_spec_free(sp);
}

static void test_pooled_and_by_date(void **state) {
  (void)state;
  const char *path = make_store("pooled.h5", NULL, 0);
  static const char *const kv[] = {"population", "stock", "dates", "2020-07-01, 2021-01-01",
                                   "horizons", "6", "outcome.still", "on bijstand",
                                   "by_date", "yes", "correct", "none", NULL};
  peil_cohort_spec *sp = spec(kv);
  peil_cohort_result *r = run(path, sp);
  /* 2021-01-01: rin 1, 5 (A), rin 3 (B, from 2020-07-02), rin 4 (B, to 2021-03-31);
   * +6 = 2021-07-01: rin 1, 5, 3 still on bijstand, rin 4 not. */
  assert_int_equal(r->n_rows, 8);
  assert_cell(r, "all", "A", "all", "all", "still", 6, 5, 0, 4);
  assert_cell(r, "all", "B", "all", "all", "still", 6, 3, 0, 2);
  size_t per_date = 0;
  for (size_t i = 0; i < r->ncells; i++)
    if (r->cells[i].date == D("2021-01-01") && r->cells[i].group == 1) {
      assert_int_equal(r->cells[i].n, 2);
      assert_true(r->cells[i].sum == 1);
      per_date++;
    }
  assert_int_equal(per_date, 1);
  peil_cohort_result_free(r);
  peil_cohort_spec_free(sp);
}

static void test_inflow_and_windows(void **state) {
  (void)state;
  const char *path = make_store("inflow.h5", NULL, 0);
  static const char *const kv[] = {
      "population", "inflow", "dates", "2020-01-01..2020-07-01 every 6 months", "group", "none",
      "outcome.job6", "ever jobs 0..6", "outcome.months", "months jobs 1..6", "correct", "none",
      NULL};
  peil_cohort_spec *sp = spec(kv);
  peil_cohort_result *r = run(path, sp);
  /* [2020-01-01, 2020-07-01): rin 2 (2020-01-15), rin 5 (2020-02-01); rin 4's
   * 2020-04-01 spell continues an episode. [2020-07-01, 2021-01-01): rin 3's
   * spell of 2020-07-02 (a day without bijstand before it: a new episode).
   * ever jobs in the 6 months from the start: rin 2 (job from 2020-07-02,
   * inside [2020-01-15, 2020-07-14]); months in work at start + 1..6:
   * rin 2: 2020-07-15 only -> 1. */
  assert_int_equal(r->n_rows, 3);
  assert_cell(r, "all", "all", "all", "all", "job6", 6, 3, 0, 1);
  assert_cell(r, "all", "all", "all", "all", "months", 6, 3, 0, 1);
  peil_cohort_result_free(r);
  peil_cohort_spec_free(sp);

  /* With a gap of a day allowed, rin 3's spell continues its episode. */
  static const char *const kv2[] = {"population", "inflow", "dates",
                                    "2020-01-01..2020-07-01 every 6 months", "group", "none",
                                    "episode_gap", "1", "outcome.job6", "ever jobs 0..6",
                                    "correct", "none", NULL};
  sp = spec(kv2);
  r = run(path, sp);
  assert_int_equal(r->n_rows, 2);
  peil_cohort_result_free(r);
  peil_cohort_spec_free(sp);
}

static void test_exit_since(void **state) {
  (void)state;
  const char *path = make_store("exit.h5", NULL, 0);
  static const char *const kv[] = {"population", "exit", "spells", "bijstand", "group", "none",
                                   "dates", "2021-01-01", "horizons", "0", "outcome.work",
                                   "on jobs", "strata", "since", "correct", "none", NULL};
  peil_cohort_spec *sp = spec(kv);
  peil_cohort_result *r = run(path, sp);
  /* Last spell ended before 2021-01-01: rin 2 (2020-07-01: 5 full months from
   * 2020-07-02), rin 3 (2020-06-30: 6 months from 2020-07-01), rin 4
   * (2020-03-31: 9 months). Work the day after the end: rin 2 (job from
   * 2020-07-02), not rin 3 nor rin 4. */
  assert_int_equal(r->n_rows, 3);
  assert_cell(r, "all", "all", "since", "< 6 months", "work", 0, 1, 0, 1);
  assert_cell(r, "all", "all", "since", "6-12 months", "work", 0, 2, 0, 0);
  peil_cohort_result_free(r);
  peil_cohort_spec_free(sp);
}

static int has_warning(const peil_cohort_result *r, const char *a, const char *b) {
  for (size_t i = 0; i < r->nwarnings; i++)
    if (strstr(r->warnings[i], a) && strstr(r->warnings[i], b)) return 1;
  return 0;
}

/* History windows (A < 0) on the stock of 2021-01-01 (calendar clock, the
 * cached days) and on exits (event clock, computed per member). */
static void test_history_windows(void **state) {
  (void)state;
  const char *path = make_store("history.h5", NULL, 0);
  static const char *const kv[] = {
      "population", "stock", "dates", "2021-01-01", "outcome.srg6", "ever srg -6..0",
      "outcome.srg_a", "ever srg -4..-1", "outcome.srg_b", "ever srg -5..-1",
      "outcome.msrg", "months srg -6..0", "outcome.maround", "months srg -2..2",
      "outcome.eup", "ever srg -6..12", "outcome.job", "ever jobs -12..4",
      "outcome.left", "ever jobs -13..0", "outcome.right", "months jobs -12..12",
      "outcome.both", "ever srg -13..13", "correct", "none", NULL};
  peil_cohort_spec *sp = spec(kv);
  peil_cohort_result *r = run(path, sp);
  /* Stock on 2021-01-01: rin 1, 5 (A), rin 3, 4 (B). srg: rin 1 X
   * 2020-06-01 .. 2020-08-31, rin 4 Y from 2020-06-01; jobs: rin 4 from
   * 2021-04-01. Horizons are the windows' ends. */
  assert_int_equal(r->n_rows, 4);
  /* -6..0: 2020-07-01 .. 2020-12-31, rin 1 and rin 4 */
  assert_cell(r, "all", "A", "all", "all", "srg6", 0, 2, 0, 1);
  assert_cell(r, "all", "B", "all", "all", "srg6", 0, 2, 0, 1);
  /* -4..-1: 2020-09-01 .. 2020-11-30 misses rin 1's spell by a day; -5..-1 has it */
  assert_cell(r, "all", "A", "all", "all", "srg_a", -1, 2, 0, 0);
  assert_cell(r, "all", "B", "all", "all", "srg_a", -1, 2, 0, 1);
  assert_cell(r, "all", "A", "all", "all", "srg_b", -1, 2, 0, 1);
  /* months -6..0: the 1st of July .. December 2020: rin 1 July, August; rin 4 all six */
  assert_cell(r, "all", "A", "all", "all", "msrg", 0, 2, 0, 2);
  assert_cell(r, "all", "B", "all", "all", "msrg", 0, 2, 0, 6);
  /* months -2..2 crosses the clock date: k = -2 .. 2, five months, rin 4 all */
  assert_cell(r, "all", "A", "all", "all", "maround", 2, 2, 0, 0);
  assert_cell(r, "all", "B", "all", "all", "maround", 2, 2, 0, 5);
  /* -6..12 ends on 2021-12-31, the data's last day: observed */
  assert_cell(r, "all", "A", "all", "all", "eup", 12, 2, 0, 1);
  assert_cell(r, "all", "B", "all", "all", "eup", 12, 2, 0, 1);
  /* -12..4 starts on the data's first day (observed) and has rin 4's job */
  assert_cell(r, "all", "A", "all", "all", "job", 4, 2, 0, 0);
  assert_cell(r, "all", "B", "all", "all", "job", 4, 2, 0, 1);
  /* censored: -13 months is 2020-12-01 .. 2019-12-01, before the data;
   * months -12..12 reads 2022-01-01, after it; -13..13 both */
  assert_cell(r, "all", "A", "all", "all", "left", 0, 0, 2, 0);
  assert_cell(r, "all", "B", "all", "all", "right", 12, 0, 2, 0);
  assert_cell(r, "all", "B", "all", "all", "both", 13, 0, 2, 0);
  assert_true(has_warning(r, "left:", "(the window starts before the data's start, 2020-01-01)"));
  assert_true(has_warning(r, "right:", "(the window ends after the data's end, 2021-12-31)"));
  assert_true(has_warning(r, "both:", "(the window starts before the data's start, 2020-01-01, or "
                                      "the window ends after the data's end, 2021-12-31)"));
  assert_false(has_warning(r, "eup:", ""));
  size_t o = 0;
  while (strcmp(r->outcomes[o].name, "job")) o++;
  assert_int_equal(r->outcomes[o].window_from, -12);
  assert_int_equal(r->outcomes[o].window_to, 4);
  peil_cohort_result_free(r);
  peil_cohort_spec_free(sp);

  /* Exits before 2021-01-01, clock the day after the end: rin 2 2020-07-02,
   * rin 3 2020-07-01, rin 4 2020-04-01. */
  static const char *const ex[] = {
      "population", "exit", "spells", "bijstand", "group", "none", "dates", "2021-01-01",
      "outcome.b3", "ever bijstand -3..0", "outcome.b4", "ever bijstand -4..0",
      "outcome.mj", "months jobs -1..1", "outcome.mj1", "months jobs 0..1", "correct", "none", NULL};
  sp = spec(ex);
  r = run(path, sp);
  assert_int_equal(r->n_rows, 3);
  /* -3..0: each was on bijstand; rin 4's window starts on 2020-01-01, the data's first day */
  assert_cell(r, "all", "all", "all", "all", "b3", 0, 3, 0, 3);
  /* -4..0: rin 4's starts 2019-12-01: censored */
  assert_cell(r, "all", "all", "all", "all", "b4", 0, 2, 1, 2);
  /* k = -1, 0, 1: rin 2 on 2020-07-02 (the job's first day) and 2020-08-02 */
  assert_cell(r, "all", "all", "all", "all", "mj", 1, 3, 0, 2);
  assert_cell(r, "all", "all", "all", "all", "mj1", 1, 3, 0, 1);
  peil_cohort_result_free(r);
  peil_cohort_spec_free(sp);

  /* Windows the spec refuses, with the key and an example. */
  static const struct {
    const char *key, *value, *msg;
  } bad[] = {
      {"outcome.a", "ever jobs -0..6", "outcome.a: expected 'ever TABLE A..B [where C]' with whole months -1200 <= A < B <= 1200"},
      {"outcome.b", "months jobs -6..-6", "e.g. 'months jobs 0..12' or 'months jobs -24..0'"},
      {"outcome.c", "ever jobs -1201..0", "outcome.c: expected"},
      {"outcome.d", "first jobs -3..0 bins 1", "outcome.d: a first window starts at the clock date or later (0 <= A < B), not '-3..0'; for the history use 'ever' or 'months', e.g. 'ever jobs -3..0'"},
      {"outcome.e", "months jobs -6..", "outcome.e: expected"},
      {"cooccur.f", "srg.code -6..-0", "cooccur.f: '-6..-0' is not a window of whole months A..B with -1200 <= A < B <= 1200"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    peil_cohort_spec *s;
    assert_ok(peil_cohort_spec_new("t", &s));
    assert_int_equal(peil_cohort_spec_set(s, bad[i].key, bad[i].value, "x.ini", 3), PEIL_EINVAL);
    if (!strstr(peil_errmsg(), bad[i].msg)) fail_msg("%s: %s", bad[i].value, peil_errmsg());
    assert_non_null(strstr(peil_errmsg(), "x.ini:3: [cohort t] "));
    peil_cohort_spec_free(s);
  }
}

/* Full months from a to b: the largest m with a + m months <= b, checked
 * against that definition for every pair of days over four years. */
static void test_months_between(void **state) {
  (void)state;
  assert_int_equal(peil_date_add_months(D("2020-01-31"), 1), D("2020-02-29"));
  int32_t a0 = D("2019-11-01");
  for (int32_t a = a0; a < a0 + 800; a++)
    for (int32_t b = a; b < a + 700; b++) {
      int m = 0;
      while (peil_date_add_months(a, m + 1) <= b) m++;
      if (cohort_months_between(a, b) != m)
        fail_msg("months from %d to %d: %d, expected %d", a, b, cohort_months_between(a, b), m);
    }
  assert_int_equal(cohort_months_between(D("2020-01-31"), D("2020-02-29")), 1);
  assert_int_equal(cohort_months_between(D("2020-01-31"), D("2020-02-28")), 0);
}

static void test_bad_input(void **state) {
  (void)state;
  /* a spell that ends before it starts: the rin and the row are named */
  static const spell_row bad_end[] = {{1, "2020-05-01", "2020-04-01", 0}};
  const char *p = make_store("badend.h5", bad_end, 1);
  static const char *const base[] = {"population", "stock", "dates", "2020-07-01", "horizons", "6",
                                     "outcome.still", "on bijstand", "correct", "none", NULL};
  peil_cohort_spec *sp = spec(base);
  assert_int_equal(run_fails(p, sp), PEIL_EDATA);
  assert_non_null(strstr(peil_errmsg(), "row 1 (rin 1)"));
  assert_non_null(strstr(peil_errmsg(), "ends (2020-04-01) before it starts"));

  /* not sorted by rin */
  static const spell_row unsorted[] = {{2, "2020-01-01", NULL, 0}, {1, "2020-01-01", NULL, 0}};
  p = make_store("unsorted.h5", unsorted, 2);
  assert_int_equal(run_fails(p, sp), PEIL_EDATA);
  assert_non_null(strstr(peil_errmsg(), "not sorted by rin"));
  peil_cohort_spec_free(sp);

  /* overlapping spells in a table declared exclusive */
  static const spell_row overlap[] = {{1, "2020-01-01", "2020-08-01", 0}, {1, "2020-07-01", NULL, 1}};
  p = make_store("overlap.h5", overlap, 2);
  static const char *const excl[] = {"population", "stock", "dates", "2020-07-01", "horizons", "6",
                                     "outcome.still", "on bijstand", "exclusive", "bijstand",
                                     "correct", "none", NULL};
  sp = spec(excl);
  assert_int_equal(run_fails(p, sp), PEIL_EDATA);
  assert_non_null(strstr(peil_errmsg(), "spells overlap"));
  peil_cohort_spec_free(sp);
  /* ... which is fine when the table is not declared exclusive */
  sp = spec(base);
  peil_cohort_result *r = run(p, sp);
  assert_int_equal(r->n_rows, 1);
  peil_cohort_result_free(r);
  peil_cohort_spec_free(sp);

  /* a spell without a group value is left out, and said */
  static const spell_row nogroup[] = {{1, "2020-01-01", NULL, -1}, {2, "2020-01-01", NULL, 0}};
  p = make_store("nogroup.h5", nogroup, 2);
  sp = spec(base);
  r = run(p, sp);
  assert_int_equal(r->n_rows, 1);
  int said = 0;
  for (size_t i = 0; i < r->nwarnings; i++)
    said |= strstr(r->warnings[i], "1 person-dates left out: their bijstand spell has no "
                                   "municipality value") != NULL;
  assert_true(said);
  peil_cohort_result_free(r);
  peil_cohort_spec_free(sp);

  /* a reference date outside the data */
  p = make_store("good.h5", NULL, 0);
  static const char *const early[] = {"population", "stock", "dates", "2019-07-01", "horizons", "6",
                                      "outcome.still", "on bijstand", "correct", "none", NULL};
  sp = spec(early);
  assert_int_equal(run_fails(p, sp), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "2019-07-01 lies outside the data"));
  peil_cohort_spec_free(sp);

  /* an unknown code in a code set */
  static const char *const code[] = {"population", "stock", "dates", "2020-07-01", "horizons", "6",
                                     "outcome.still", "on bijstand", "subset.s",
                                     "srg where code in (\"X\", \"LKSPWT\")", "correct", "none", NULL};
  sp = spec(code);
  assert_true(run_fails(p, sp) < 0);
  assert_non_null(strstr(peil_errmsg(), "unknown level \"LKSPWT\""));
  peil_cohort_spec_free(sp);

  /* an empty population */
  static const char *const empty[] = {"population", "stock", "dates", "2020-07-01", "horizons", "6",
                                      "groups", "B", "spells", "bijstand", "outcome.still",
                                      "on jobs", "subset.s", "srg", "correct", "none", NULL};
  sp = spec(empty);
  r = run(p, sp); /* rin 4 is in B: not empty */
  assert_int_equal(r->n_rows, 1);
  peil_cohort_result_free(r);
  peil_cohort_spec_free(sp);
  static const char *const none[] = {"population", "inflow", "dates", "2021-06-01",
                                     "period", "1", "outcome.still", "ever jobs 0..1",
                                     "correct", "none", NULL};
  sp = spec(none);
  assert_int_equal(run_fails(p, sp), PEIL_EDATA);
  assert_non_null(strstr(peil_errmsg(), "the population is empty"));
  peil_cohort_spec_free(sp);

  /* spec errors */
  peil_cohort_spec *s;
  assert_ok(peil_cohort_spec_new("t", &s));
  assert_int_equal(peil_cohort_spec_set(s, "horizon", "6", "x.ini", 7), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "x.ini:7: [cohort t] unknown key 'horizon'"));
  assert_int_equal(peil_cohort_spec_set(s, "dates", "2020-07-01..2020-01-01 every 6 months", "x.ini", 8), PEIL_EINVAL);
  assert_int_equal(peil_cohort_spec_set(s, "outcome.y", "ever jobs 6..3", "x.ini", 9), PEIL_EINVAL);
  assert_int_equal(peil_cohort_spec_set(s, "outcome.z", "sometimes jobs", "x.ini", 10), PEIL_EINVAL);
  assert_int_equal(peil_cohort_spec_finish(s), PEIL_EINVAL); /* no population */
  peil_cohort_spec_free(s);
}

/* The correction fits rows collapsed per person and row of X with
 * frequency weights; that must give what a fit on the person-dates gives:
 * the adjusted shares, differences and their clustered SEs. */
static void test_collapsed_correction(void **state) {
  (void)state;
  const char *path = test_path("sim.h5");
  peil_store *s;
  assert_ok(peil_store_open(path, PEIL_STORE_CREATE, &s));
  peil_sim_params p;
  peil_sim_params_default(&p);
  p.persons = 4000;
  p.seed = 5;
  peil_sim_report rep;
  assert_ok(peil_sim_run(&p, s, &rep));
  assert_ok(peil_store_commit(s));
  peil_store_close(s);
  static const char *const kv[] = {
      "population", "stock", "dates", "2018-01-01..2020-01-01 every 6 months", "horizons", "12",
      "outcome.still", "on bijstand same", "subset.srg", "srg", "strata", "duration",
      "covariates", "age_band, sex, duration", "correct", "lpm, logit", "correct_within",
      "duration", NULL};
  peil_cohort_spec *sp = spec(kv);
  peil_cohort_options o;
  peil_cohort_options_init(&o);
  o.rows_path = test_path("rows.h5");
  assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
  peil_cohort_result *r;
  assert_ok(peil_cohort_run(s, sp, &o, &r));
  peil_store_close(s);
  assert_ok(peil_store_open(o.rows_path, PEIL_STORE_READ, &s));
  size_t checked = 0;
  for (int logit = 0; logit < 2; logit++)
    for (size_t su = 0; su < 2; su++)
      for (size_t lv = 0; lv < 4; lv++) { /* all, then the three duration classes */
        size_t st = lv ? 1 : 0, level = lv ? lv - 1 : 0;
        char where[128];
        if (su && lv) snprintf(where, sizeof where, "in_srg == 1 & duration == \"%s\"", r->strata[1].levels[level]);
        else if (su) snprintf(where, sizeof where, "in_srg == 1");
        else if (lv) snprintf(where, sizeof where, "duration == \"%s\"", r->strata[1].levels[level]);
        peil_glm_options go;
        peil_glm_options_init(&go);
        go.formula = lv ? "still_12 ~ municipality + age_band + sex"
                        : "still_12 ~ municipality + age_band + sex + duration";
        go.family = logit ? "binomial" : "gaussian";
        go.where = su || lv ? where : NULL;
        const char *refs[1] = {"municipality=Amsterdam"};
        go.refs = refs;
        go.nrefs = 1;
        go.margins = "municipality";
        go.cluster = "rin";
        peil_glm *g;
        assert_ok(peil_glm_fit(s, "rows", &go, &g));
        for (size_t i = 0; i < r->nadjusted; i++) {
          const peil_cohort_adjusted *a = &r->adjusted[i];
          if (a->subset != su || a->stratum != st || a->level != level ||
              strcmp(a->model, logit ? "logit" : "lpm"))
            continue;
          const peil_glm_row *row = NULL;
          const peil_glm_row *v = a->is_diff ? g->diff : g->margin;
          size_t nv = a->is_diff ? g->ndiffs : g->nmargins;
          for (size_t k = 0; k < nv; k++)
            if (!strcmp(v[k].term, r->groups[a->group])) row = &v[k];
          assert_non_null(row);
          assert_close(a->estimate, row->estimate, 1e-9);
          assert_close(a->std_error, row->std_error, 1e-9);
          checked++;
        }
        peil_glm_free(g);
      }
  assert_true(checked >= 2 * 2 * 4 * 7 - 8); /* 4 shares + 3 differences per fit */
  peil_store_close(s);
  peil_cohort_result_free(r);
  peil_cohort_spec_free(sp);
  unlink(path);
  unlink(o.rows_path);
}

/* The pass split among threads in parts gives the same result as one pass:
 * every table, the corrected numbers, and the rows in the same order. An
 * unsorted table is found wherever the parts split it. */
static void test_parts(void **state) {
  (void)state;
  const char *path = test_path("parts.h5");
  peil_store *s;
  assert_ok(peil_store_open(path, PEIL_STORE_CREATE, &s));
  peil_sim_params p;
  peil_sim_params_default(&p);
  p.persons = 3000;
  p.seed = 9;
  peil_sim_report rep;
  assert_ok(peil_sim_run(&p, s, &rep));
  assert_ok(peil_store_commit(s));
  peil_store_close(s);
  static const char *const kv[] = {
      "population", "stock", "dates", "2018-01-01..2020-01-01 every 6 months", "horizons", "6, 12",
      "outcome.still", "on bijstand same", "outcome.fj", "first jobs 0..12 bins 3",
      "subset.srg", "srg", "strata", "duration, age_band", "state.work", "jobs",
      "state.b", "bijstand", "transitions", "0, 6, 12", "cooccur.c", "srg.code 0..6",
      "outcome.hist", "months jobs -40..0", "cooccur.h", "srg.code -40..-12",
      "covariates", "age_band, sex", "correct", "lpm", NULL};
  peil_cohort_spec *sp = spec(kv);
  peil_cohort_result *r[3];
  const char *rows[3] = {test_path("parts-rows1.h5"), test_path("parts-rows2.h5"), test_path("parts-rows3.h5")};
  for (int k = 0; k < 3; k++) {
    peil_cohort_options o;
    peil_cohort_options_init(&o);
    o.threads = k + 1;
    o.part_persons = 500; /* 1, 2 and 3 parts */
    o.rows_path = rows[k];
    assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
    assert_ok(peil_cohort_run(s, sp, &o, &r[k]));
    peil_store_close(s);
  }
  for (int k = 1; k < 3; k++) {
    assert_int_equal(r[k]->n_rows, r[0]->n_rows);
    assert_int_equal(r[k]->n_persons, r[0]->n_persons);
    assert_int_equal(r[k]->n_persons_in, r[0]->n_persons_in);
    /* field by field (struct padding is not part of the result) */
#define SAME(arr, n, ...)                                                           \
  do {                                                                              \
    assert_int_equal(r[k]->n, r[0]->n);                                             \
    for (size_t i = 0; i < r[0]->n; i++) {                                          \
      const __typeof__(r[0]->arr[0]) *x = &r[k]->arr[i], *y = &r[0]->arr[i];       \
      assert_true(x->subset == y->subset && x->date == y->date && x->group == y->group && \
                  x->stratum == y->stratum && x->level == y->level && __VA_ARGS__); \
    }                                                                               \
  } while (0)
    SAME(cells, ncells, x->outcome == y->outcome && x->horizon == y->horizon && x->n == y->n &&
                            x->censored == y->censored && x->sum == y->sum);
    SAME(pop, npop, x->n == y->n && x->share == y->share);
    SAME(transitions, ntransitions, x->step == y->step && x->from == y->from && x->to == y->to &&
                                        x->n == y->n);
    SAME(paths, npaths, !memcmp(x->state, y->state, sizeof x->state) && x->n == y->n &&
                            x->share == y->share);
    SAME(cooc_cells, ncooc_cells, x->a == y->a && x->b == y->b && x->n_ab == y->n_ab);
#undef SAME
    /* the censoring (history windows before the data on the first dates) is said alike */
    assert_int_equal(r[k]->nwarnings, r[0]->nwarnings);
    for (size_t i = 0; i < r[0]->nwarnings; i++) assert_string_equal(r[k]->warnings[i], r[0]->warnings[i]);
    assert_true(has_warning(r[k], "hist:", "(the window starts before the data's start, 2015-01-01)"));
    assert_true(has_warning(r[k], "cooccur.h:", "(the window starts before the data's start, 2015-01-01)"));
    assert_int_equal(r[k]->nadjusted, r[0]->nadjusted);
    for (size_t i = 0; i < r[0]->nadjusted; i++) {
      assert_true(r[k]->adjusted[i].estimate == r[0]->adjusted[i].estimate);
      assert_true(r[k]->adjusted[i].std_error == r[0]->adjusted[i].std_error);
    }
    /* the rows, in the same order */
    peil_store *a, *b;
    assert_ok(peil_store_open(rows[0], PEIL_STORE_READ, &a));
    assert_ok(peil_store_open(rows[k], PEIL_STORE_READ, &b));
    peil_scan *sa, *sb;
    const char *cols[3] = {"rin", "date", "still_6"};
    assert_ok(peil_scan_open(a, "rows", cols, 3, 0, &sa));
    assert_ok(peil_scan_open(b, "rows", cols, 3, 0, &sb));
    assert_int_equal(peil_scan_nrows(sa), r[0]->n_rows);
    peil_block ba, bb;
    while (peil_scan_next(sa, &ba) == 1) {
      assert_int_equal(peil_scan_next(sb, &bb), 1);
      assert_int_equal(ba.nrows, bb.nrows);
      assert_memory_equal(ba.cols[0], bb.cols[0], ba.nrows * 8);
      assert_memory_equal(ba.cols[1], bb.cols[1], ba.nrows * 4);
      assert_memory_equal(ba.cols[2], bb.cols[2], ba.nrows);
    }
    peil_scan_close(sa);
    peil_scan_close(sb);
    peil_store_close(a);
    peil_store_close(b);
  }
  for (int k = 0; k < 3; k++) {
    peil_cohort_result_free(r[k]);
    unlink(rows[k]);
  }
  peil_cohort_spec_free(sp);
  unlink(path);

  /* rins out of order across the split: rin 3 after rin 5 (the parts split
   * at person 3, and each part's rows are sorted in themselves) */
  static const spell_row swapped[] = {{1, "2019-06-01", NULL, 0}, {2, "2019-06-01", NULL, 0},
                                      {5, "2019-06-01", NULL, 0}, {3, "2019-06-01", NULL, 0},
                                      {4, "2019-06-01", NULL, 0}, {6, "2019-06-01", NULL, 0}};
  const char *bad = make_store("swapped.h5", swapped, 6);
  static const char *const base[] = {"population", "stock", "dates", "2020-07-01", "horizons", "6",
                                     "outcome.still", "on bijstand", "correct", "none", NULL};
  sp = spec(base);
  for (int parts = 1; parts <= 3; parts++) {
    peil_cohort_options o;
    peil_cohort_options_init(&o);
    o.threads = parts;
    o.part_persons = 2;
    assert_ok(peil_store_open(bad, PEIL_STORE_READ, &s));
    peil_cohort_result *x = NULL;
    assert_int_equal(peil_cohort_run(s, sp, &o, &x), PEIL_EDATA);
    assert_non_null(strstr(peil_errmsg(), "not sorted by rin"));
    peil_store_close(s);
  }
  peil_cohort_spec_free(sp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stock_boundaries), cmocka_unit_test(test_pooled_and_by_date),
      cmocka_unit_test(test_inflow_and_windows), cmocka_unit_test(test_exit_since),
      cmocka_unit_test(test_history_windows),
      cmocka_unit_test(test_months_between), cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_collapsed_correction), cmocka_unit_test(test_parts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

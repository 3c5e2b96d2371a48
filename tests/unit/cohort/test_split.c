/* peil_split_write and its options on a hand-built store: the table's
 * columns and every row of a small case worked out below, the summary's
 * counts and raw rates, the where filter and the age range, the same
 * table with one thread and two, and bad input: each a clear message, a
 * PEIL_E code that exits 2, and the output store without the table.
 *
 * Persons 1..5 (birth date, sex, hours); data 2020-01-01 .. 2020-12-31.
 * bijstand:
 *   rin 1  2020-01-01 .. 2020-01-31, 2020-02-01 .. 2020-04-30 (adjacent: one episode)
 *   rin 2  2019-12-01 .. 2020-03-31 (began before the data: delayed entry, t0 = 31)
 *          2020-06-01 .. open       (censored at 2020-12-31)
 *   rin 3  2020-03-01 .. 2020-03-31
 *   rin 4  2020-05-01 .. 2020-08-31 (no birth date)
 * jobs: rin 1 2020-05-10 (+10 days: the event), rin 3 2020-06-15 (+76: none).
 * programme: rin 1 2020-02-15 .. 2020-03-15 (on day 45), rin 2 2019-01-01 ..
 *   2019-06-30 (earlier), rin 4 2020-09-01 (after the episode).
 * Cuts 30, 60, 90: */
#include "cohort_fixture.h"

#include "cohort/split_internal.h"

static const char *const SEXES[] = {"man", "vrouw"};

static const spell_row BIJSTAND[] = {
    {1, "2020-01-01", "2020-01-31", 0}, {1, "2020-02-01", "2020-04-30", 0},
    {2, "2019-12-01", "2020-03-31", 0}, {2, "2020-06-01", NULL, 0},
    {3, "2020-03-01", "2020-03-31", 0}, {4, "2020-05-01", "2020-08-31", 0}};
static const spell_row JOBS[] = {{1, "2020-05-10", NULL, 0}, {3, "2020-06-15", "2020-07-15", 0}};
static const spell_row PROGRAMME[] = {{1, "2020-02-15", "2020-03-15", 0},
                                      {2, "2019-01-01", "2019-06-30", 0},
                                      {4, "2020-09-01", "2020-10-31", 0}};

static void write_persons(peil_store *s, int with_birth) {
  peil_column_def defs[4] = {{"rin", PEIL_INT64, 0, NULL},
                             {"sex", PEIL_ENUM, 2, SEXES},
                             {"hours", PEIL_INT16, 0, NULL},
                             {"birth_date", PEIL_DATE, 0, NULL}};
  int64_t rin[5] = {1, 2, 3, 4, 5};
  int32_t sex[5] = {0, 1, 1, 0, 1};
  int16_t hours[5] = {10, 20, 30, 40, 50};
  int32_t birth[5] = {D("1992-02-29"), D("1960-06-01"), D("2000-03-01"),
                      PEIL_NA_DATE, D("1980-01-01")};
  const void *cols[4] = {rin, sex, hours, birth};
  assert_ok(peil_table_write(s, "persons", defs, with_birth ? 4 : 3, cols, 5));
}

/* The store of the header comment; `bij` replaces bijstand for bad input. */
static const char *make_store(const char *name, const spell_row *bij, size_t nbij, int with_birth,
                              int coverage) {
  /* A buffer of its own: test_path's are reused after eight calls. */
  static char paths[16][1024];
  static int k;
  char *path = paths[k++ % 16];
  snprintf(path, sizeof paths[0], "%s", test_path(name));
  peil_store *s;
  assert_ok(peil_store_open(path, PEIL_STORE_CREATE, &s));
  write_persons(s, with_birth);
  write_spells(s, "bijstand", bij ? bij : BIJSTAND, bij ? nbij : 6, NULL, NULL, 0);
  write_spells(s, "jobs", JOBS, 2, NULL, NULL, 0);
  write_spells(s, "programme", PROGRAMME, 3, NULL, NULL, 0);
  if (coverage) {
    assert_ok(peil_store_set_attr_str(s, NULL, "data_start", "2020-01-01"));
    assert_ok(peil_store_set_attr_str(s, NULL, "data_end", "2020-12-31"));
  }
  assert_ok(peil_store_commit(s));
  peil_store_close(s);
  return path;
}

static void options(peil_split_options *o, const char *const *kv) {
  assert_ok(peil_split_options_init(o));
  assert_ok(peil_split_options_set(o, "cuts", "30, 60, 90"));
  assert_ok(peil_split_options_set(o, "treatment", "programme"));
  assert_ok(peil_split_options_set(o, "threads", "1"));
  for (size_t i = 0; kv && kv[i]; i += 2) assert_ok(peil_split_options_set(o, kv[i], kv[i + 1]));
}

/* Splits `in` into a new store `out` (committed); returns the status. */
static int split(const char *in, const char *out, const peil_split_options *o, peil_split_summary *sum) {
  peil_store *a, *b;
  assert_ok(peil_store_open(in, PEIL_STORE_READ, &a));
  assert_ok(peil_store_open(out, PEIL_STORE_UPDATE, &b));
  int rc = peil_split_write(a, b, o, sum);
  if (!rc) assert_ok(peil_store_commit(b));
  peil_store_close(b);
  peil_store_close(a);
  return rc;
}

/* The table as text, a row per line: rin episode tstart tstop event period treated. */
static char *table_text(const char *path, const char *table) {
  peil_store *s;
  assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
  const char *cols[] = {"rin", "episode", "tstart", "tstop", "exposure", "event", "period", "treated"};
  peil_scan *sc;
  assert_ok(peil_scan_open(s, table, cols, 8, 0, &sc));
  const peil_column_info *period = peil_scan_column(sc, 6);
  static char buf[8192];
  size_t len = 0;
  peil_block b;
  while (peil_scan_next(sc, &b) == 1)
    for (size_t i = 0; i < b.nrows; i++) {
      const int32_t *c[8];
      for (int j = 1; j < 8; j++) c[j] = b.cols[j];
      assert_int_equal(((const int32_t *)b.cols[4])[i],
                       ((const int32_t *)b.cols[3])[i] - ((const int32_t *)b.cols[2])[i]);
      len += (size_t)snprintf(buf + len, sizeof buf - len, "%lld %d %d %d %d %s %d\n",
                              (long long)((const int64_t *)b.cols[0])[i], c[1][i], c[2][i], c[3][i],
                              ((const int8_t *)b.cols[5])[i], period->levels[c[6][i]],
                              ((const int8_t *)b.cols[7])[i]);
    }
  peil_scan_close(sc);
  peil_store_close(s);
  return buf;
}

/* The store at path has exactly these tables (none half-written). */
static void assert_tables(const char *path, size_t n, const char *const *names) {
  if (!file_exists(path)) {
    assert_int_equal(n, 0);
    return;
  }
  peil_store *s;
  assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
  char **v;
  size_t m;
  assert_ok(peil_store_list_tables(s, &v, &m));
  assert_int_equal(m, n);
  for (size_t i = 0; i < n; i++) assert_string_equal(v[i], names[i]);
  peil_strings_free(v, m);
  peil_store_close(s);
}

/* ---- The table. */

static void test_split_rows(void **state) {
  (void)state;
  const char *in = make_store("rows.h5", NULL, 0, 1, 1);
  const char *out = test_path("rows-out.h5");
  peil_split_options o;
  options(&o, NULL);
  peil_split_summary sum;
  assert_ok(split(in, out, &o, &sum));
  /* rin 1: days 0..120 (Jan 1 .. Apr 30), programme from day 45, event.
   * rin 2: entry on 2020-01-01 = day 31 of an episode from 2019-12-01 to
   *   Mar 31 (day 121); ended, no job; earlier programme. Episode 2 from
   *   Jun 1, open: censored at Dec 31 (day 213).
   * rin 3: 31 days, no job within 31 days. rin 4: 123 days, programme after. */
  const char *want =
      "1 1 0 30 0 0-30 0\n"
      "1 1 30 45 0 30-60 0\n"
      "1 1 45 60 0 30-60 1\n"
      "1 1 60 90 0 60-90 1\n"
      "1 1 90 121 1 90+ 1\n"
      "2 1 31 60 0 30-60 0\n"
      "2 1 60 90 0 60-90 0\n"
      "2 1 90 122 0 90+ 0\n"
      "2 2 0 30 0 0-30 0\n"
      "2 2 30 60 0 30-60 0\n"
      "2 2 60 90 0 60-90 0\n"
      "2 2 90 214 0 90+ 0\n"
      "3 1 0 30 0 0-30 0\n"
      "3 1 30 31 0 30-60 0\n"
      "4 1 0 30 0 0-30 0\n"
      "4 1 30 60 0 30-60 0\n"
      "4 1 60 90 0 60-90 0\n"
      "4 1 90 123 0 90+ 0\n";
  assert_string_equal(table_text(out, "episodes"), want);
  /* The columns: the fixed ones, then the person's and the computed. */
  peil_store *s;
  assert_ok(peil_store_open(out, PEIL_STORE_READ, &s));
  peil_table_info *ti;
  assert_ok(peil_store_table_info(s, "episodes", &ti));
  const char *names[] = {"rin", "episode", "start", "tstart", "tstop", "exposure", "event", "period",
                         "treated", "sex", "hours", "age", "age_class", "year", "earlier"};
  const peil_type types[] = {PEIL_INT64, PEIL_INT32, PEIL_DATE, PEIL_INT32, PEIL_INT32,
                             PEIL_INT32, PEIL_INT8, PEIL_ENUM, PEIL_INT8, PEIL_ENUM,
                             PEIL_INT16, PEIL_INT16, PEIL_ENUM, PEIL_INT16, PEIL_INT8};
  assert_int_equal(ti->ncols, 15);
  for (size_t j = 0; j < 15; j++) {
    assert_string_equal(ti->cols[j].name, names[j]);
    assert_int_equal(ti->cols[j].type, types[j]);
  }
  assert_int_equal(ti->cols[7].nlevels, 4);
  assert_string_equal(ti->cols[7].levels[0], "0-30"); /* the reference band first */
  assert_string_equal(ti->cols[7].levels[3], "90+");
  assert_string_equal(ti->cols[12].levels[0], "< 27");
  peil_table_info_free(ti);
  /* Covariates as at the episode's start: rin 1, born on 29 February 1992,
   * turned 27 on 28 February 2019; rin 4 has no birth date. */
  const char *cols[] = {"rin", "age", "age_class", "year", "earlier", "sex", "hours", "start"};
  peil_scan *sc;
  assert_ok(peil_scan_open(s, "episodes", cols, 8, 0, &sc));
  peil_block b;
  assert_int_equal(peil_scan_next(sc, &b), 1);
  const int16_t *age = b.cols[1], *year = b.cols[3], *hours = b.cols[6];
  const int32_t *cls = b.cols[2], *sex = b.cols[5], *start = b.cols[7];
  const int8_t *earlier = b.cols[4];
  assert_int_equal(age[0], 27);
  assert_int_equal(cls[0], 1); /* 27-34 */
  assert_int_equal(year[0], 2020);
  assert_int_equal(age[5], 59); /* rin 2, born 1960-06-01, episode from 2019-12-01 */
  assert_int_equal(year[5], 2019);
  assert_int_equal(start[5], D("2019-12-01"));
  assert_int_equal(earlier[5], 1);
  assert_int_equal(earlier[8], 1);  /* the second episode: the programme ended before it too */
  assert_int_equal(earlier[0], 0);
  assert_int_equal(sex[5], 1);
  assert_int_equal(hours[12], 30);
  assert_int_equal(age[14], PEIL_NA_INT16);
  assert_int_equal(cls[14], PEIL_NA_ENUM);
  peil_scan_close(sc);
  peil_store_close(s);
  /* The summary. */
  assert_int_equal(sum.n_persons, 5);
  assert_int_equal(sum.n_persons_out, 4);
  assert_int_equal(sum.n_spells, 6);
  assert_int_equal(sum.n_episodes, 5);
  assert_int_equal(sum.n_kept, 5);
  assert_int_equal(sum.n_truncated, 1);
  assert_int_equal(sum.n_ended, 4);
  assert_int_equal(sum.n_censored, 1);
  assert_int_equal(sum.n_events, 1);
  assert_int_equal(sum.n_treated, 1);
  assert_int_equal(sum.n_treated_events, 1);
  assert_int_equal(sum.n_pieces, 18);
  assert_int_equal(sum.exposure, 121 + 91 + 214 + 31 + 123);
  assert_int_equal(sum.nperiods, 4);
  assert_string_equal(sum.periods[3], "90+");
  /* 90+: untreated rin 2 (32 + 124 days), rin 4 (33); treated rin 1 (31, the event). */
  assert_int_equal(sum.cells[3 * 2 + 0].exposure, 32 + 124 + 33);
  assert_int_equal(sum.cells[3 * 2 + 0].events, 0);
  assert_int_equal(sum.cells[3 * 2 + 1].exposure, 31);
  assert_int_equal(sum.cells[3 * 2 + 1].events, 1);
  assert_int_equal(sum.cells[1 * 2 + 1].pieces, 1);
  assert_int_equal(sum.ntables, 3);
  assert_string_equal(sum.tables[0], "bijstand");
  assert_int_equal(sum.orphans[0], 0);
  peil_split_summary_free(&sum);
  peil_split_options_free(&o);
}

/* The event as any end, with the window given; treated off again. */
static void test_split_variants(void **state) {
  (void)state;
  const char *in = make_store("var.h5", NULL, 0, 1, 1);
  const char *out = test_path("var-out.h5");
  peil_split_options o;
  const char *kv[] = {"event", "ended", "treatment-end", "4", "covariates", "none", "gap", "none", NULL};
  options(&o, kv);
  assert_ok(split(in, out, &o, NULL));
  /* rin 1: two episodes now (gap none), both ended: events; the programme
   * (Feb 15 .. Mar 15) is in the second (from Feb 1): on day 14, off on
   * Mar 20, day 48. */
  const char *want =
      "1 1 0 30 0 0-30 0\n"
      "1 1 30 31 1 30-60 0\n"
      "1 2 0 14 0 0-30 0\n"
      "1 2 14 30 0 0-30 1\n"
      "1 2 30 48 0 30-60 1\n"
      "1 2 48 60 0 30-60 0\n"
      "1 2 60 90 1 60-90 0\n"
      "2 1 31 60 0 30-60 0\n"
      "2 1 60 90 0 60-90 0\n"
      "2 1 90 122 1 90+ 0\n"
      "2 2 0 30 0 0-30 0\n"
      "2 2 30 60 0 30-60 0\n"
      "2 2 60 90 0 60-90 0\n"
      "2 2 90 214 0 90+ 0\n"
      "3 1 0 30 0 0-30 0\n"
      "3 1 30 31 1 30-60 0\n"
      "4 1 0 30 0 0-30 0\n"
      "4 1 30 60 0 30-60 0\n"
      "4 1 60 90 0 60-90 0\n"
      "4 1 90 123 1 90+ 0\n";
  assert_string_equal(table_text(out, "episodes"), want);
  peil_store *s;
  assert_ok(peil_store_open(out, PEIL_STORE_READ, &s));
  peil_table_info *ti;
  assert_ok(peil_store_table_info(s, "episodes", &ti));
  assert_int_equal(ti->ncols, 9); /* covariates none */
  peil_table_info_free(ti);
  peil_store_close(s);
  peil_split_options_free(&o);
}

static void test_split_where_and_age(void **state) {
  (void)state;
  const char *in = make_store("where.h5", NULL, 0, 1, 1);
  const char *out = test_path("where-out.h5");
  peil_split_options o;
  /* Episodes starting in 2020 of women (sex is a person column not carried). */
  const char *kv[] = {"where", "year >= 2020 & sex == \"vrouw\"", "covariates", "age, earlier, end", NULL};
  options(&o, kv);
  peil_split_summary sum;
  assert_ok(split(in, out, &o, &sum));
  assert_string_equal(table_text(out, "episodes"),
                      "2 2 0 30 0 0-30 0\n2 2 30 60 0 30-60 0\n2 2 60 90 0 60-90 0\n2 2 90 214 0 90+ 0\n"
                      "3 1 0 30 0 0-30 0\n3 1 30 31 0 30-60 0\n");
  assert_int_equal(sum.n_filtered, 3);
  assert_int_equal(sum.n_kept, 2);
  peil_split_summary_free(&sum);
  peil_store *s;
  assert_ok(peil_store_open(out, PEIL_STORE_READ, &s));
  peil_table_info *ti;
  assert_ok(peil_store_table_info(s, "episodes", &ti));
  assert_int_equal(ti->ncols, 12);
  assert_string_equal(ti->cols[9].name, "age");
  assert_string_equal(ti->cols[11].name, "end");
  peil_table_info_free(ti);
  peil_store_close(s);
  /* An age range: 25..40 keeps rin 1 (27); rin 4 has no age. */
  assert_ok(peil_split_options_set(&o, "where", "none"));
  assert_ok(peil_split_options_set(&o, "age", "25..40"));
  assert_ok(peil_split_options_set(&o, "force", "yes"));
  assert_ok(split(in, out, &o, &sum));
  assert_int_equal(sum.n_age, 4);
  assert_int_equal(sum.n_kept, 1);
  assert_int_equal(sum.n_persons_out, 1);
  peil_split_summary_free(&sum);
  /* The follow-up window: the data taken to run from March to June 15. */
  assert_ok(peil_split_options_set(&o, "age", "all"));
  assert_ok(peil_split_options_set(&o, "data_start", "2020-03-01"));
  assert_ok(peil_split_options_set(&o, "data-end", "2020-06-15"));
  assert_ok(split(in, out, &o, &sum));
  assert_int_equal(sum.n_outside, 0);
  assert_int_equal(sum.n_truncated, 2); /* rin 1, rin 2's first */
  assert_int_equal(sum.n_censored, 2);  /* rin 2's second, rin 4 */
  assert_int_equal(sum.follow_start, D("2020-03-01"));
  peil_split_summary_free(&sum);
  assert_ok(peil_split_options_set(&o, "data_start", "2020-05-01"));
  assert_ok(split(in, out, &o, &sum));
  assert_int_equal(sum.n_outside, 3); /* rin 1, rin 2's first, rin 3: ended by April */
  peil_split_summary_free(&sum);
  peil_split_options_free(&o);
}

/* Write-behind on a second thread gives the same file contents. */
static void test_split_threads(void **state) {
  (void)state;
  const char *in = make_store("thr.h5", NULL, 0, 1, 1);
  peil_split_options o;
  options(&o, NULL);
  char one[8192];
  assert_ok(split(in, test_path("thr-1.h5"), &o, NULL));
  strcpy(one, table_text(test_path("thr-1.h5"), "episodes"));
  assert_ok(peil_split_options_set(&o, "threads", "2"));
  assert_ok(split(in, test_path("thr-2.h5"), &o, NULL));
  assert_string_equal(table_text(test_path("thr-2.h5"), "episodes"), one);
  peil_split_options_free(&o);
}

/* Into the input store itself (one handle, opened for update). */
static void test_split_same_store(void **state) {
  (void)state;
  const char *path = make_store("same.h5", NULL, 0, 1, 1);
  peil_split_options o;
  options(&o, NULL);
  peil_store *s;
  assert_ok(peil_store_open(path, PEIL_STORE_UPDATE, &s));
  assert_ok(peil_split_write(s, s, &o, NULL));
  assert_ok(peil_store_commit(s));
  peil_store_close(s);
  const char *tables[] = {"bijstand", "episodes", "jobs", "persons", "programme"};
  assert_tables(path, 5, tables);
  /* Naming it after an input is refused. */
  assert_ok(peil_split_options_set(&o, "table", "jobs"));
  assert_ok(peil_split_options_set(&o, "force", "yes"));
  assert_ok(peil_store_open(path, PEIL_STORE_UPDATE, &s));
  assert_int_equal(peil_split_write(s, s, &o, NULL), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "cannot be called 'jobs': that is one of its inputs"));
  peil_store_close(s);
  assert_tables(path, 5, tables);
  peil_split_options_free(&o);
}

/* ---- Options. */

static void expect_set_error(peil_split_options *o, const char *key, const char *value, const char *msg) {
  assert_int_equal(peil_split_options_set(o, key, value), PEIL_EINVAL);
  if (!strstr(peil_errmsg(), msg)) fail_msg("%s = %s: '%s' lacks '%s'", key, value, peil_errmsg(), msg);
  assert_int_equal(peil_exit_code(PEIL_EINVAL), 2);
}

static void test_options(void **state) {
  (void)state;
  peil_split_options o;
  assert_ok(peil_split_options_init(&o));
  assert_string_equal(o.spells, "bijstand");
  assert_string_equal(o.event, "jobs");
  assert_int_equal(o.within_from, 1);
  assert_int_equal(o.within_to, 31);
  assert_int_equal(o.ncuts, 5);
  assert_int_equal(o.cuts[4], 547);
  assert_int_equal(o.gap, 0);
  assert_null(o.treatment);
  assert_int_equal(o.treatment_end, -1);
  assert_int_equal(o.data_start, PEIL_NA_DATE);
  assert_true(o.covariates_all);
  assert_string_equal(o.table, "episodes");
  /* Values. */
  assert_ok(peil_split_options_set(&o, "treatment-end", "14"));
  assert_int_equal(o.treatment_end, 14);
  assert_ok(peil_split_options_set(&o, "treatment_end", "stays"));
  assert_int_equal(o.treatment_end, -1);
  assert_ok(peil_split_options_set(&o, "within", "-7..62"));
  assert_int_equal(o.within_from, -7);
  assert_int_equal(o.within_to, 62);
  assert_ok(peil_split_options_set(&o, "within", " 14 "));
  assert_int_equal(o.within_from, 1);
  assert_int_equal(o.within_to, 14);
  assert_ok(peil_split_options_set(&o, "gap", "none"));
  assert_int_equal(o.gap, -1);
  assert_ok(peil_split_options_set(&o, "cuts", "none"));
  assert_int_equal(o.ncuts, 0);
  assert_ok(peil_split_options_set(&o, "cuts", "10,20"));
  assert_int_equal(o.ncuts, 2);
  assert_ok(peil_split_options_set(&o, "data_start", "none"));
  assert_int_equal(o.data_start, PEIL_SPLIT_NEVER);
  assert_ok(peil_split_options_set(&o, "data_start", "01-02-2016"));
  assert_int_equal(o.data_start, D("2016-02-01"));
  assert_ok(peil_split_options_set(&o, "data-end", "data"));
  assert_int_equal(o.data_end, PEIL_NA_DATE);
  assert_ok(peil_split_options_set(&o, "age", "18..64"));
  assert_int_equal(o.age_min, 18);
  assert_ok(peil_split_options_set(&o, "covariates", "sex, age_class"));
  assert_int_equal(o.ncovariates, 2);
  assert_false(o.covariates_all);
  assert_ok(peil_split_options_set(&o, "covariates", "none"));
  assert_int_equal(o.ncovariates, 0);
  assert_false(o.covariates_all);
  assert_ok(peil_split_options_set(&o, "event", "jobs where contract == \"vast\""));
  assert_ok(peil_split_options_set(&o, "event", "ended"));
  assert_string_equal(o.event, "ended");
  assert_ok(peil_split_options_set(&o, "treatment", "srg where code == \"TRAININGETC\""));
  assert_ok(peil_split_options_set(&o, "treatment", "none"));
  assert_null(o.treatment);
  assert_ok(peil_split_options_set(&o, "force", "yes"));
  assert_int_equal(o.replace, 1);
  /* Bad values: the key and what it takes; the option keeps its value. */
  expect_set_error(&o, "cuts", "91,60", "cuts: 60 after 91: the cut points must increase");
  expect_set_error(&o, "cuts", "0,91", "cuts: 0 is not a cut point: cut points are days from 1");
  expect_set_error(&o, "cuts", "-5", "cuts: -5 is not a cut point");
  expect_set_error(&o, "cuts", "91,91", "must increase");
  expect_set_error(&o, "cuts", "91,x", "cuts: 'x' is not a whole number of days");
  expect_set_error(&o, "cuts", "91,,182", "cuts");
  assert_int_equal(o.ncuts, 2);
  expect_set_error(&o, "age-cuts", "30,20", "age_cuts: 20 after 30");
  expect_set_error(&o, "within", "31..1", "within: '31..1' is not a number of days W");
  expect_set_error(&o, "within", "0", "within");
  expect_set_error(&o, "gap", "-1", "gap: '-1' is not none or a number of days");
  expect_set_error(&o, "treatment-end", "later", "treatment_end: 'later' is not stays or a number");
  expect_set_error(&o, "data_start", "2020-02-30", "data_start: '2020-02-30' is not a date");
  expect_set_error(&o, "data-end", "soon", "data_end: 'soon' is not a date");
  expect_set_error(&o, "age", "64..18", "age: '64..18' is not all or a range of years");
  expect_set_error(&o, "covariates", "sex,sex", "covariates: 'sex' is given twice");
  expect_set_error(&o, "event", "", "event: a table name is missing");
  expect_set_error(&o, "event", "jobs when x", "event: expected 'where CONDITION' after the table 'jobs'");
  expect_set_error(&o, "treatment", "programme where  ", "treatment: the condition after 'where' is missing");
  expect_set_error(&o, "table", "a/b", "table: 'a/b' is not a table or column name");
  expect_set_error(&o, "force", "maybe", "force: 'maybe' is not yes or no");
  expect_set_error(&o, "threads", "-1", "threads");
  expect_set_error(&o, "cut", "91", "unknown key 'cut' (the keys of a split are: spells, gap, event");
  assert_string_equal(o.table, "episodes");
  /* The keys. */
  const char *const *keys = peil_split_option_keys();
  size_t n = 0;
  while (keys[n]) n++;
  assert_int_equal(n, 18);
  assert_string_equal(keys[6], "treatment_end");
  peil_split_options_free(&o);
}

/* ---- Bad input: a clear message, an input error code, no table written. */

static void expect_split_error(const char *in, const char *const *kv, int code, const char *msg) {
  const char *out = test_path("bad-out.h5");
  unlink(out);
  peil_split_options o;
  options(&o, kv);
  int rc = split(in, out, &o, NULL);
  peil_split_options_free(&o);
  if (rc != code) fail_msg("status %d (%s), expected %d", rc, peil_errmsg(), code);
  if (!strstr(peil_errmsg(), msg)) fail_msg("'%s' lacks '%s'", peil_errmsg(), msg);
  assert_int_equal(peil_exit_code(rc), 2);
  assert_false(file_exists(out)); /* the new store was never committed */
}

static void test_split_errors(void **state) {
  (void)state;
  const char *in = make_store("bad.h5", NULL, 0, 1, 1);
  const char *k1[] = {"spells", "bijstnad", NULL};
  expect_split_error(in, k1, PEIL_ENOTFOUND, "spells: the store");
  expect_split_error(in, k1, PEIL_ENOTFOUND, "has no table 'bijstnad'");
  const char *k2[] = {"event", "jobs where contrct == \"vast\"", NULL};
  expect_split_error(in, k2, PEIL_ENOTFOUND, "event: condition 'contrct == \"vast\"': table 'jobs' has no column 'contrct'");
  /* A treatment table without start: persons has rin but no start. */
  const char *k3[] = {"treatment", "persons", NULL};
  expect_split_error(in, k3, PEIL_ENOTFOUND, "treatment: table 'persons': no column 'start'");
  const char *k4[] = {"where", "municipality == \"Utrecht\"", NULL};
  expect_split_error(in, k4, PEIL_ENOTFOUND, "where: no column 'municipality'");
  const char *k5[] = {"where", "age + 1", NULL};
  expect_split_error(in, k5, PEIL_ETYPE, "where: 'age + 1' is a number, not a condition");
  const char *k6[] = {"where", "sex == \"x\"", NULL};
  expect_split_error(in, k6, PEIL_ENOTFOUND, "unknown level \"x\" of column 'sex'");
  const char *k7[] = {"covariates", "sex, migration", NULL};
  expect_split_error(in, k7, PEIL_ENOTFOUND, "covariates: 'migration' is not a column of table 'persons'");
  const char *k8[] = {"covariates", "tstart", NULL};
  expect_split_error(in, k8, PEIL_EINVAL, "covariates: 'tstart' is a column of every split table");
  const char *k9[] = {"persons", "people", NULL};
  expect_split_error(in, k9, PEIL_ENOTFOUND, "persons: the store");
  const char *k10[] = {"data_end", "2021-06-30", NULL};
  expect_split_error(in, k10, PEIL_EINVAL, "data_end: 2021-06-30 lies after the end of the store's data (2020-12-31)");
  const char *k11[] = {"data_start", "2020-07-01", "data_end", "2020-06-30", NULL};
  expect_split_error(in, k11, PEIL_EINVAL, "data_start: the follow-up would start (2020-07-01) after it ends");
  const char *k12[] = {"treatment", "none", "covariates", "earlier", NULL};
  expect_split_error(in, k12, PEIL_EINVAL, "covariates: earlier (an earlier treatment spell) needs a treatment");
  const char *k13[] = {"birth_date", "hours", NULL};
  expect_split_error(in, k13, PEIL_ETYPE, "birth_date: column 'hours' of table 'persons' is int16, not a date");
  /* Without a birth date: age and age ranges cannot be had; all leaves them out. */
  const char *nobirth = make_store("nobirth.h5", NULL, 0, 0, 1);
  const char *k14[] = {"covariates", "age_class", NULL};
  expect_split_error(nobirth, k14, PEIL_ENOTFOUND, "covariates: age_class needs a birth date");
  const char *k15[] = {"age", "18..64", NULL};
  expect_split_error(nobirth, k15, PEIL_ENOTFOUND, "age: the age range needs a birth date");
  /* No coverage and an open spell: the censoring date is needed. */
  const char *nocov = make_store("nocov.h5", NULL, 0, 1, 0);
  expect_split_error(nocov, NULL, PEIL_EINVAL,
                     "table 'bijstand', rin 2: the episode starting 2020-06-01 is open");
  /* Unsorted spells: the row is named. */
  static const spell_row unsorted[] = {{1, "2020-03-01", "2020-03-31", 0}, {1, "2020-01-01", "2020-01-31", 0}};
  const char *bad = make_store("unsorted.h5", unsorted, 2, 1, 1);
  expect_split_error(bad, NULL, PEIL_EDATA, "table 'bijstand', row 2 (rin 1): not sorted by rin and start");
  static const spell_row backwards[] = {{1, "2020-03-01", "2020-02-28", 0}};
  bad = make_store("backwards.h5", backwards, 1, 1, 1);
  expect_split_error(bad, NULL, PEIL_EDATA, "the spell ends (2020-02-28) before it starts (2020-03-01)");
  /* Bad options set directly are caught too. */
  peil_split_options o;
  options(&o, NULL);
  o.cuts[1] = 10;
  assert_int_equal(split(in, test_path("bad-out.h5"), &o, NULL), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "cuts: the cut points must be positive and increase"));
  peil_split_options_free(&o);
}

/* An existing table is kept unless replaced; a failure leaves the output
 * store as it was. */
static void test_split_existing(void **state) {
  (void)state;
  const char *in = make_store("exist.h5", NULL, 0, 1, 1);
  const char *out = test_path("exist-out.h5");
  unlink(out);
  peil_split_options o;
  options(&o, NULL);
  assert_ok(split(in, out, &o, NULL));
  char first[8192];
  strcpy(first, table_text(out, "episodes"));
  assert_ok(peil_split_options_set(&o, "cuts", "60"));
  assert_int_equal(split(in, out, &o, NULL), PEIL_EEXIST);
  assert_non_null(strstr(peil_errmsg(), "table 'episodes' exists already (replace it: force = yes, --force)"));
  assert_ok(peil_split_options_set(&o, "where", "nonsense == 1"));
  assert_ok(peil_split_options_set(&o, "force", "yes"));
  assert_int_equal(split(in, out, &o, NULL), PEIL_ENOTFOUND);
  const char *tables[] = {"episodes"};
  assert_tables(out, 1, tables);
  assert_string_equal(table_text(out, "episodes"), first);
  assert_ok(peil_split_options_set(&o, "where", "none"));
  assert_ok(split(in, out, &o, NULL));
  assert_tables(out, 1, tables);
  assert_string_not_equal(table_text(out, "episodes"), first);
  /* A second table beside it. */
  assert_ok(peil_split_options_set(&o, "table", "episodes_60"));
  assert_ok(split(in, out, &o, NULL));
  const char *two[] = {"episodes", "episodes_60"};
  assert_tables(out, 2, two);
  peil_split_options_free(&o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_split_rows),      cmocka_unit_test(test_split_variants),
      cmocka_unit_test(test_split_where_and_age), cmocka_unit_test(test_split_threads),
      cmocka_unit_test(test_split_same_store), cmocka_unit_test(test_options),
      cmocka_unit_test(test_split_errors),    cmocka_unit_test(test_split_existing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
